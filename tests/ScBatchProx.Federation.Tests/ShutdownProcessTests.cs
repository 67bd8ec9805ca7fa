using System.Diagnostics;

namespace ScBatchProx.Federation.Tests;

/// <summary>Ctrl-C and SIGTERM stop 'serve' and 'join' cleanly, waiting or mid-run, with exit codes 130 and 143.</summary>
public class ShutdownProcessTests
{
    const int SigInt = 2, SigTerm = 15;
    // "within a few seconds": the server tells its sites (2 s at most) and stops Kestrel (2 s at
    // most); the rest is slack for a loaded machine
    static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);
    static readonly TimeSpan Long = TimeSpan.FromSeconds(180);

    [SkippableFact]
    public async Task CtrlCStopsAWaitingSiteAndAWaitingServer()
    {
        Skip.If(CliProcess.Ignores(SigInt), "SIGINT is ignored by this test process (started as a background job), so the processes it starts never see it");
        using var dir = new TempDir();
        var (sim, data) = JoinProcessTests.WriteData(dir, 600);
        var batch = InProcessTransportTests.Split(sim.Batch)[0].Id;
        using var serve = JoinProcessTests.Serve("serve");   // waits for 3 clients
        var url = JoinProcessTests.PlainUrl(serve);
        using var join = JoinProcessTests.Join(url, data, batch, dir.File("out.h5ad"));
        serve.WaitForLine($"client '{batch}' connected", Long);

        join.Signal(SigInt);
        Assert.Equal(130, await join.WaitForExitAsync(Prompt));
        Assert.False(File.Exists(dir.File("out.h5ad")), join.Output);
        serve.WaitForLine($"client '{batch}' disconnected", Prompt);

        serve.Signal(SigInt);
        Assert.Equal(130, await serve.WaitForExitAsync(Prompt));
        Assert.Contains("SIGINT received: stopping", serve.Output);
        Assert.Contains("run cancelled", serve.Output);
        Assert.DoesNotContain("   at ", serve.Output + join.Output);
    }

    [Fact]
    public async Task SigtermMidRunKeepsTheCheckpointTellsTheSitesAndExits143()
    {
        using var dir = new TempDir();
        var (sim, data) = JoinProcessTests.WriteData(dir, 1500);
        // rounds of 100 local epochs: the signal arrives while the sites train
        using var serve = JoinProcessTests.Serve("serve", "--rounds", "50", "--tol", "0", "--epochs", "100", "--round-timeout", "60s", "--checkpoint", dir.Path);
        var url = JoinProcessTests.PlainUrl(serve);
        var parts = InProcessTransportTests.Split(sim.Batch);
        var joins = parts.Select(p => JoinProcessTests.Join(url, data, p.Id, dir.File(p.Id + ".h5ad"))).ToList();
        try
        {
            serve.WaitForLine(@"round 2/50", Long);
            var clock = Stopwatch.StartNew();
            serve.Signal(SigTerm);
            Assert.Equal(143, await serve.WaitForExitAsync(Prompt));
            foreach (var j in joins)
            {
                // a site finishes the round it is training, then reads the server's last word
                Assert.Equal(1, await j.WaitForExitAsync(Prompt));
                Assert.Contains("the server ended the run: the coordinator was stopped; the run is cancelled", j.Output);
                Assert.DoesNotContain("   at ", j.Output);
            }
            Assert.True(clock.Elapsed < Prompt, $"took {clock.Elapsed}");
        }
        finally { foreach (var j in joins) j.Dispose(); }
        Assert.Contains("SIGTERM received: stopping", serve.Output);
        Assert.Contains($"the checkpoint {dir.File("checkpoint.json")} is kept", serve.Output);
        Assert.DoesNotContain("   at ", serve.Output);
        Assert.True(Checkpoint.Load(dir.File("checkpoint.json")).RoundsRun >= 2);
        foreach (var (id, _) in parts) Assert.False(File.Exists(dir.File(id + ".h5ad")), $"{id}: an output was written");
    }
}
