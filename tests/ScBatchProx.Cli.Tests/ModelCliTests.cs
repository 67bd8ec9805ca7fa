using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;

namespace ScBatchProx.Cli.Tests;

/// <summary>`apply` and `extend` end to end: outputs bitwise where they must be, every bad input exit 2 with no file left.</summary>
public class ModelCliTests
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    static readonly SimulatedData Sim = Simulator.Generate(new SimulationOptions { Cells = 600, Batches = 3, Seed = 4 });

    /// <summary>The simulated cells of <paramref name="batches"/> as an .h5ad with obsm X_pca and obs batch.</summary>
    static string Write(TempDir dir, string name, params string[] batches)
    {
        var rows = Enumerable.Range(0, Sim.Batch.Length).Where(i => batches.Contains(Sim.Batch.ValueAt(i))).ToArray();
        var path = dir.File(name);
        AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { ["X_pca"] = Sim.Embedding.SelectRows(rows) },
            rows.Select(i => $"c{i}").ToArray(), [Categorical.FromStrings("batch", rows.Select(Sim.Batch.ValueAt).ToList())]);
        return path;
    }

    static Embedding Read(string path, string key = "X_scbatchprox") { using var f = AnnDataFile.Open(path); return f.ReadObsm(key); }

    static async Task<string> Run(params string[] args)
    {
        var (exit, output) = await CliProcess.RunAsync(Limit, args);
        Assert.True(exit == 0, $"exit {exit}: {output}");
        return output;
    }

    [Fact]
    public async Task ApplyReproducesRefineAndExtendLeavesKnownBatchesBitwise()
    {
        using var dir = new TempDir();
        var first = Write(dir, "first.h5ad", "batch1", "batch2");
        await Run("refine", first, "--rounds", "4", "--out", dir.File("refined.h5ad"), "--save-model", dir.File("m.json"));
        await Run("apply", "--model", dir.File("m.json"), first, "--out", dir.File("applied.h5ad"));
        Assert.Equal(Read(dir.File("refined.h5ad")).Data, Read(dir.File("applied.h5ad")).Data);

        var all = Write(dir, "all.h5ad", "batch1", "batch2", "batch3");
        var output = await Run("extend", "--model", dir.File("m.json"), all, "--out", dir.File("extended.h5ad"), "--model-out", dir.File("m2.json"));
        Assert.Contains("Added batch3", output);
        var extended = Read(dir.File("extended.h5ad"));
        var refined = Read(dir.File("refined.h5ad"));
        var knownRows = Rows(all, "batch1", "batch2");
        Assert.Equal(refined.Data, extended.SelectRows(knownRows).Data);               // known batches: unchanged
        // the extended model applies to all three batches exactly as extend wrote them
        await Run("apply", "--model", dir.File("m2.json"), all, "--out", dir.File("applied2.h5ad"));
        Assert.Equal(extended.Data, Read(dir.File("applied2.h5ad")).Data);
        // --update moves the known batches too, and says so
        output = await Run("extend", "--model", dir.File("m.json"), all, "--update", "--out", dir.File("updated.h5ad"));
        Assert.Contains("moved too", output);
        Assert.NotEqual(refined.Data, Read(dir.File("updated.h5ad")).SelectRows(knownRows).Data);
    }

    static int[] Rows(string path, params string[] batches)
    {
        using var f = AnnDataFile.Open(path);
        var b = f.ReadObsColumn("batch");
        return Enumerable.Range(0, b.Length).Where(i => batches.Contains(b.ValueAt(i))).ToArray();
    }

    static async Task AssertRejected(TempDir dir, string[] mustContain, params string[] args)
    {
        var (exit, output) = await CliProcess.RunAsync(Limit, [.. args, "--out", dir.File("out.h5ad")]);
        Assert.True(exit == 2, $"exit {exit}: {output}");
        foreach (var part in mustContain) Assert.Contains(part, output);
        Assert.DoesNotContain("   at ", output);                                         // no stack trace
        Assert.False(File.Exists(dir.File("out.h5ad")), "an output file was left behind");
        Assert.Empty(Directory.GetFiles(dir.Path, ".*tmp*"));
    }

    [Fact]
    public async Task BadModelInputsAreRefusedWithTheirReason()
    {
        using var dir = new TempDir();
        var first = Write(dir, "first.h5ad", "batch1", "batch2");
        await Run("refine", first, "--rounds", "2", "--out", dir.File("refined.h5ad"), "--save-model", dir.File("m.json"));
        var all = Write(dir, "all.h5ad", "batch1", "batch2", "batch3");
        // a batch the model does not know: apply lists the known ones and points to extend
        await AssertRejected(dir, ["'batch3'", "'batch1', 'batch2'", "extend"], "apply", "--model", dir.File("m.json"), all);
        // another dimension
        var wide = dir.File("wide.h5ad");
        AnnDataWriter.WriteNew(wide, new Dictionary<string, Embedding> { ["X_pca"] = new Embedding(4, 7, Enumerable.Range(0, 28).Select(i => (float)i).ToArray()) },
            ["a", "b", "c", "d"], [Categorical.FromStrings("batch", ["batch1", "batch1", "batch2", "batch2"])]);
        await AssertRejected(dir, ["7 dimensions", $"trained on {Sim.Embedding.Cols}"], "apply", "--model", dir.File("m.json"), wide);
        // a truncated model, a model of a newer format, not a model at all, a folder
        var json = File.ReadAllText(dir.File("m.json"));
        File.WriteAllText(dir.File("cut.json"), json[..(json.Length / 3)]);
        await AssertRejected(dir, ["cut.json", "malformed or truncated"], "apply", "--model", dir.File("cut.json"), first);
        File.WriteAllText(dir.File("v9.json"), json.Replace("\"version\": 2", "\"version\": 9"));
        await AssertRejected(dir, ["v9.json", "version 9 is newer"], "extend", "--model", dir.File("v9.json"), all);
        await AssertRejected(dir, ["first.h5ad", "not a model file"], "apply", "--model", first, first);
        await AssertRejected(dir, ["is a folder"], "apply", "--model", dir.Path, first);
        // the output key would overwrite the input embedding
        await AssertRejected(dir, ["obsm 'X_pca' already exists", "--overwrite-key"], "apply", "--model", dir.File("m.json"), first, "--key", "X_pca");
    }
}
