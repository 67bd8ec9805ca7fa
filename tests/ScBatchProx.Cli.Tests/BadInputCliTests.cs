using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;

namespace ScBatchProx.Cli.Tests;

/// <summary>Bad input: a message naming the file, key and problem, exit code 2, and no output left behind.</summary>
public class BadInputCliTests
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    static string Write(TempDir dir, string name, Embedding emb, string?[] batches)
    {
        var path = dir.File(name);
        AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { ["X_pca"] = emb },
            Enumerable.Range(0, emb.Rows).Select(i => $"c{i}").ToArray(), [Categorical.FromStrings("batch", batches)]);
        return path;
    }

    static Embedding Sim(int cells) => Simulator.Generate(new SimulationOptions { Cells = cells, Seed = 9 }).Embedding;
    static string?[] TwoBatches(int n) => Enumerable.Range(0, n).Select(i => i % 2 == 0 ? "a" : "b").ToArray();

    static async Task AssertRejected(TempDir dir, string expectedOutput, string[] mustContain, params string[] args)
    {
        var (exit, output) = await CliProcess.RunAsync(Limit, ["refine", .. args, "--out", dir.File(expectedOutput)]);
        Assert.True(exit == 2, $"exit {exit}: {output}");
        foreach (var part in mustContain) Assert.Contains(part, output);
        Assert.False(File.Exists(dir.File(expectedOutput)), "an output file was left behind");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [Fact]
    public async Task MissingObsmKeyListsTheKeysPresent()
    {
        using var dir = new TempDir();
        var input = Write(dir, "in.h5ad", Sim(200), TwoBatches(200));
        await AssertRejected(dir, "out.h5ad", [input, "X_scVI", "X_pca"], input, "--embed", "X_scVI");
    }

    [Fact]
    public async Task MissingBatchColumnListsTheColumns()
    {
        using var dir = new TempDir();
        var input = Write(dir, "in.h5ad", Sim(200), TwoBatches(200));
        await AssertRejected(dir, "out.h5ad", [input, "donor", "batch"], input, "--batch", "donor");
    }

    [Fact]
    public async Task NanRowsAreNamed()
    {
        using var dir = new TempDir();
        var emb = Sim(200);
        emb[17, 3] = float.NaN; emb[42, 0] = float.PositiveInfinity;
        var input = Write(dir, "in.h5ad", emb, TwoBatches(200));
        await AssertRejected(dir, "out.h5ad", [input, "NaN or Inf", "17, 42"], input);
    }

    [Fact]
    public async Task BatchWithOneCellIsRejected()
    {
        using var dir = new TempDir();
        var batches = TwoBatches(200); batches[5] = "lonely";
        var input = Write(dir, "in.h5ad", Sim(200), batches);
        await AssertRejected(dir, "out.h5ad", [input, "lonely", "at least 2"], input);
    }

    [Fact]
    public async Task FewerCellsThanPrototypesIsRejected()
    {
        using var dir = new TempDir();
        var input = Write(dir, "in.h5ad", Sim(40), TwoBatches(40));
        await AssertRejected(dir, "out.h5ad", [input, "fewer than the 50 prototypes"], input, "--prototypes", "50");
    }

    [Fact]
    public async Task LengthMismatchBetweenEmbeddingAndLabelsIsRejected()
    {
        using var dir = new TempDir();
        PlainEmbedding.Write(dir.File("emb.npy"), Sim(100));
        File.WriteAllLines(dir.File("batch.txt"), TwoBatches(99).Select(b => b!));
        await AssertRejected(dir, "out.npy", ["batch.txt", "99", "100"], dir.File("emb.npy"), "--batch-file", dir.File("batch.txt"));
    }

    [Fact]
    public async Task TruncatedAndNonHdf5FilesAreRejected()
    {
        using var dir = new TempDir();
        var input = Write(dir, "in.h5ad", Sim(300), TwoBatches(300));
        var bytes = File.ReadAllBytes(input);
        File.WriteAllBytes(dir.File("cut.h5ad"), bytes[..(bytes.Length / 2)]);
        await AssertRejected(dir, "out1.h5ad", [dir.File("cut.h5ad")], dir.File("cut.h5ad"));
        File.WriteAllText(dir.File("text.h5ad"), "cell,batch\nc1,a\n");
        await AssertRejected(dir, "out2.h5ad", [dir.File("text.h5ad"), "HDF5"], dir.File("text.h5ad"));
    }

    [Fact]
    public async Task OutputEqualToInputNeedsInPlace()
    {
        using var dir = new TempDir();
        var input = Write(dir, "in.h5ad", Sim(200), TwoBatches(200));
        var before = File.ReadAllBytes(input);
        var (exit, output) = await CliProcess.RunAsync(Limit, "refine", input, "--out", input);
        Assert.True(exit == 2, output);
        Assert.Contains("--in-place", output);
        Assert.Equal(before, File.ReadAllBytes(input));
        (exit, output) = await CliProcess.RunAsync(Limit, "refine", input, "--out", input, "--in-place", "--rounds", "2");
        Assert.True(exit == 0, output);
        using var f = AnnDataFile.Open(input);
        Assert.Contains("X_scbatchprox", f.ObsmKeys);
    }
}
