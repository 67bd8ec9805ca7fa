using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScBatchProx.Data;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Core.Model;

namespace ScBatchProx.Federation;

/// <summary>How the coordinator listens and treats its clients.</summary>
public sealed record ServerSettings
{
    /// <summary>http://host:port or https://host:port; port 0 picks a free port (see <see cref="FederationHost.Address"/>).</summary>
    public required string Listen { get; init; }
    /// <summary>Number of clients (batches) the run waits for before it starts.</summary>
    public required int Clients { get; init; }
    /// <summary>A round needs at least this many valid updates; null means all.</summary>
    public int? MinClients { get; init; }
    public TimeSpan RoundTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How long to wait for all clients to join; null waits forever.</summary>
    public TimeSpan? JoinTimeout { get; init; }
    public string? TlsCert { get; init; }
    public string? TlsKey { get; init; }
    /// <summary>PEM CA bundle: when set, clients must present a certificate issued by it (mutual TLS).</summary>
    public string? ClientCa { get; init; }
    /// <summary>Bearer token every call must carry; null disables the check.</summary>
    public string? Token { get; init; }
    /// <summary>Allow plain HTTP on a non-loopback address.</summary>
    public bool Insecure { get; init; }
    /// <summary>Checkpoint file written atomically after every round; null writes none.</summary>
    public string? CheckpointFile { get; init; }
    /// <summary>Continue from <see cref="CheckpointFile"/> when it exists.</summary>
    public bool Resume { get; init; }
    public string? ModelOut { get; init; }
    public Action<string>? Log { get; init; }
}

/// <summary>Outcome of a federated run as the coordinator sees it (no cell, no refined row).</summary>
public sealed record FederatedRunResult(EngineResult Run, RefinementModel Model, TimeSpan Elapsed, IReadOnlyList<string> MissedFinal);

/// <summary>
/// The coordinator: a Kestrel gRPC server plus the Core <see cref="RoundEngine"/> driving
/// <see cref="RemoteChannel"/>s. The engine and the server state machine are the in-process ones.
/// </summary>
public sealed class FederationHost : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ServerSettings _settings;
    readonly RefineOptions _options;
    readonly ClientRegistry _registry;
    readonly Action<string> _log;
    readonly Checkpoint? _resumeFrom;

    FederationHost(WebApplication app, ServerSettings s, RefineOptions o, ClientRegistry registry, Action<string> log, Checkpoint? resume, Uri address)
    { _app = app; _settings = s; _options = o; _registry = registry; _log = log; _resumeFrom = resume; Address = address; }

    /// <summary>Where a client on this machine reaches the server: the bound address (port filled in when 0 was asked), loopback when bound to every interface.</summary>
    public Uri Address { get; }
    public ClientRegistry Registry => _registry;

    /// <summary>Validates the settings, binds the port and starts accepting sessions.</summary>
    public static async Task<FederationHost> StartAsync(ServerSettings s, RefineOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        var log = s.Log ?? (_ => { });
        if (s.Clients < 1) throw InputError.ForOption(nameof(s.Clients), "{option} must be >= 1");
        if (s.MinClients is < 1 || s.MinClients > s.Clients) throw InputError.ForOption(nameof(s.MinClients), $"{{option}} must be between 1 and the number of clients ({s.Clients})");
        if (!Uri.TryCreate(s.Listen, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
            throw InputError.ForOption(nameof(s.Listen), $"{{option}}: '{s.Listen}' is not an http:// or https:// URL (e.g. https://0.0.0.0:7443).");
        bool tls = url.Scheme == "https";
        if (tls && (s.TlsCert is null || s.TlsKey is null)) throw InputError.ForOption(nameof(s.TlsCert), "an https:// listen address needs a certificate ({option}) and its key (PEM).");
        if (!tls && (s.TlsCert != null || s.TlsKey != null)) throw InputError.ForOption(nameof(s.TlsCert), "a TLS certificate ({option}) needs an https:// listen address.");
        if (!tls && s.ClientCa != null) throw InputError.ForOption(nameof(s.ClientCa), "a client CA ({option}, mutual TLS) needs an https:// listen address with a certificate and key.");
        if (!tls && !Tls.IsLoopback(url.Host) && !s.Insecure)
            throw InputError.ForOption(nameof(s.Insecure), $"refusing to serve plain HTTP on '{url.Host}', which is not a loopback address: tokens and parameters would travel unencrypted. " +
                "Use https:// with a certificate and key, or set {option} if the network is otherwise protected.");
        IPAddress ip = url.Host is "localhost" ? IPAddress.Loopback
            : url.Host is "*" or "+" or "0.0.0.0" ? IPAddress.Any
            : IPAddress.TryParse(url.Host.Trim('[', ']'), out var parsed) ? parsed
            : throw InputError.ForOption(nameof(s.Listen), $"{{option}}: '{url.Host}' must be an IP address, localhost or 0.0.0.0.");

        var cert = tls ? Tls.LoadPair(s.TlsCert!, s.TlsKey!) : null;
        var clientCa = s.ClientCa is null ? null : Tls.LoadBundle(s.ClientCa);
        if (s.ModelOut != null) AtomicFile.CheckWritable(s.ModelOut);   // before the run, not after it

        Checkpoint? resume = null;
        if (s.Resume)
        {
            if (s.CheckpointFile is null) throw InputError.ForOption(nameof(s.CheckpointFile), "resuming needs a checkpoint file ({option}, or a model output next to which it is kept).");
            if (File.Exists(s.CheckpointFile))
            {
                resume = Checkpoint.Load(s.CheckpointFile);
                if (resume.State.Options != options)
                    throw new InputError($"{s.CheckpointFile}: the checkpoint was written with other method options than given now; pass the same options to resume.");
                if (resume.State.Counts.Count != s.Clients)
                    throw new InputError($"{s.CheckpointFile}: the checkpoint has {resume.State.Counts.Count} clients, --clients says {s.Clients}.");
                log($"resuming from {s.CheckpointFile}: {resume.RoundsRun} round(s) done, clients {string.Join(", ", resume.State.Counts.Keys)}");
            }
            else log($"no checkpoint at {s.CheckpointFile}; starting a new run");
        }

        var registry = new ClientRegistry(s.Clients, s.RoundTimeout, log);
        if (resume != null) registry.Preregister(resume.State.Counts.Keys);
        var serverLog = new ServerLog(log);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // the caller owns SIGINT/SIGTERM and stops the run through its token; the default console
        // lifetime would swallow them to stop only the web host, leaving the run waiting forever
        builder.Services.AddSingleton<IHostLifetime, CallerLifetime>();
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(serverLog);
        builder.Services.AddSingleton(new AccessPolicy(s.Token, clientCa));
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<AccessInterceptor>();
            o.MaxReceiveMessageSize = 256 * 1024 * 1024;
            o.MaxSendMessageSize = 256 * 1024 * 1024;
            o.EnableDetailedErrors = true;
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(20);
            k.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            k.Listen(ip, url.Port, lo =>
            {
                lo.Protocols = HttpProtocols.Http2;
                lo.Use(RequireScheme(tls, log));
                if (cert is null) return;
                lo.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = cert,
                    // any certificate passes the handshake; AccessInterceptor refuses the calls of a
                    // client without one from the client CA, with a reason both sides see
                    ClientCertificateMode = clientCa is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = clientCa is null ? null : (_, _, _) => true,
                });
            });
        });
        var app = builder.Build();
        app.MapGrpcService<FederationService>();
        try { await app.StartAsync(cancel); }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw InputError.ForOption(nameof(s.Listen), $"{{option}} {url.GetLeftPart(UriPartial.Authority)}: cannot listen there: {e.InnerException?.Message ?? e.Message}");
        }
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var any = IPAddress.Parse(bound.Host.Trim('[', ']')) is var b && (b.Equals(IPAddress.Any) || b.Equals(IPAddress.IPv6Any));
        var address = any ? new UriBuilder(bound) { Host = b.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[::1]" : "127.0.0.1" }.Uri : bound;
        log($"listening on {bound.GetLeftPart(UriPartial.Authority)}{(any ? ", every interface" : "")} ({(tls ? clientCa is null ? "TLS" : "mutual TLS" : "plain HTTP")}, " +
            $"{(s.Token is null ? "no token" : "bearer token required")}), waiting for {s.Clients} client(s)");
        return new FederationHost(app, s, options, registry, log, resume, address);
    }

    /// <summary>
    /// Closes, with a log line, a connection whose first byte shows the other scheme: plain HTTP/2
    /// sent to a TLS endpoint, or a TLS handshake (record type 0x16) sent to a plain one. Left to
    /// Kestrel, either fails without a word on this side.
    /// </summary>
    static Func<ConnectionDelegate, ConnectionDelegate> RequireScheme(bool tls, Action<string> log) => next => async connection =>
    {
        var input = connection.Transport.Input;
        ReadResult read;
        try { read = await input.ReadAsync(connection.ConnectionClosed); }
        catch (Exception e) when (e is OperationCanceledException or IOException) { return; }
        var buffer = read.Buffer;
        bool empty = buffer.IsEmpty;
        bool speaksTls = !empty && buffer.FirstSpan[0] == 0x16;
        input.AdvanceTo(buffer.Start);   // only peeked: the next layer reads the same bytes
        if (empty) return;
        if (speaksTls == tls) { await next(connection); return; }
        log(tls ? $"closed a connection from {connection.RemoteEndPoint}: it speaks plain HTTP to this TLS server (the site must use an https:// URL)"
                : $"closed a connection from {connection.RemoteEndPoint}: it starts a TLS handshake with this plain-HTTP server (the site must use an http:// URL)");
    };

    /// <summary>
    /// Waits for the clients, runs (or resumes) the rounds, delivers the final step and writes the
    /// model. When <paramref name="cancel"/> fires, the connected clients are told the run was
    /// cancelled, the last checkpoint stays, and the method throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<FederatedRunResult> RunAsync(IProgress<RoundProgress>? progress = null, CancellationToken cancel = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        EngineResult run;
        try { run = await RunRoundsAsync(progress, cancel); }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            _log("run cancelled" + (_settings.CheckpointFile is { } f && File.Exists(f) ? $"; the checkpoint {f} is kept for a resumed run" : "") + "; telling the clients");
            await EndAllAsync(false, "the coordinator was stopped; the run is cancelled");
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log($"run failed: {e.Message}");
            await EndAllAsync(false, "the run failed: " + e.Message);
            // run-level failures: too few clients joined or answered, a client answered as another or stayed away from the setup
            if (e is InvalidOperationException or InvalidDataException or FederationException) throw new FederationException("the run failed: " + e.Message, e);
            throw;
        }
        var channels = _registry.Channels;

        // clients that missed the final step get it when they reconnect, for one more round timeout
        var missed = channels.Where(c => !run.MeanShift.ContainsKey(c.ClientId)).ToList();
        var shifts = new Dictionary<string, double>(run.MeanShift, StringComparer.Ordinal);
        if (missed.Count > 0)
        {
            _log($"waiting up to {Durations.Format(_settings.RoundTimeout)} for {string.Join(", ", missed.Select(m => m.ClientId))} to collect the final parameters");
            await Task.WhenAll(missed.Select(async c =>
            {
                using var t = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                t.CancelAfter(_settings.RoundTimeout);
                try { var u = await c.FinishAsync(run.Final, t.Token); lock (shifts) shifts[c.ClientId] = u.MeanShift; }
                catch (OperationCanceledException) { }
            }));
        }
        var missedFinal = channels.Where(c => !shifts.ContainsKey(c.ClientId)).Select(c => c.ClientId).ToList();
        foreach (var id in missedFinal) _log($"client '{id}' never collected the final parameters; it can rerun join against a resumed server (--resume)");
        await EndAllAsync(true, "run complete");

        // FiLM parameters never leave a site: the coordinator's model holds the global part and each
        // batch's cell count; a site's own FiLM is in the model it writes itself.
        var model = RefinementModel.FromRun(_options, run.State.Normalisation, run.Final,
            run.State.Counts.Select(kv => new BatchParameters { Batch = kv.Key, Cells = kv.Value, Training = BatchTraining.Federated }));
        if (_settings.ModelOut is { } path)
        {
            model.Save(path);
            _log($"model written to {path}");
        }
        var result = run with { MeanShift = shifts };
        return new FederatedRunResult(result, model, started.Elapsed, missedFinal);
    }

    /// <summary>Waits for the clients, then runs the rounds, or continues them from the checkpoint.</summary>
    async Task<EngineResult> RunRoundsAsync(IProgress<RoundProgress>? progress, CancellationToken cancel)
    {
        if (_resumeFrom is null)
        {
            var wait = _registry.AllJoined;
            try { await (_settings.JoinTimeout is TimeSpan jt ? wait.WaitAsync(jt, cancel) : wait.WaitAsync(cancel)); }
            catch (TimeoutException)
            {
                throw new FederationException($"only {_registry.Channels.Count} of {_settings.Clients} clients joined within {Durations.Format(_settings.JoinTimeout!.Value)}.");
            }
        }
        var channels = _registry.Channels;
        var settings = new EngineSettings
        {
            MaxParallel = Math.Max(1, channels.Count), RoundTimeout = _settings.RoundTimeout,
            MinClients = _settings.MinClients ?? channels.Count, Log = _log, AfterRound = Checkpointer(),
        };
        var engine = new RoundEngine(channels.Cast<IClientChannel>().ToList(), settings);
        if (_resumeFrom is not { } cp) return await engine.RunAsync(_options, progress, cancel);

        var server = FederatedServer.FromState(cp.State);
        var setup = server.SetupMessage();
        foreach (var ch in channels) ch.SetSetup(setup);
        // give the clients one round timeout to reconnect before the first resumed round
        using (var reconnect = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            reconnect.CancelAfter(_settings.RoundTimeout);
            while (!reconnect.IsCancellationRequested && channels.Any(c => !c.IsConnected))
                await Task.Delay(100, CancellationToken.None);
        }
        return await engine.ContinueAsync(server, cp.Stopped, cp.RoundsRun, progress, cancel);
    }

    /// <summary>Ends every connected client's session with a Done message (bounded: a client that does not close is cut off).</summary>
    Task EndAllAsync(bool ok, string message) =>
        Task.WhenAll(_registry.Channels.Select(c => c.EndAsync(ok, message, TimeSpan.FromSeconds(ok ? 5 : 2))));

    /// <summary>Writes the checkpoint right after each aggregation, before the next round starts.</summary>
    Action<ServerState, bool>? Checkpointer()
    {
        if (_settings.CheckpointFile is not { } file) return null;
        return (state, stopped) =>
        {
            try { new Checkpoint { RoundsRun = state.RoundsRun, Stopped = stopped, State = state }.Save(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _log($"warning: checkpoint {file} not written: {e.Message}"); }
        };
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(stop.Token); } catch (Exception) { }
        await _app.DisposeAsync();
    }
}

/// <summary>A host lifetime that leaves process signals to the caller.</summary>
sealed class CallerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
