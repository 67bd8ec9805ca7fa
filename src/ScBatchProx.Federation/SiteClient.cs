using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using ScBatchProx.Data;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Model;
using P = ScBatchProx.Federation.Protocol;

namespace ScBatchProx.Federation;

/// <summary>How a site reaches the coordinator.</summary>
public sealed record SiteSettings
{
    public required Uri Server { get; init; }
    public string? Token { get; init; }
    /// <summary>PEM CA bundle that issued the server certificate (else the system trust store).</summary>
    public string? CaFile { get; init; }
    /// <summary>Client certificate and key (PEM) for mutual TLS.</summary>
    public string? CertFile { get; init; }
    public string? KeyFile { get; init; }
    /// <summary>Allow plain HTTP to a non-loopback server.</summary>
    public bool Insecure { get; init; }
    /// <summary>Give up after this long without reaching the server.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromMinutes(2);
    public Action<string>? Log { get; init; }
}

/// <summary>The server refused the site or the run failed; not retried.</summary>
public sealed class FederationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What a site keeps after the run: its refined rows and its own part of the model.</summary>
public sealed record SiteResult(string ClientId, Embedding Refined, double MeanShift, int Sessions, RefinementModel? Model);

/// <summary>
/// Runs one <see cref="BatchClient"/> (one batch) against a remote coordinator. The client object,
/// and so its FiLM parameters and optimiser state, lives for the whole call: when the session
/// breaks, the site reconnects, says it holds the setup state, and continues. An answer already
/// computed for a round is re-sent instead of training twice when the server asks again.
/// </summary>
public sealed class SiteClient : IDisposable
{
    readonly BatchClient _client;
    readonly SiteSettings _s;
    readonly GrpcChannel _channel;
    readonly Action<string> _log;

    public SiteClient(BatchClient client, SiteSettings settings)
    {
        _client = client; _s = settings; _log = settings.Log ?? (_ => { });
        var url = settings.Server;
        if (url.Scheme != "http" && url.Scheme != "https") throw new ArgumentException($"--server: '{url}' is not an http:// or https:// URL.");
        if (url.Scheme == "http" && !Tls.IsLoopback(url.Host) && !settings.Insecure)
            throw new ArgumentException($"refusing to talk plain HTTP to '{url.Host}', which is not a loopback address; use https:// or pass --insecure.");
        if (url.Scheme == "http" && (settings.CaFile != null || settings.CertFile != null))
            throw new ArgumentException("--ca/--cert need an https:// --server URL.");
        if ((settings.CertFile is null) != (settings.KeyFile is null)) throw new ArgumentException("--cert and --cert-key go together.");
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (url.Scheme == "https")
        {
            var ca = settings.CaFile is null ? null : Tls.LoadBundle(settings.CaFile);
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Tls.ServerValidator(ca, m => _log($"{client.Id}: {m}")) };
            if (settings.CertFile != null)
                handler.SslOptions.ClientCertificates = new X509CertificateCollection { Tls.LoadPair(settings.CertFile, settings.KeyFile!) };
        }
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = handler, MaxReceiveMessageSize = 256 * 1024 * 1024, MaxSendMessageSize = 256 * 1024 * 1024,
        });
    }

    public BatchClient Client => _client;

    public async Task<SiteResult> RunAsync(CancellationToken cancel = default)
    {
        var grpc = new P.Federation.FederationClient(_channel);
        var headers = new Metadata();
        if (_s.Token != null) headers.Add("authorization", "Bearer " + _s.Token);
        bool hasSetup = false;
        int sessions = 0;
        (BroadcastKind Kind, int Round, P.ClientUpdate Answer)? last = null;
        ServerBroadcast? setup = null, lastRound = null, final = null;
        ClientUpdate? finalAnswer = null;
        var lastContact = DateTime.UtcNow;
        var backoff = TimeSpan.FromMilliseconds(200);
        string lastError = "";
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                using var call = grpc.Session(headers, cancellationToken: cancel);
                sessions++;
                await call.RequestStream.WriteAsync(new P.ClientMessage
                {
                    Join = new P.Join { ClientId = _client.Id, HasSetup = hasSetup, Protocol = ProtoMap.ProtocolVersion },
                }, cancel);
                if (sessions > 1) _log($"{_client.Id}: reconnected (session {sessions}{(hasSetup ? ", keeping local state" : "")})");
                while (await call.ResponseStream.MoveNext(cancel))
                {
                    lastContact = DateTime.UtcNow; backoff = TimeSpan.FromMilliseconds(200);
                    var m = call.ResponseStream.Current;
                    if (m.Done is { } done)
                    {
                        try { await call.RequestStream.CompleteAsync(); } catch (Exception) { }
                        if (!done.Ok) throw new FederationException($"{_client.Id}: the server ended the run: {done.Message}");
                        return Result(sessions, setup, lastRound, final, finalAnswer);
                    }
                    if (m.Broadcast is null) continue;
                    var b = ProtoMap.FromProto(m.Broadcast);
                    P.ClientUpdate answer;
                    if (last is { } l && l.Kind == b.Kind && l.Round == b.Round && b.Kind is BroadcastKind.Round or BroadcastKind.Final)
                        answer = l.Answer;   // asked again after a reconnect: resend, do not train twice
                    else
                    {
                        var u = await Task.Run(() => _client.Handle(b), cancel);
                        answer = ProtoMap.ToProto(u);
                        last = (b.Kind, b.Round, answer);
                        switch (b.Kind)
                        {
                            case BroadcastKind.Setup: setup = b; hasSetup = true; break;
                            case BroadcastKind.Round: lastRound = b; break;
                            case BroadcastKind.Final: final = b; finalAnswer = u; break;
                        }
                    }
                    await call.RequestStream.WriteAsync(new P.ClientMessage { Update = answer }, cancel);
                }
                lastError = "the server closed the session";
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
            {
                throw new FederationException($"{_client.Id}: the server refused the session: {e.Status.Detail}", e);
            }
            catch (Exception e) when (FindTls(e) is { } tls)
            {
                throw new FederationException($"{_client.Id}: TLS handshake with {_s.Server} failed: {tls.Message}", e);
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException or ObjectDisposedException && !cancel.IsCancellationRequested)
            {
                lastError = e is RpcException r ? $"{r.StatusCode}: {r.Status.Detail}" : e.Message;
            }
            if (final != null && _client.Output != null)
            {
                _log($"{_client.Id}: the session ended after the final step ({lastError}); keeping the result");
                return Result(sessions, setup, lastRound, final, finalAnswer);
            }
            if (DateTime.UtcNow - lastContact > _s.RetryFor)
                throw new FederationException($"{_client.Id}: cannot reach the server at {_s.Server} for {_s.RetryFor.TotalSeconds:F0} s: {lastError}");
            _log($"{_client.Id}: connection lost ({lastError}); retrying in {backoff.TotalMilliseconds:F0} ms");
            await Task.Delay(backoff, cancel);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(3).Ticks));
        }
    }

    SiteResult Result(int sessions, ServerBroadcast? setup, ServerBroadcast? round, ServerBroadcast? final, ClientUpdate? finalAnswer)
    {
        if (_client.Output is null || final is null) throw new FederationException($"{_client.Id}: the run ended before this client received the final parameters.");
        RefinementModel? model = setup is null || round is null ? null : new RefinementModel
        {
            Options = setup.Options, Dim = setup.Dim, Mean = setup.Mean!, Scale = setup.Scale, Theta = final.Theta!,
            Prototypes = round.Prototypes!, Masses = round.Masses!, RoundsRun = final.Round,
            Batches = [new BatchParameters(_client.Id, _client.CellCount, (float[])_client.Film.Clone(), (float[])_client.LocalTheta.Clone())],
        };
        return new SiteResult(_client.Id, _client.Output, finalAnswer?.MeanShift ?? double.NaN, sessions, model);
    }

    static AuthenticationException? FindTls(Exception? e)
    {
        for (; e != null; e = e.InnerException)
        {
            if (e is AuthenticationException a) return a;
            if (e is RpcException { Status.DebugException: { } debug } && FindTls(debug) is { } inner) return inner;
        }
        return null;
    }

    public void Dispose() => _channel.Dispose();
}
