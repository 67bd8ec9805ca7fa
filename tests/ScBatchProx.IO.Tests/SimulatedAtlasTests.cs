using System.Security.Cryptography;
using System.Text.Json;
using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.TestSupport;
using Xunit;

namespace ScBatchProx.IO.Tests;

/// <summary>The streamed atlas writer: python anndata reads exactly what the simulator generated, whatever the block size.</summary>
public class SimulatedAtlasTests
{
    // anndata's view of the file: shape, X, names, categories, per-cell codes and the SHA-256 of
    // the float32 embedding bytes (C order), so a single flipped bit is caught.
    const string ReadScript = """
        import sys, json, hashlib, numpy as np, anndata as ad
        a = ad.read_h5ad(sys.argv[1])
        x = np.ascontiguousarray(a.obsm["X_pca"])
        print(json.dumps({
            "shape": list(a.shape), "x_is_none": a.X is None, "dtype": str(x.dtype), "obsm_shape": list(x.shape),
            "first": a.obs_names[0], "last": a.obs_names[-1], "unique_names": int(a.obs_names.is_unique),
            "batch_categories": list(a.obs["batch"].cat.categories), "type_categories": list(a.obs["cell_type"].cat.categories),
            "batch_codes": a.obs["batch"].cat.codes.tolist(), "type_codes": a.obs["cell_type"].cat.codes.tolist(),
            "sha256": hashlib.sha256(x.tobytes()).hexdigest()}))
        """;

    [SkippableFact]
    public void AnndataReadsTheStreamedAtlasExactly()
    {
        Python.RequireModules("anndata", "h5py");
        using var tmp = new TempDir();
        var path = tmp.File("atlas.h5ad");
        var options = SimulatedAtlas.Options(3000, seed: 5);
        // Written in blocks of 700 cells (the last one partial), compared with one block of all cells.
        SimulatedAtlas.Write(path, options, blockCells: 700, threads: 2);
        var whole = Simulator.GenerateChunks(options, options.Cells, out var batchCats, out var typeCats, threads: 1).Single();

        using var doc = JsonDocument.Parse(Python.Check(ReadScript, path));
        var r = doc.RootElement;
        Assert.Equal([3000, 0], r.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(r.GetProperty("x_is_none").GetBoolean());
        Assert.Equal("float32", r.GetProperty("dtype").GetString());
        Assert.Equal([3000, 50], r.GetProperty("obsm_shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("cell000000000", r.GetProperty("first").GetString());
        Assert.Equal("cell000002999", r.GetProperty("last").GetString());
        Assert.Equal(1, r.GetProperty("unique_names").GetInt32());
        Assert.Equal(batchCats, r.GetProperty("batch_categories").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(typeCats, r.GetProperty("type_categories").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(whole.BatchCodes, r.GetProperty("batch_codes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(whole.CellTypeCodes, r.GetProperty("type_codes").EnumerateArray().Select(e => e.GetInt32()));
        var bytes = new byte[whole.Embedding.Data.Length * sizeof(float)];
        Buffer.BlockCopy(whole.Embedding.Data, 0, bytes, 0, bytes.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), r.GetProperty("sha256").GetString());

        // Our reader sees the same, with the obs names decoded only when asked for.
        using var file = AnnDataFile.Open(path);
        Assert.Equal(3000, file.NObs);
        Assert.Equal(whole.Embedding.Data, file.ReadObsm(SimulatedAtlas.EmbeddingKey).Data);
        var batch = file.ReadObsColumn("batch");
        Assert.Equal(batchCats, batch.Categories);
        Assert.Equal(whole.BatchCodes, batch.Codes);
        Assert.Equal(Enumerable.Range(0, 3000).Select(SimulatedAtlas.CellName), file.ObsNames);
    }

    [Fact]
    public void BatchSizesSpanTheRequestedRatioInContiguousBlocks()
    {
        var options = SimulatedAtlas.Options(20_000, seed: 1);
        var codes = Simulator.GenerateChunks(options, 20_000, out var batchCats, out _).Single().BatchCodes;
        var sizes = Enumerable.Range(1, 20).Select(b => codes.Count(c => batchCats[c] == $"batch{b}")).ToArray();
        Assert.Equal(20_000, sizes.Sum());
        // geometric sizes from batch1 to batch20: every step is the 19th root of 10, up to rounding
        for (int b = 1; b < 20; b++) Assert.InRange(sizes[b] / (double)sizes[b - 1], Math.Pow(10, 1 / 19.0) - 0.01, Math.Pow(10, 1 / 19.0) + 0.01);
        Assert.InRange(sizes[19] / (double)sizes[0], 9.8, 10.2);
        // contiguous: the batch code changes exactly 19 times along the cells
        Assert.Equal(19, Enumerable.Range(1, codes.Length - 1).Count(i => codes[i] != codes[i - 1]));
    }
}
