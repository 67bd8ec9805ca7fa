using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using ScBatchProx.Core.Federation;
using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using P = ScBatchProx.Federation.Protocol;

namespace ScBatchProx.Federation.Tests;

/// <summary>A real 'serve' process with TLS, mutual TLS and a token; clients in this process, some of them hostile.</summary>
public class SecurityProcessTests
{
    static SocketsHttpHandler Handler(string caFile, X509Certificate2? clientCert)
    {
        var ca = Tls.LoadBundle(caFile);
        var h = new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Tls.ServerValidator(ca, null) } };
        if (clientCert != null) h.SslOptions.ClientCertificates = new X509CertificateCollection { clientCert };
        return h;
    }

    /// <summary>Plays a client correctly except in rounds 2-5, where it sends a malformed update of each kind.</summary>
    static async Task TamperAsync(Uri server, string token, string caFile, X509Certificate2 cert, BatchClient client, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions { HttpHandler = Handler(caFile, cert) });
        var grpc = new P.Federation.FederationClient(channel);
        using var call = grpc.Session(new Metadata { { "authorization", "Bearer " + token } }, cancellationToken: ct);
        await call.RequestStream.WriteAsync(new P.ClientMessage { Join = new P.Join { ClientId = client.Id, Protocol = ProtoMap.ProtocolVersion } }, ct);
        var protocol = new SiteProtocol(client);
        while (await call.ResponseStream.MoveNext(ct))
        {
            var m = call.ResponseStream.Current;
            if (m.Done != null) { await call.RequestStream.CompleteAsync(); return; }
            var answer = protocol.Answer(m).Clone();
            if (answer.Round is { } p)
                switch (p.Round)
                {
                    case 2: p.Theta.Clear(); p.Theta.AddRange(new float[5]); break;          // wrong shape
                    case 3: p.PrototypeSums[0] = double.NaN; break;                           // NaN
                    case 4: p.Round = 3; break;                                              // stale round
                    case 5: p.Count += 1000; break;                                          // count differs
                }
            await call.RequestStream.WriteAsync(answer, ct);
        }
    }

    [Fact]
    public async Task BadTokenBadCertificatesAndMalformedUpdatesAreRejectedAndTheRunCompletes()
    {
        using var dir = new TempDir();
        var pki = TestPki.Write(dir.Path);
        File.WriteAllText(dir.File("token"), "s3cret-token\n");

        using var serve = new CliProcess("serve", "serve", "--listen", "https://127.0.0.1:0", "--clients", "3", "--min-clients", "2",
            "--round-timeout", "2s", "--rounds", "6", "--tol", "0", "--seed", "1", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey,
            "--client-ca", pki.ClientCa, "--token-file", dir.File("token"), "--model-out", dir.File("model.json"));
        var url = new Uri(serve.WaitForLine(@"listening on (https://127\.0\.0\.1:\d+)", TimeSpan.FromSeconds(60)).Groups[1].Value);

        var sim = Simulator.Generate(new SimulationOptions { Cells = 900, Batches = 3, Seed = 2 });
        var parts = InProcessTransportTests.Split(sim.Batch);
        BatchClient Client(int i) => new(parts[i].Id, sim.Embedding.SelectRows(parts[i].Rows));
        SiteSettings Settings(string? token = "s3cret-token", string? ca = null, string? crt = null, string? key = null, double retry = 30) => new()
        {
            Server = url, Token = token, CaFile = ca ?? pki.ServerCa, CertFile = crt ?? pki.ClientCert, KeyFile = key ?? pki.ClientKey,
            RetryFor = TimeSpan.FromSeconds(retry),
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));

        // wrong token: refused by the interceptor
        using (var s = new SiteClient(Client(0), Settings(token: "guess")))
        {
            var e = await Assert.ThrowsAsync<InputError>(() => s.RunAsync(timeout.Token));
            Assert.Contains("bad bearer token", e.Message);
        }
        // server certificate not issued by the CA the site trusts
        using (var s = new SiteClient(Client(0), Settings(ca: pki.RogueCa)))
        {
            var e = await Assert.ThrowsAsync<InputError>(() => s.RunAsync(timeout.Token));
            Assert.Contains("TLS", e.Message);
        }
        // client certificate not issued by --client-ca: the handshake is refused by the server
        using (var s = new SiteClient(Client(0), Settings(crt: pki.RogueCert, key: pki.RogueKey, retry: 3)))
            await Assert.ThrowsAsync<InputError>(() => s.RunAsync(timeout.Token));
        Assert.False(serve.HasExited, serve.Output);

        // two honest sites and one that sends malformed updates
        var honest = new[] { new SiteClient(Client(0), Settings()), new SiteClient(Client(1), Settings()) };
        var runs = honest.Select(h => h.RunAsync(timeout.Token)).ToList();
        var tamper = TamperAsync(url, "s3cret-token", pki.ServerCa, pki.Client, Client(2), timeout.Token);
        serve.WaitForLine(@"round 1/6", TimeSpan.FromSeconds(60));
        using (var s = new SiteClient(new BatchClient("mallory", sim.Embedding.SelectRows(parts[0].Rows)), Settings()))
        {
            var e = await Assert.ThrowsAsync<InputError>(() => s.RunAsync(timeout.Token));
            Assert.Contains("unknown client id 'mallory'", e.Message);
        }
        var results = await Task.WhenAll(runs);
        await tamper;
        Assert.Equal(0, await serve.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        foreach (var h in honest) h.Dispose();

        var log = serve.Output;
        Assert.Contains("bad bearer token", log);
        Assert.Contains("rejected TLS client certificate", log);
        Assert.Contains("theta has 5 values, expected", log);
        Assert.Contains("non-finite or negative values", log);
        Assert.Contains("stale round 3 (server is at round 4)", log);
        Assert.Contains("cell count", log);
        Assert.Contains("unknown client id 'mallory'", log);
        Assert.Contains("federated run complete: 6 round(s)", log);
        Assert.All(results, r => Assert.True(r.Model.Theta.All(float.IsFinite) && r.Model.Batches.All(b => b.Film!.All(float.IsFinite))));
        Assert.True(File.Exists(dir.File("model.json")));
    }

    /// <summary>A site that cannot take part because of TLS learns why at once, in one line; so does the server.</summary>
    [Fact]
    public async Task TlsAndSchemeMismatchesFailAtOnceWithOneLineOnBothSides()
    {
        using var dir = new TempDir();
        var pki = TestPki.Write(dir.Path);
        var (_, data) = JoinProcessTests.WriteData(dir, 300);
        using var tls = new CliProcess("serve tls", "serve", "--listen", "https://127.0.0.1:0", "--clients", "3", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey,
            "--client-ca", pki.ClientCa);
        var secure = new Uri(tls.WaitForLine(@"listening on (https://127\.0\.0\.1:\d+)", TimeSpan.FromSeconds(60)).Groups[1].Value);
        using var plain = new CliProcess("serve plain", "serve", "--listen", "http://127.0.0.1:0", "--clients", "3");
        var open = new Uri(JoinProcessTests.PlainUrl(plain));

        // each site would keep trying for a minute if it took the failure for a network problem
        async Task<string> Refused(string server, string mustSay, params string[] extra)
        {
            var (exit, output) = await CliProcess.RunAsync(TimeSpan.FromSeconds(40), ["join", data, "--server", server, "--embed", "X_sim", "--batch", "batch",
                "--batches", "batch1", "--out", dir.File("out.h5ad"), "--connect-for", "60s", .. extra]);
            Assert.True(exit == 2, $"exit {exit}: {output}");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 2, output);   // "joining ..." and the error
            Assert.StartsWith("error: batch1: ", lines[1]);
            Assert.Contains(mustSay, lines[1]);
            foreach (var jargon in new[] { "Exception", "gRPC", "subchannel", "Unavailable", "reconnected", "rejoined", "   at " }) Assert.DoesNotContain(jargon, output);
            return lines[1];
        }
        string https = secure.ToString(), http = open.ToString();
        await Refused(https, "refused the session: no TLS client certificate: this server requires mutual TLS", "--ca", pki.ServerCa);
        await Refused(https, "refused the session: rejected TLS client certificate 'CN=intruder': not issued by this server's client CA",
            "--ca", pki.ServerCa, "--cert", pki.RogueCert, "--cert-key", pki.RogueKey);
        await Refused(https.Replace("https://", "http://"), $"speaks TLS, not plain HTTP: use {https} in --server");
        await Refused(http.Replace("http://", "https://"), $"does not speak TLS: use {http} in --server");
        Assert.False(File.Exists(dir.File("out.h5ad")));

        tls.Signal(15); plain.Signal(15);
        Assert.Equal(143, await tls.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(143, await plain.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("no TLS client certificate: this server requires mutual TLS", tls.Output);
        Assert.Contains("rejected TLS client certificate 'CN=intruder'", tls.Output);
        Assert.Contains("it speaks plain HTTP to this TLS server", tls.Output);
        Assert.Contains("it starts a TLS handshake with this plain-HTTP server", plain.Output);
    }
}
