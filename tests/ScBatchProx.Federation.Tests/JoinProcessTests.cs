using ScBatchProx.Core;
using ScBatchProx.Data;
using ScBatchProx.Core.Method;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;

namespace ScBatchProx.Federation.Tests;

/// <summary>'serve' plus one 'join' process per batch, on 127.0.0.1, against the in-process refiner.</summary>
public class JoinProcessTests
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(180);

    internal static (SimulatedData Sim, string Path) WriteData(TempDir dir, int cells)
    {
        var sim = Simulator.Generate(new SimulationOptions { Cells = cells, Batches = 3, Seed = 21 });
        var path = dir.File("site.h5ad");
        var names = Enumerable.Range(0, cells).Select(i => "cell" + i).ToArray();
        AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { ["X_sim"] = sim.Embedding }, names, [sim.Batch, sim.CellType], new Dictionary<string, string>());
        return (sim, path);
    }

    internal static CliProcess Serve(string name, params string[] extra) =>
        new(name, ["serve", "--listen", "http://127.0.0.1:0", "--clients", "3", .. extra]);

    /// <summary>The http://127.0.0.1:PORT a 'serve' process says it listens on.</summary>
    internal static string PlainUrl(CliProcess serve) => serve.WaitForLine(@"listening on (http://127\.0\.0\.1:\d+)", TimeSpan.FromSeconds(60)).Groups[1].Value;

    internal static CliProcess Join(string url, string data, string batch, string output, params string[] extra) =>
        new("join " + batch, ["join", data, "--server", url, "--embed", "X_sim", "--batch", "batch", "--batches", batch, "--out", output, .. extra]);

    internal static Embedding Read(string path, string key) { using var f = AnnDataFile.Open(path); return f.ReadObsm(key); }

    internal static void AssertRowsEqual(Embedding expected, Embedding actual, int[] rows)
    {
        foreach (var i in rows) Assert.True(expected.RowReadOnly(i).SequenceEqual(actual.RowReadOnly(i)), $"row {i} differs");
    }

    [Fact]
    public async Task ServerAndThreeJoinProcessesAreBitwiseIdenticalToInProcess()
    {
        using var dir = new TempDir();
        var (sim, data) = WriteData(dir, 1500);
        var expected = await Refiner.FitAsync(sim.Embedding, sim.Batch, new RefineOptions { Rounds = 5, Seed = 7 }, new FitSettings { Threads = 2 });

        using var serve = Serve("serve", "--rounds", "5", "--seed", "7", "--round-timeout", "60s", "--model-out", dir.File("model.json"));
        var url = PlainUrl(serve);
        var parts = InProcessTransportTests.Split(sim.Batch);
        var joins = parts.Select(p => Join(url, data, p.Id, dir.File(p.Id + ".h5ad"))).ToList();
        try
        {
            foreach (var j in joins) Assert.True(await j.WaitForExitAsync(Long) == 0, j.Output);
            Assert.True(await serve.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, serve.Output);
        }
        finally { foreach (var j in joins) j.Dispose(); }

        foreach (var (id, rows) in parts)
        {
            var outp = Read(dir.File(id + ".h5ad"), "X_scbatchprox");
            AssertRowsEqual(expected.Refined, outp, rows);                      // this site's batch: refined, bit for bit
            var others = Enumerable.Range(0, sim.Batch.Length).Except(rows).ToArray();
            AssertRowsEqual(sim.Embedding, outp, others);                       // other batches: the input rows
        }
        var model = Core.Model.RefinementModel.FromJson(File.ReadAllText(dir.File("model.json")), "model.json");
        Assert.Equal(expected.Model.Theta, model.Theta);
    }

    [Fact]
    public async Task AKilledClientIsDroppedRejoinsAndTheRunCompletes()
    {
        using var dir = new TempDir();
        var (sim, data) = WriteData(dir, 3000);
        using var serve = Serve("serve", "--rounds", "20", "--tol", "0", "--epochs", "10", "--min-clients", "2", "--round-timeout", "8s");
        var url = PlainUrl(serve);
        var parts = InProcessTransportTests.Split(sim.Batch);
        var joins = parts.Select(p => Join(url, data, p.Id, dir.File(p.Id + ".h5ad"))).ToList();
        CliProcess? again = null;
        try
        {
            serve.WaitForLine(@"round 2/20", Long);
            joins[2].Kill();
            // the server aggregates the two others and carries the killed one forward at the round timeout
            serve.WaitForLine($@"client '{parts[2].Id}' did not answer within .*dropped from this round", TimeSpan.FromSeconds(60));
            again = Join(url, data, parts[2].Id, dir.File(parts[2].Id + ".h5ad"));
            Assert.True(await again.WaitForExitAsync(Long) == 0, again.Output + "\n--- server:\n" + serve.Output);
            Assert.True(await joins[0].WaitForExitAsync(Long) == 0, joins[0].Output);
            Assert.True(await joins[1].WaitForExitAsync(Long) == 0, joins[1].Output);
            Assert.True(await serve.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, serve.Output);
        }
        finally { foreach (var j in joins) j.Dispose(); again?.Dispose(); }
        var log = serve.Output;
        Assert.Contains("dropped from this round", log);
        Assert.Contains($"client '{parts[2].Id}' rejoined without setup state", log);
        Assert.Contains("federated run complete: 20 round(s)", log);
        foreach (var (id, _) in parts) Assert.Empty(Read(dir.File(id + ".h5ad"), "X_scbatchprox").NonFiniteRows());
    }

    [Fact]
    public async Task TheServerResumesFromItsCheckpointAndTheResultIsUnchanged()
    {
        using var dir = new TempDir();
        var (sim, data) = WriteData(dir, 1500);
        // Rounds long enough (100 local epochs) that the first server cannot finish the run between
        // printing "round 3/8" and being killed, even on a loaded machine.
        string[] method = ["--rounds", "8", "--tol", "0", "--epochs", "100", "--seed", "3"];
        var expected = await Refiner.FitAsync(sim.Embedding, sim.Batch, new RefineOptions { Rounds = 8, Tolerance = 0, LocalEpochs = 100, Seed = 3 }, new FitSettings { Threads = 2 });

        var first = Serve("serve 1", [.. method, "--round-timeout", "20s", "--checkpoint", dir.Path]);
        var url = PlainUrl(first);
        var port = new Uri(url).Port.ToString();
        var parts = InProcessTransportTests.Split(sim.Batch);
        var joins = parts.Select(p => Join(url, data, p.Id, dir.File(p.Id + ".h5ad"), "--retry-for", "60s")).ToList();
        CliProcess? second = null;
        try
        {
            first.WaitForLine(@"round 3/8", Long);
            first.Kill();
            Assert.True(File.Exists(dir.File("checkpoint.json")));
            Assert.DoesNotContain("federated run complete", first.Output);
            second = new CliProcess("serve 2", ["serve", "--listen", "http://127.0.0.1:" + port, "--clients", "3", .. method,
                "--round-timeout", "20s", "--checkpoint", dir.Path, "--resume"]);
            foreach (var j in joins) Assert.True(await j.WaitForExitAsync(Long) == 0, j.Output + "\n--- server:\n" + second.Output);
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, second.Output);
        }
        finally { foreach (var j in joins) j.Dispose(); first.Dispose(); second?.Dispose(); }
        Assert.Contains("resuming from", second!.Output);
        foreach (var (id, rows) in parts)
            AssertRowsEqual(expected.Refined, Read(dir.File(id + ".h5ad"), "X_scbatchprox"), rows);
    }
}
