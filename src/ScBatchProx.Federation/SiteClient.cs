using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
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
    /// <summary>Give up when the server has not been reached at all for this long.</summary>
    public TimeSpan ConnectFor { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Once the server has been reached: give up after this long without contact.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromMinutes(2);
    public Action<string>? Log { get; init; }
}

/// <summary>The run failed or was ended by the server, or the server could not be reached; not retried.</summary>
public sealed class FederationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What a site keeps after the run: the model (the global part plus this batch's parameters); its transform gives the batch's refined rows.</summary>
public sealed record SiteResult(string ClientId, double MeanShift, int Sessions, RefinementModel Model)
{
    /// <summary>The batch's refined cells: <paramref name="cells"/> (this batch's rows) transformed by the site's model.</summary>
    public Embedding Refine(Embedding cells)
    {
        var output = new Embedding(cells.Rows, cells.Cols);
        Model.AdapterOf(Model.Find(ClientId)!).Apply(cells, RowView.All(cells).Rows, Model.Normalisation, output, Environment.ProcessorCount);
        return output;
    }
}

/// <summary>
/// Runs one batch as a client against a remote coordinator. The client's training state (its
/// FiLM parameters and optimiser state) lives for the whole call: when the session breaks, the
/// site reconnects, says it holds the setup state, and continues. An answer already computed for
/// a round is re-sent instead of training twice when the server asks again. A failure that
/// retrying cannot mend (the server refuses the session, the two sides disagree on TLS, the
/// server certificate is not trusted) ends the call at once with an <see cref="InputError"/>.
/// </summary>
public sealed class SiteClient : IDisposable
{
    static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200), MaxBackoff = TimeSpan.FromSeconds(3);

    readonly BatchClient _client;
    readonly SiteSettings _s;
    readonly GrpcChannel _channel;
    readonly Action<string> _log;
    // this process's claim of the batch: the same on every reconnect, so the server can tell a
    // reconnect from a second site claiming the batch
    readonly string _instance = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
    string? _certificateRefusal;   // why the last TLS handshake turned the server certificate down

    public SiteClient(BatchClient client, SiteSettings settings)
    {
        _client = client; _s = settings; _log = settings.Log ?? (_ => { });
        var url = settings.Server;
        if (url.Scheme != "http" && url.Scheme != "https") throw InputError.ForOption(nameof(settings.Server), $"{{option}}: '{url}' is not an http:// or https:// URL.");
        if (url.Scheme == "http" && !Tls.IsLoopback(url.Host) && !settings.Insecure)
            throw InputError.ForOption(nameof(settings.Insecure), $"refusing to talk plain HTTP to '{url.Host}', which is not a loopback address; use https://, or set {{option}}.");
        if (url.Scheme == "http" && settings.CaFile != null) throw InputError.ForOption(nameof(settings.CaFile), "a CA bundle ({option}) needs an https:// server URL.");
        if (url.Scheme == "http" && settings.CertFile != null) throw InputError.ForOption(nameof(settings.CertFile), "a client certificate ({option}) needs an https:// server URL.");
        if (settings.CertFile is null != settings.KeyFile is null)
            throw InputError.ForOption(settings.CertFile is null ? nameof(settings.CertFile) : nameof(settings.KeyFile), "a client certificate and its key go together: {option} is missing.");
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
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Tls.ServerValidator(ca, m => _certificateRefusal = m) };
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
        var state = new SiteProtocol(_client);
        string id = _client.Id;
        int sessions = 0;   // admitted sessions
        var lastContact = DateTime.UtcNow;
        var backoff = FirstBackoff;
        int failures = 0;   // failed attempts since the last contact
        while (true)
        {
            Exception failure;
            bool admitted = false;
            _certificateRefusal = null;
            try
            {
                using var call = grpc.Session(headers, cancellationToken: cancel);
                try
                {
                    await call.RequestStream.WriteAsync(new P.ClientMessage
                    {
                        Join = new P.Join { ClientId = id, HasSetup = state.HasSetup, Protocol = ProtoMap.ProtocolVersion, Instance = _instance },
                    }, cancel);
                }
                // a server that refuses the call (token, certificate) may end it while the Join is
                // still being sent; the failed write then says less than the call's status, read below
                catch (Exception e) when (!cancel.IsCancellationRequested && e is RpcException or InvalidOperationException or IOException) { }
                // a refused session has no admission header; its status surfaces on the first read
                if ((await call.ResponseHeadersAsync).GetValue(ProtoMap.AdmittedHeader) != null)
                {
                    admitted = true;
                    sessions++;
                    lastContact = DateTime.UtcNow; backoff = FirstBackoff; failures = 0;
                    _log(sessions == 1 ? $"{id}: joined the run at {_s.Server}" : $"{id}: rejoined (session {sessions}{(state.HasSetup ? ", keeping local state" : "")})");
                }
                while (await call.ResponseStream.MoveNext(cancel))
                {
                    lastContact = DateTime.UtcNow;
                    var m = call.ResponseStream.Current;
                    if (m.Done is { } done)
                    {
                        try { await call.RequestStream.CompleteAsync(); } catch (Exception) { }
                        if (!done.Ok) throw new FederationException($"{id}: the server ended the run: {done.Message}");
                        return state.Result(sessions);
                    }
                    var answer = await Task.Run(() => state.Answer(m), cancel);
                    await call.RequestStream.WriteAsync(answer, cancel);
                }
                failure = new IOException("the server closed the session");
            }
            catch (Exception) when (cancel.IsCancellationRequested) { throw new OperationCanceledException(cancel); }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or AuthenticationException or InvalidOperationException or ObjectDisposedException)
            {
                failure = e;
            }
            string cause = await DiagnoseAsync(failure, admitted, cancel);
            if (state.Finished)
            {
                _log($"{id}: the session ended after the final step ({cause}); keeping the result");
                return state.Result(sessions);
            }
            var window = sessions == 0 ? _s.ConnectFor : _s.RetryFor;
            var away = DateTime.UtcNow - lastContact;
            if (away >= window)
                throw new FederationException(sessions == 0
                    ? $"{id}: could not reach the server at {_s.Server} within {Durations.Format(window)} ({cause})"
                    : $"{id}: lost the server at {_s.Server} for {Durations.Format(window)} ({cause})");
            // one line when the trouble starts, then one per try once they are a second or more apart
            if (++failures == 1 || backoff >= TimeSpan.FromSeconds(1))
                _log(sessions == 0
                    ? $"{id}: cannot reach the server at {_s.Server} ({cause}); next try in {Durations.Format(backoff)}, giving up in {Durations.Format(window - away)}"
                    : $"{id}: lost the session with {_s.Server} ({cause}); reconnecting in {Durations.Format(backoff)}, giving up in {Durations.Format(window - away)}");
            await Task.Delay(backoff, cancel);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>
    /// The cause of a failed attempt in a few words; throws <see cref="InputError"/> when retrying
    /// cannot help: the server refused the session, its certificate is not trusted, or it speaks
    /// TLS where the URL says http:// (or the reverse).
    /// </summary>
    async Task<string> DiagnoseAsync(Exception e, bool admitted, CancellationToken cancel)
    {
        string id = _client.Id;
        if (e is RpcException { StatusCode: StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.AlreadyExists } refused)
            throw new InputError($"{id}: the server at {_s.Server} refused the session: {refused.Status.Detail}");
        if (_certificateRefusal is { } why) throw new InputError($"{id}: TLS with {_s.Server} failed: {why}");
        if (Find<SocketException>(e) is { } socket)
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"host '{_s.Server.Host}' not found",
                SocketError.TimedOut => "no answer",
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => "host unreachable",
                SocketError.ConnectionReset or SocketError.ConnectionAborted => "connection reset",
                _ => socket.Message,
            };
        if (Find<HttpRequestException>(e) is { HttpRequestError: HttpRequestError.NameResolutionError }) return $"host '{_s.Server.Host}' not found";
        var error = Find<HttpRequestException>(e)?.HttpRequestError ?? Find<HttpIOException>(e)?.HttpRequestError;
        bool handshake = error is HttpRequestError.SecureConnectionError or HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError;
        if (!admitted && handshake)
        {
            // connected, but the connection broke before the server answered: is it the other scheme?
            bool https = _s.Server.Scheme == "https";
            switch (await SpeaksTlsAsync(cancel))
            {
                case true when !https:
                    throw InputError.ForOption(nameof(SiteSettings.Server), $"{id}: the server at {_s.Server} speaks TLS, not plain HTTP: use https://{_s.Server.Authority}/ in {{option}}.");
                case false when https:
                    throw InputError.ForOption(nameof(SiteSettings.Server), $"{id}: the server at {_s.Server} does not speak TLS: use http://{_s.Server.Authority}/ in {{option}}, or serve over https://.");
            }
        }
        return error is HttpRequestError.SecureConnectionError ? "TLS handshake failed"
            : handshake ? "the server closed the connection"
            : e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown } ? "connection lost"
            : e is RpcException { StatusCode: StatusCode.Cancelled } ? "the server ended the session"
            : e is RpcException r ? $"{r.StatusCode}: {r.Status.Detail}"
            : e.Message;
    }

    /// <summary>Whether the server answers a TLS handshake with a certificate; null when it cannot be reached.</summary>
    async Task<bool?> SpeaksTlsAsync(CancellationToken cancel)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(TimeSpan.FromSeconds(5));
        using var tcp = new TcpClient();
        try { await tcp.ConnectAsync(_s.Server.DnsSafeHost, _s.Server.Port, limit.Token); }
        catch (Exception e) when (e is SocketException || e is OperationCanceledException && !cancel.IsCancellationRequested) { return null; }
        bool certificate = false;
        using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _s.Server.DnsSafeHost,
            RemoteCertificateValidationCallback = (_, cert, _, _) => { certificate = cert != null; return false; },   // only looking
        };
        try { await ssl.AuthenticateAsClientAsync(options, limit.Token); }
        catch (Exception e) when (e is AuthenticationException or IOException || e is OperationCanceledException && !cancel.IsCancellationRequested) { }
        return certificate;
    }

    /// <summary>The first exception of type <typeparamref name="T"/> in the chain, looking into gRPC's debug exception.</summary>
    static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e != null; e = e.InnerException)
        {
            if (e is T t) return t;
            if (e is RpcException { Status.DebugException: { } debug } && Find<T>(debug) is { } inner) return inner;
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
public sealed class SiteProtocol(BatchClient client)
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
                _report = Trainer.Finish(_final);
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
        return new SiteResult(client.Id, _report.MeanShift, sessions, model);
    }
}
