using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Report;

namespace ScBatchProx.Cli.Tests;

/// <summary>The `refine` command end to end, as a user runs it (a separate process).</summary>
public class RefineCliTests
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    static string WriteSimulated(TempDir dir, string name = "in.h5ad", int cells = 600)
    {
        var sim = Simulator.Generate(new SimulationOptions { Cells = cells, Seed = 3 });
        var path = dir.File(name);
        AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { ["X_pca"] = sim.Embedding },
            Enumerable.Range(0, cells).Select(i => $"c{i}").ToArray(), [sim.Batch, sim.CellType]);
        return path;
    }

    [Fact]
    public async Task OutputIsBitwiseIdenticalWithOneAndTwoThreads()
    {
        using var dir = new TempDir();
        var input = WriteSimulated(dir);
        var (e1, o1) = await CliProcess.RunAsync(Limit, "refine", input, "--embed", "X_pca", "--batch", "batch", "--out", dir.File("t1.h5ad"), "--threads", "1", "--rounds", "5", "--seed", "7");
        var (e2, o2) = await CliProcess.RunAsync(Limit, "refine", input, "--embed", "X_pca", "--batch", "batch", "--out", dir.File("t2.h5ad"), "--threads", "2", "--rounds", "5", "--seed", "7");
        Assert.True(e1 == 0, o1); Assert.True(e2 == 0, o2);
        using var a = AnnDataFile.Open(dir.File("t1.h5ad"));
        using var b = AnnDataFile.Open(dir.File("t2.h5ad"));
        var ra = a.ReadObsm("X_scbatchprox"); var rb = b.ReadObsm("X_scbatchprox");
        Assert.Equal(ra.Data, rb.Data);
        using var orig = AnnDataFile.Open(input);
        Assert.NotEqual(orig.ReadObsm("X_pca").Data, ra.Data);
        Assert.Equal(orig.ReadObsm("X_pca").Data, a.ReadObsm("X_pca").Data);
        Assert.Contains("rounds run: 5", o1);
    }

    [Fact]
    public async Task ZeroRoundsWritesTheInputEmbeddingUnchanged()
    {
        using var dir = new TempDir();
        var input = WriteSimulated(dir);
        var (exit, output) = await CliProcess.RunAsync(Limit, "refine", input, "--rounds", "0", "--out", dir.File("o.h5ad"));
        Assert.True(exit == 0, output);
        using var a = AnnDataFile.Open(dir.File("o.h5ad"));
        Assert.Equal(a.ReadObsm("X_pca").Data, a.ReadObsm("X_scbatchprox").Data);
    }

    [Fact]
    public async Task PlainNpyWithBatchFileRoundTrips()
    {
        using var dir = new TempDir();
        var sim = Simulator.Generate(new SimulationOptions { Cells = 400, Seed = 4 });
        PlainEmbedding.Write(dir.File("emb.npy"), sim.Embedding);
        File.WriteAllLines(dir.File("batch.txt"), Enumerable.Range(0, 400).Select(i => sim.Batch.ValueAt(i)!));
        var (exit, output) = await CliProcess.RunAsync(Limit, "refine", dir.File("emb.npy"), "--batch-file", dir.File("batch.txt"), "--out", dir.File("out.npy"), "--rounds", "3");
        Assert.True(exit == 0, output);
        var refined = PlainEmbedding.Read(dir.File("out.npy")).Embedding;
        Assert.Equal(400, refined.Rows); Assert.Equal(sim.Embedding.Cols, refined.Cols);
        Assert.NotEqual(sim.Embedding.Data, refined.Data);
    }

    /// <summary>On real PBMC data, refining X_pca must raise kNN batch mixing clearly while label purity drops by less than 0.02.</summary>
    [SkippableFact]
    public async Task PbmcRefinementMixesBatchesAndKeepsLabels()
    {
        var input = SharedData.Require("pbmc_symphony.h5ad");
        using var dir = new TempDir();
        var (exit, output) = await CliProcess.RunAsync(Limit, "refine", input, "--embed", "X_pca", "--batch", "batch", "--out", dir.File("pbmc.h5ad"));
        Assert.True(exit == 0, output);
        using var before = AnnDataFile.Open(input);
        using var after = AnnDataFile.Open(dir.File("pbmc.h5ad"));
        var batch = before.ReadObsColumn("batch"); var labels = before.ReadObsColumn("cell_type");
        var g0 = ExactNeighbors.Search(before.ReadObsm("X_pca"), 15, 2);
        var g1 = ExactNeighbors.Search(after.ReadObsm("X_scbatchprox"), 15, 2);
        double mix0 = KnnFigures.BatchMixing(g0, batch), mix1 = KnnFigures.BatchMixing(g1, batch);
        double pur0 = KnnFigures.LabelPurity(g0, labels), pur1 = KnnFigures.LabelPurity(g1, labels);
        Assert.True(mix1 > mix0 + 0.15, $"batch mixing {mix0:F3} -> {mix1:F3}");
        Assert.True(pur1 > pur0 - 0.02, $"label purity {pur0:F3} -> {pur1:F3}");
    }

    /// <summary>Every obsm key of every shared file refines, and anndata opens the result with the new key in the same shape.</summary>
    [SkippableFact]
    public async Task EveryEmbeddingOfTheSharedDataRefinesAndOpensInAnndata()
    {
        SharedData.Require("pbmc_symphony.h5ad");
        Python.RequireModules("anndata");
        using var dir = new TempDir();
        var checks = new List<string>();
        foreach (var file in Directory.GetFiles(SharedData.Directory!, "*.h5ad").Order())
        {
            using var f = AnnDataFile.Open(file);
            foreach (var key in f.ObsmKeys)
            {
                var outPath = dir.File($"{Path.GetFileNameWithoutExtension(file)}.{key}.h5ad");
                var (exit, output) = await CliProcess.RunAsync(Limit, "refine", file, "--embed", key, "--out", outPath);
                Assert.True(exit == 0, $"{file} {key}: {output}");
                checks.Add($"('{outPath}', '{key}', {f.ObsmShape(key).Rows}, {f.ObsmShape(key).Cols})");
            }
        }
        var script = "import anndata, numpy as np\nfor p, k, n, d in [" + string.Join(", ", checks) + "]:\n" +
                     "    a = anndata.read_h5ad(p)\n    r = np.asarray(a.obsm['X_scbatchprox'])\n" +
                     "    assert r.shape == (n, d) and a.obsm[k].shape == (n, d), (p, r.shape)\n    assert np.isfinite(r).all()\nprint('ok', len([0]))";
        Assert.StartsWith("ok", Python.Check(script).Trim());
        Assert.Equal(14, checks.Count);
    }
}
