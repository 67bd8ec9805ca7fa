using System.Net.Sockets;
using ScBatchProx.Core;
using ScBatchProx.Core.Method;

namespace ScBatchProx.Federation.Tests;

/// <summary>Which sessions 'serve' admits: one live session per batch, no more batches than --clients; and where it says it listens.</summary>
public class AdmissionProcessTests
{
    static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);
    static readonly TimeSpan Long = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task ASecondSiteClaimingALiveBatchIsRefusedAndTheRunStillMatchesRefine()
    {
        using var dir = new TempDir();
        var (sim, data) = JoinProcessTests.WriteData(dir, 900);
        var expected = await Refiner.FitAsync(sim.Embedding, sim.Batch, new RefineOptions { Rounds = 3, Seed = 4 }, new FitSettings { Threads = 2 });
        using var serve = JoinProcessTests.Serve("serve", "--rounds", "3", "--seed", "4");
        var url = JoinProcessTests.PlainUrl(serve);
        var parts = InProcessTransportTests.Split(sim.Batch);
        string taken = parts[0].Id;
        var joins = new List<CliProcess> { JoinProcessTests.Join(url, data, taken, dir.File("first.h5ad")) };
        try
        {
            serve.WaitForLine($"client '{taken}' connected", Long);
            var second = JoinProcessTests.Join(url, data, taken, dir.File("second.h5ad"));
            joins.Add(second);
            Assert.True(await second.WaitForExitAsync(Prompt) == 2, second.Output);
            Assert.Contains($"refused the session: batch '{taken}' is already taken by a live session from", second.Output);
            Assert.False(File.Exists(dir.File("second.h5ad")));
            serve.WaitForLine($"refused session from .*: batch '{taken}' is already taken by a live session", Prompt);

            joins.AddRange(parts.Skip(1).Select(p => JoinProcessTests.Join(url, data, p.Id, dir.File(p.Id + ".h5ad"))));
            foreach (var j in joins.Where(j => j != second)) Assert.True(await j.WaitForExitAsync(Long) == 0, j.Output);
            Assert.True(await serve.WaitForExitAsync(Prompt) == 0, serve.Output);
        }
        finally { foreach (var j in joins) j.Dispose(); }
        Assert.DoesNotContain("replaced", serve.Output);
        JoinProcessTests.AssertRowsEqual(expected.Refined, JoinProcessTests.Read(dir.File("first.h5ad"), "X_scbatchprox"), parts[0].Rows);
    }

    [Fact]
    public async Task ASiteWithMoreBatchesThanTheServerExpectsIsRefusedAndWritesNothing()
    {
        using var dir = new TempDir();
        var (_, data) = JoinProcessTests.WriteData(dir, 600);
        using var serve = new CliProcess("serve", "serve", "--listen", "http://127.0.0.1:0", "--clients", "1", "--round-timeout", "5s");
        var url = JoinProcessTests.PlainUrl(serve);
        // every batch of the file: three clients for a server that expects one
        using var join = new CliProcess("join", "join", data, "--server", url, "--embed", "X_sim", "--batch", "batch", "--out", dir.File("out.h5ad"));
        Assert.True(await join.WaitForExitAsync(Prompt) == 2, join.Output);
        Assert.Matches(@"error: batch\d: the server at .* refused the session: unknown client id 'batch\d': the run already has all 1 client\(s\) it expects \('batch\d'\)", join.Output);
        Assert.False(File.Exists(dir.File("out.h5ad")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
        serve.WaitForLine(@"refused session from .*: unknown client id 'batch\d': the run already has all 1 client\(s\) it expects", Prompt);
        // the one admitted batch left with its site; the run cannot start without it
        Assert.True(await serve.WaitForExitAsync(Prompt) == 1, serve.Output);
        Assert.Matches(@"error: the run failed: client 'batch\d' is not connected and did not come back within 5 s", serve.Output);
        Assert.DoesNotContain("   at ", serve.Output + join.Output);
    }

    [Fact]
    public async Task ListeningOnEveryInterfaceLogsTheAddressActuallyBound()
    {
        using var serve = new CliProcess("serve", "serve", "--listen", "http://0.0.0.0:0", "--insecure", "--clients", "1");
        int port = int.Parse(serve.WaitForLine(@"listening on http://0\.0\.0\.0:(\d+), every interface \(plain HTTP", TimeSpan.FromSeconds(60)).Groups[1].Value);
        using (var probe = new TcpClient()) await probe.ConnectAsync("127.0.0.1", port);   // the port it names is the one it listens on
        serve.Signal(15);
        Assert.Equal(143, await serve.WaitForExitAsync(Prompt));
    }
}
