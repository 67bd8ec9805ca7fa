using System.Net;
using System.Net.Sockets;

namespace ScBatchProx.Federation.Tests;

/// <summary>Bad input to 'serve' and 'join': exit code 2 and one line naming the option or file, before any run starts.</summary>
public class BadInputProcessTests
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    static async Task AssertRejected(string[] mustContain, params string[] args)
    {
        var (exit, output) = await CliProcess.RunAsync(Limit, args);
        Assert.True(exit == 2, $"exit {exit}: {output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: "), output);
        foreach (var part in mustContain) Assert.Contains(part, output);
    }

    [Fact]
    public async Task ServeRefusesAnAddressInUseAModelFolderThatDoesNotExistAndAKeyOfAnotherCertificate()
    {
        using var dir = new TempDir();
        var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        try
        {
            int port = ((IPEndPoint)busy.LocalEndpoint).Port;
            await AssertRejected(["--listen", $"127.0.0.1:{port}", "cannot listen there"], "serve", "--listen", $"http://127.0.0.1:{port}", "--clients", "1");
        }
        finally { busy.Stop(); }
        // checked before the run, not when the model is written after it
        var model = Path.Combine(dir.Path, "missing", "model.json");
        await AssertRejected([model, "does not exist"], "serve", "--listen", "http://127.0.0.1:0", "--clients", "1", "--model-out", model);

        var ca = TestCerts.Ca("test CA");
        var (crt, _) = TestCerts.WritePem(TestCerts.Leaf(ca, "coordinator", server: true), dir.Path, "server");
        var (_, otherKey) = TestCerts.WritePem(TestCerts.Leaf(ca, "other", server: true), dir.Path, "other");
        await AssertRejected([crt, otherKey, "not a PEM certificate and its matching key"],
            "serve", "--listen", "https://127.0.0.1:0", "--clients", "1", "--tls-cert", crt, "--tls-key", otherKey);
    }

    [Fact]
    public async Task JoinNamesTheFlagOfABadConnectionSetting()
    {
        using var dir = new TempDir();
        var (_, data) = JoinProcessTests.WriteData(dir, 300);
        var ca = TestCerts.Ca("test CA");
        var (crt, _) = TestCerts.WritePem(TestCerts.Leaf(ca, "site", server: false), dir.Path, "site");
        string[] common = ["join", data, "--embed", "X_sim", "--batch", "batch", "--out", dir.File("out.h5ad")];
        await AssertRejected(["--server", "ftp://127.0.0.1:7000/", "not an http:// or https:// URL"], [.. common, "--server", "ftp://127.0.0.1:7000"]);
        await AssertRejected(["--cert-key is missing"], [.. common, "--server", "https://127.0.0.1:7000", "--cert", crt]);
        await AssertRejected(["--ca", "needs an https:// server URL"], [.. common, "--server", "http://127.0.0.1:7000", "--ca", crt]);
        Assert.False(File.Exists(dir.File("out.h5ad")));
    }
}
