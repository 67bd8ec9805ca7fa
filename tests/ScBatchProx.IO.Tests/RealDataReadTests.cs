using System.Text.Json;
using ScBatchProx.Data;

namespace ScBatchProx.IO.Tests;

/// <summary>Reads the shared real .h5ad files and checks them against the README and against anndata.</summary>
public class RealDataReadTests
{
    public static TheoryData<string, int, string[], int> Files => new()
    {
        { "pbmc_symphony.h5ad", 1200, ["X_combat", "X_harmony", "X_limma", "X_pca", "X_seurat", "X_seurat_rpca"], 30 },
        { "cellbench_lung5.h5ad", 1021, ["X_combat", "X_harmony", "X_limma", "X_pca", "X_seurat", "X_seurat_rpca"], 50 },
        { "cell_lines_harmony.h5ad", 9478, ["X_harmony", "X_pca"], 20 },
    };

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Shape_and_obsm_keys_match_the_readme(string file, int nObs, string[] keys, int dims)
    {
        using var ad = AnnDataFile.Open(SharedData.Require(file));
        Assert.Equal(nObs, ad.NObs);
        Assert.Equal(nObs, ad.ObsNames.Distinct().Count());
        Assert.Equal(keys, ad.ObsmKeys.Order(StringComparer.Ordinal));
        foreach (var key in keys)
        {
            Assert.Equal((nObs, dims), ad.ObsmShape(key));
            Assert.False(ad.ObsmIsFloat64(key));
        }
        Assert.Equal(["batch", "cell_type"], ad.ObsColumns.Take(2));
    }

    [SkippableFact]
    public void Pbmc_batch_by_cell_type_matches_the_readme()
    {
        string[] types = ["B", "DC", "HSC", "MK", "Mono_CD14", "Mono_CD16", "NK", "T_CD4", "T_CD8"];
        AssertComposition("pbmc_symphony.h5ad", ["3pv1", "3pv2", "5p"], types,
        [
            [39, 2, 2, 3, 50, 27, 17, 97, 53],
            [62, 16, 0, 2, 102, 11, 22, 150, 115],
            [71, 10, 1, 2, 120, 22, 20, 126, 58],
        ]);
    }

    [SkippableFact]
    public void Cellbench_batch_by_cell_type_matches_the_readme() =>
        AssertComposition("cellbench_lung5.h5ad",
            ["CELseq2_3cl", "CELseq2_5cl_p1", "CELseq2_5cl_p2", "CELseq2_5cl_p3", "Dropseq_3cl"],
            ["A549", "H1975", "H2228", "H838", "HCC827"],
            [
                [0, 103, 67, 0, 70],
                [45, 30, 28, 32, 21],
                [40, 31, 23, 50, 19],
                [101, 28, 34, 64, 25],
                [0, 79, 65, 0, 66],
            ]);

    [SkippableFact]
    public void Cell_lines_batch_by_cell_type_matches_the_readme() =>
        AssertComposition("cell_lines_harmony.h5ad", ["half", "jurkat", "t293"], ["jurkat", "t293"],
            [[1799, 1565], [3255, 0], [0, 2859]]);

    static void AssertComposition(string file, string[] batches, string[] types, int[][] counts)
    {
        using var ad = AnnDataFile.Open(SharedData.Require(file));
        var batch = ad.ReadObsColumn("batch");
        var type = ad.ReadObsColumn("cell_type");
        Assert.Equal(batches, batch.Categories);
        Assert.Equal(types, type.Categories);
        Assert.Equal(0, batch.MissingCount());
        var table = Bits.CrossTab(batch, type);
        for (int b = 0; b < batches.Length; b++)
        {
            Assert.Equal(counts[b].Sum(), batch.Counts()[b]);
            for (int t = 0; t < types.Length; t++)
                Assert.Equal(counts[b][t], table.GetValueOrDefault((batches[b], types[t])));
        }
    }

    /// <summary>Every obsm matrix, the obs index and the obs columns equal what anndata reads, bit for bit.</summary>
    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Values_equal_what_anndata_reads(string file, int nObs, string[] keys, int dims)
    {
        var path = SharedData.Require(file);
        Python.RequireModules("anndata");
        using var tmp = new TempDir();
        var json = Python.Check("""
            import sys, json, numpy as np, anndata as ad
            a = ad.read_h5ad(sys.argv[1])
            for k in a.obsm: np.save(f"{sys.argv[2]}/{k}.npy", np.ascontiguousarray(a.obsm[k]))
            cols = {c: [None if isinstance(v, float) and v != v else str(v) for v in a.obs[c].tolist()] for c in a.obs.columns}
            print(json.dumps({"names": list(a.obs_names), "columns": list(a.obs.columns), "values": cols}))
            """, path, tmp.Path);
        using var doc = JsonDocument.Parse(json);
        using var ad = AnnDataFile.Open(path);
        Assert.Equal(doc.RootElement.GetProperty("names").EnumerateArray().Select(e => e.GetString()!), ad.ObsNames);
        Assert.Equal(doc.RootElement.GetProperty("columns").EnumerateArray().Select(e => e.GetString()!), ad.ObsColumns);
        foreach (var key in keys)
            Bits.Equal(PlainEmbedding.Read(tmp.File(key + ".npy")).Embedding, ad.ReadObsm(key));
        foreach (var column in new[] { "batch", "cell_type", "n_genes" })
        {
            var expected = doc.RootElement.GetProperty("values").GetProperty(column).EnumerateArray().Select(e => e.GetString()).ToArray();
            var actual = ad.ReadObsColumn(column);
            Assert.Equal(expected, Enumerable.Range(0, nObs).Select(actual.ValueAt));
        }
        Assert.Equal(dims, ad.ObsmShape(keys[0]).Cols);
    }
}
