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

/// <summary>What a site keeps after the run: the output holding this batch's refined rows, and the model (the global part plus this batch's parameters).</summary>
public sealed record SiteResult(string ClientId, Embedding Refined, double MeanShift, int Sessions, RefinementModel Model);

/// <summary>
/// Runs one batch as a client against a remote coordinator. The client's training state (its
/// FiLM parameters and optimiser state) lives for the whole call: when the session breaks, the
/// site reconnects, says it holds the setup state, and continues. An answer already computed for
/// a round is re-sent instead of training twice when the server asks again.
/// </summary>
public sealed class SiteClient : IDisposable
{
    readonly BatchClient _client;
    readonly Embedding _output;
    readonly SiteSettings _s;
    readonly GrpcChannel _channel;
    readonly Action<string> _log;

    /// <param name="output">Where the final step writes the batch's refined rows (at their rows in the client's source embedding);
    /// null: a new embedding of the source's shape.</param>
    public SiteClient(BatchClient client, SiteSettings settings, Embedding? output = null)
    {
        _client = client; _s = settings; _log = settings.Log ?? (_ => { });
        _output = output ?? new Embedding(client.Cells.Source.Rows, client.Cells.Cols);
        var url = settings.Server;
        if (url.Scheme != "http" && url.Scheme != "https") throw new ArgumentException($"server '{url}' is not an http:// or https:// URL.");
        if (url.Scheme == "http" && !Tls.IsLoopback(url.Host) && !settings.Insecure)
            throw InputError.ForOption(nameof(settings.Insecure), $"refusing to talk plain HTTP to '{url.Host}', which is not a loopback address; use https://, or set {{option}}.");
        if (url.Scheme == "http" && (settings.CaFile != null || settings.CertFile != null))
            throw new ArgumentException("a CA bundle or a client certificate needs an https:// server URL.");
        if ((settings.CertFile is null) != (settings.KeyFile is null)) throw new ArgumentException("a client certificate and its key go together.");
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

    public string ClientId => _client.Id;

    public async Task<SiteResult> RunAsync(CancellationToken cancel = default)
    {
        var grpc = new P.Federation.FederationClient(_channel);
        var headers = new Metadata();
        if (_s.Token != null) headers.Add("authorization", "Bearer " + _s.Token);
        var state = new SiteProtocol(_client, _output);
        int sessions = 0;
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
                    Join = new P.Join { ClientId = _client.Id, HasSetup = state.HasSetup, Protocol = ProtoMap.ProtocolVersion },
                }, cancel);
                if (sessions > 1) _log($"{_client.Id}: reconnected (session {sessions}{(state.HasSetup ? ", keeping local state" : "")})");
                while (await call.ResponseStream.MoveNext(cancel))
                {
                    lastContact = DateTime.UtcNow; backoff = TimeSpan.FromMilliseconds(200);
                    var m = call.ResponseStream.Current;
                    if (m.Done is { } done)
                    {
                        try { await call.RequestStream.CompleteAsync(); } catch (Exception) { }
                        if (!done.Ok) throw new FederationException($"{_client.Id}: the server ended the run: {done.Message}");
                        return state.Result(sessions);
                    }
                    var answer = await Task.Run(() => state.Answer(m), cancel);
                    await call.RequestStream.WriteAsync(answer, cancel);
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
            if (state.Finished)
            {
                _log($"{_client.Id}: the session ended after the final step ({lastError}); keeping the result");
                return state.Result(sessions);
            }
            if (DateTime.UtcNow - lastContact > _s.RetryFor)
                throw new FederationException($"{_client.Id}: cannot reach the server at {_s.Server} for {_s.RetryFor.TotalSeconds:F0} s: {lastError}");
            _log($"{_client.Id}: connection lost ({lastError}); retrying in {backoff.TotalMilliseconds:F0} ms");
            await Task.Delay(backoff, cancel);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(3).Ticks));
        }
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

/// <summary>
/// The client side of the protocol for one batch, independent of the transport: it answers each
/// server message with one client message and holds what the site keeps between sessions of one
/// run (setup, training state, the last answer, the result).
/// </summary>
public sealed class SiteProtocol(BatchClient client, Embedding output)
{
    SetupMessage? _setup;
    LocalTrainer? _trainer;
    (P.ServerMessage.BodyOneofCase Kind, int Round, P.ClientMessage Answer)? _last;
    FinalBroadcast? _final;
    FinalReport? _report;

    public string ClientId => client.Id;
    /// <summary>Whether this process holds the run's setup state (said when rejoining).</summary>
    public bool HasSetup => _trainer != null;
    /// <summary>Whether the final step ran here, so the refined rows exist.</summary>
    public bool Finished => _report != null;

    /// <summary>The answer to one server message; a round or final step asked again after a reconnect gets the same answer, not a second training.</summary>
    public P.ClientMessage Answer(P.ServerMessage m)
    {
        int round = m.BodyCase switch { P.ServerMessage.BodyOneofCase.Round => m.Round.Round, P.ServerMessage.BodyOneofCase.Final => m.Final.Round, _ => 0 };
        if (_last is { } l && l.Kind == m.BodyCase && l.Round == round && m.BodyCase is P.ServerMessage.BodyOneofCase.Round or P.ServerMessage.BodyOneofCase.Final)
            return l.Answer;
        P.ClientMessage answer;
        switch (m.BodyCase)
        {
            case P.ServerMessage.BodyOneofCase.StatisticsRequest:
                answer = ProtoMap.ToProto(client.Statistics());
                break;
            case P.ServerMessage.BodyOneofCase.Setup:
                _setup = ProtoMap.FromProto(m.Setup);
                _trainer = client.Setup(_setup);
                answer = ProtoMap.ToProto(_trainer.Centroids(_setup.PrototypeCount));
                break;
            case P.ServerMessage.BodyOneofCase.Round:
                answer = ProtoMap.ToProto(Trainer.Train(ProtoMap.FromProto(m.Round)));
                break;
            case P.ServerMessage.BodyOneofCase.Final:
                _final = ProtoMap.FromProto(m.Final);
                _report = Trainer.Finish(_final, output, Environment.ProcessorCount);
                answer = ProtoMap.ToProto(_report);
                break;
            default:
                throw new FederationException($"{client.Id}: the server sent a {m.BodyCase} message, which this site does not understand.");
        }
        _last = (m.BodyCase, round, answer);
        return answer;
    }

    LocalTrainer Trainer => _trainer ?? throw new FederationException($"{client.Id}: the server sent a round before the setup (protocol error).");

    /// <summary>The refined rows and the site's model; only after the final step.</summary>
    public SiteResult Result(int sessions)
    {
        if (_final is null || _setup is null || _trainer is null || _report is null)
            throw new FederationException($"{client.Id}: the run ended before this client received the final parameters.");
        var model = RefinementModel.FromRun(_setup.Options, _setup.Normalisation, _final,
            [new BatchParameters { Batch = client.Id, Cells = client.CellCount, Training = BatchTraining.Federated, Film = (float[])_trainer.Film.Clone() }]);
        return new SiteResult(client.Id, output, _report.MeanShift, sessions, model);
    }
}
