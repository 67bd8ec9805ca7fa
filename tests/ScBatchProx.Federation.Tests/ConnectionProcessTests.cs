using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ScBatchProx.Federation.Tests;

/// <summary>How long and how loudly a site tries to reach its server: never reached (30 s by default) and reached, then lost (--retry-for).</summary>
public class ConnectionProcessTests
{
    static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task AServerThatWasNeverReachedIsGivenUpAfterThirtySecondsWithOneLinePerTry()
    {
        using var dir = new TempDir();
        var (_, data) = JoinProcessTests.WriteData(dir, 300);
        string url = $"http://127.0.0.1:{ClosedPort()}/";
        var clock = Stopwatch.StartNew();
        var (exit, output) = await CliProcess.RunAsync(TimeSpan.FromSeconds(90), "join", data, "--server", url, "--embed", "X_sim", "--batch", "batch",
            "--batches", "batch1", "--out", dir.File("out.h5ad"));
        var took = clock.Elapsed;
        Assert.True(exit == 1, $"exit {exit}: {output}");
        // the default first-contact period (30 s) plus process start-up, well short of the 2 min kept once the server was reached
        Assert.InRange(took.TotalSeconds, 30, 60);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tries = lines.Where(l => l.Contains("cannot reach the server")).ToList();
        Assert.All(tries, l => Assert.Matches(
            $@"\] batch1: cannot reach the server at {Regex.Escape(url)} \(connection refused\); next try in [\d.]+ m?s, giving up in [\d.]+ m?s$", l));
        // the first failure, then one line per try once tries are >= 1 s apart (1.6 s, then every 3 s)
        Assert.InRange(tries.Count, 8, 13);
        Assert.Equal(lines.Length, tries.Count + 2);   // plus "joining ..." and the error
        Assert.Equal($"error: batch1: could not reach the server at {url} within 30 s (connection refused)", lines[^1]);
        foreach (var jargon in new[] { "Exception", "gRPC", "subchannel", "Unavailable", "   at " }) Assert.DoesNotContain(jargon, output);
    }

    [Fact]
    public async Task OnceReachedAServerIsTriedForTheLongerRetryPeriod()
    {
        using var dir = new TempDir();
        var (_, data) = JoinProcessTests.WriteData(dir, 300);
        using var serve = JoinProcessTests.Serve("serve");   // waits for 3 clients: the site is admitted, then waits
        var url = JoinProcessTests.PlainUrl(serve);
        using var join = JoinProcessTests.Join(url, data, "batch1", dir.File("out.h5ad"), "--connect-for", "2s", "--retry-for", "8s");
        serve.WaitForLine("client 'batch1' connected", TimeSpan.FromSeconds(120));
        join.WaitForLine("batch1: joined the run at", TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        serve.Kill();
        Assert.Equal(1, await join.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        // --retry-for (8 s from the last contact), not --connect-for (2 s)
        Assert.InRange(clock.Elapsed.TotalSeconds, 6, 40);
        Assert.Contains("batch1: lost the session with", join.Output);
        Assert.Contains($"error: batch1: lost the server at {url}/ for 8 s (connection refused)", join.Output);
        Assert.DoesNotContain("cannot reach the server", join.Output);
    }
}
