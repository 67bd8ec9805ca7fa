using System.Text.RegularExpressions;
using ScBatchProx.Core;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Data.Simulation;

namespace ScBatchProx.Federation.Tests;

/// <summary>
/// A federated soak on loopback: ten sites for fifty rounds against a 'serve' process. Every third
/// round one site's connection is reset (a different site each time), and once the server process
/// is killed and restarted with --resume. The sites keep their state through all of it, so the
/// refined rows must equal the in-process run bit for bit. Rounds are tiny (60 cells a site,
/// one local epoch, h = 8) so the run is bounded by the faults, not the training.
/// </summary>
public class SoakProcessTests
{
    const int Sites = 10, Rounds = 50, CutEvery = 3, RestartAt = 24, LastCut = 42;

    /// <summary>
    /// The last round this server process reports done: a tiny round can finish before the test
    /// reads the line of the one before. A resumed server reports one only once every site is back.
    /// </summary>
    static int LatestRound(CliProcess server) =>
        Regex.Matches(server.Output, $@"round (\d+)/{Rounds}:").Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();

    static async Task WaitForRoundAsync(CliProcess server, int round, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        while (LatestRound(server) < round)
        {
            if (server.HasExited) throw new InvalidOperationException($"{server.Name} exited before round {round}:\n{server.Output}");
            await Task.Delay(20, limit.Token);
        }
    }

    [Fact]
    public async Task TenSitesFiftyRoundsWithResetLinksAndAServerRestartMatchTheInProcessRunBitForBit()
    {
        using var dir = new TempDir();
        var sim = Simulator.Generate(new SimulationOptions { Cells = 60 * Sites, Batches = Sites, Dims = 10, Seed = 31 });
        var options = new RefineOptions { Rounds = Rounds, Tolerance = 0, LocalEpochs = 1, Hidden = 8, Prototypes = 6, Seed = 11 };
        var expected = await Refiner.FitAsync(sim.Embedding, sim.Batch, options, new FitSettings { Threads = 2 });
        string[] Serve(int port, params string[] extra) =>
            ["serve", "--listen", $"http://127.0.0.1:{port}", "--clients", $"{Sites}", "--rounds", $"{Rounds}", "--tol", "0", "--epochs", "1",
             "--hidden", "8", "--prototypes", "6", "--seed", "11", "--round-timeout", "60s", "--checkpoint", dir.Path, .. extra];

        var server = new CliProcess("serve 1", Serve(0));
        var first = server;
        CliProcess? second = null;
        int port = int.Parse(server.WaitForLine(@"listening on http://127\.0\.0\.1:(\d+)", TimeSpan.FromSeconds(60)).Groups[1].Value);
        var parts = InProcessTransportTests.Split(sim.Batch);
        Assert.Equal(Sites, parts.Count);
        var relays = parts.Select(_ => new LoopbackRelay(port)).ToList();
        var sites = parts.Select((p, i) => new SiteClient(new BatchClient(p.Id, sim.Embedding.SelectRows(p.Rows)),
            new SiteSettings { Server = new Uri($"http://127.0.0.1:{relays[i].Port}"), RetryFor = TimeSpan.FromSeconds(90) })).ToList();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            var runs = sites.Select(s => s.RunAsync(timeout.Token)).ToList();
            // the last reset leaves the sites eight rounds, each stalled by the reset site's reconnect, before the run ends
            for (int round = CutEvery; round <= LastCut; round += CutEvery)
            {
                await WaitForRoundAsync(server, round, TimeSpan.FromSeconds(120));
                if (round == RestartAt)
                {
                    first.Kill();   // SIGKILL: no word to the sites, the checkpoint of the last aggregated round stays
                    second = server = new CliProcess("serve 2", Serve(port, "--resume"));
                }
                else relays[round / CutEvery % Sites].Cut();
            }
            var results = await Task.WhenAll(runs).WaitAsync(timeout.Token);
            Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, server.Output);

            for (int c = 0; c < Sites; c++)
                Assert.Equal(expected.Refined.SelectRows(parts[c].Rows).Data, results[c].Refine(sim.Embedding.SelectRows(parts[c].Rows)).Data);
            // every site rejoined the restarted server; each site whose link was reset rejoined once more
            for (int c = 0; c < Sites; c++)
                Assert.True(results[c].Sessions >= 2 + relays[c].Cuts, $"{parts[c].Id}: {results[c].Sessions} session(s), {relays[c].Cuts} cut(s)");
            Assert.Equal(LastCut / CutEvery - 1, relays.Sum(r => r.Cuts));
        }
        finally
        {
            foreach (var s in sites) s.Dispose();
            foreach (var r in relays) r.Dispose();
            first.Dispose(); second?.Dispose();
        }
        Assert.Contains("resuming from", second!.Output);
        Assert.Contains($"federated run complete: {Rounds} round(s)", second.Output);
    }
}
