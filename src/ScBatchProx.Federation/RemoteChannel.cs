using Grpc.Core;
using ScBatchProx.Core.Federation;
using P = ScBatchProx.Federation.Protocol;

namespace ScBatchProx.Federation;

/// <summary>The client's session ended (disconnect, reset, or replaced by a newer session).</summary>
public sealed class ConnectionLostException(string message) : Exception(message);

/// <summary>
/// One open session of a client: the server's write side of the stream and the single
/// outstanding request. Answers are matched by kind and round; anything else is logged and dropped.
/// </summary>
internal sealed class Connection
{
    readonly IServerStreamWriter<P.ServerMessage> _writer;
    readonly CancellationTokenSource _cancel;
    readonly SemaphoreSlim _writeLock = new(0, 1);   // held until the admission is acknowledged
    readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly object _lock = new();
    (P.ClientMessage.BodyOneofCase Kind, int Round, TaskCompletionSource<P.ClientMessage> Answer)? _pending;
    bool _isClosed;

    public Connection(string clientId, string instance, IServerStreamWriter<P.ServerMessage> writer, bool hasSetup, CancellationTokenSource cancel, string peer)
    {
        ClientId = clientId; Instance = instance; _writer = writer; HasSetup = hasSetup; _cancel = cancel; Peer = peer;
    }

    public string ClientId { get; }
    /// <summary>The client process's claim of the batch (Join.instance); the same on each of its reconnects.</summary>
    public string Instance { get; }
    public string Peer { get; }
    /// <summary>Whether the client process holds the setup state of this run.</summary>
    public bool HasSetup { get; set; }
    public bool IsClosed { get { lock (_lock) return _isClosed; } }
    public Task Closed => _closed.Task;

    /// <summary>Acknowledges the admission with the response headers; no message is written before them.</summary>
    public async Task AcknowledgeAsync(ServerCallContext context)
    {
        try { await context.WriteResponseHeadersAsync(new Metadata { { ProtoMap.AdmittedHeader, ClientId } }); }
        finally { _writeLock.Release(); }
    }

    public async Task WriteAsync(P.ServerMessage message, CancellationToken cancel)
    {
        await _writeLock.WaitAsync(cancel);
        try
        {
            if (IsClosed) throw new ConnectionLostException($"client '{ClientId}' disconnected");
            await _writer.WriteAsync(message, cancel);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or RpcException)
        {
            Close();
            throw new ConnectionLostException($"client '{ClientId}': sending failed ({e.Message})");
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Sends one request and waits for the answer of the expected kind for that round.</summary>
    public async Task<P.ClientMessage> RequestAsync(P.ServerMessage message, P.ClientMessage.BodyOneofCase expected, int round, CancellationToken cancel)
    {
        var answer = new TaskCompletionSource<P.ClientMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_isClosed) throw new ConnectionLostException($"client '{ClientId}' disconnected");
            _pending = (expected, round, answer);
        }
        try
        {
            await WriteAsync(message, cancel);
            return await answer.Task.WaitAsync(cancel);
        }
        finally
        {
            lock (_lock) if (_pending is { } p && p.Answer == answer) _pending = null;
        }
    }

    /// <summary>An answer arrived on this session; <paramref name="round"/> is the round it answers (0 before the rounds).</summary>
    public void Deliver(P.ClientMessage m, int round, Action<string> log)
    {
        string why;
        lock (_lock)
        {
            if (_pending is { } p)
            {
                if (p.Kind == m.BodyCase && p.Round == round)
                {
                    _pending = null;
                    p.Answer.TrySetResult(m);
                    return;
                }
                why = p.Kind == m.BodyCase ? $"stale round {round} (server is at round {p.Round})" : $"expected {p.Kind} for round {p.Round}, got {m.BodyCase} {round}";
            }
            else why = $"{m.BodyCase} for round {round} arrived when none was asked for (late, after the round timeout?)";
        }
        log($"answer from '{ClientId}' rejected: {why}; not aggregated");
    }

    public void Close()
    {
        (P.ClientMessage.BodyOneofCase, int, TaskCompletionSource<P.ClientMessage> Answer)? pending;
        lock (_lock)
        {
            if (_isClosed) return;
            _isClosed = true;
            pending = _pending; _pending = null;
        }
        pending?.Answer.TrySetException(new ConnectionLostException($"client '{ClientId}' disconnected"));
        try { _cancel.Cancel(); } catch (ObjectDisposedException) { }
        _closed.TrySetResult();
    }
}

/// <summary>
/// The server's <see cref="IClientChannel"/> for a client reached over gRPC. Each step sends its
/// request on the client's current session and awaits the answer; when the session breaks it
/// waits for the client to reconnect: in a round or the final step until the engine's round
/// timeout cancels it; before the rounds (statistics, setup), which need every client, for
/// <c>setupAbsence</c>, after which the run fails instead of waiting forever. A client that
/// reconnects without the setup state (a restarted process) is sent the setup first, so it catches
/// up before it receives the current round.
/// </summary>
public sealed class RemoteChannel : IClientChannel
{
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly object _lock = new();
    readonly Action<string> _log;
    readonly TimeSpan _setupAbsence;
    Connection? _connection;
    TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    P.ServerMessage? _setup;

    public RemoteChannel(string clientId, TimeSpan setupAbsence, Action<string> log) { ClientId = clientId; _setupAbsence = setupAbsence; _log = log; }

    public string ClientId { get; }
    public bool IsConnected { get { lock (_lock) return _connection is { IsClosed: false }; } }

    /// <summary>The setup replayed to clients that rejoin without setup state (set by the host when resuming).</summary>
    public void SetSetup(SetupMessage setup) { lock (_lock) _setup = ProtoMap.ToProto(setup); }

    /// <summary>
    /// Makes <paramref name="c"/> the client's session and returns null, or returns why it is
    /// refused: a live session of another client process holds the batch. A reconnect of the same
    /// process replaces its own older session, which the server may not have seen break yet.
    /// </summary>
    internal string? Attach(Connection c)
    {
        Connection? old;
        lock (_lock)
        {
            old = _connection;
            if (old is { IsClosed: false } && old.Instance != c.Instance)
                return $"batch '{ClientId}' is already taken by a live session from {old.Peer}; two sites cannot join with the same batch";
            _connection = c;
            _connected.TrySetResult();
        }
        if (old != null && old != c) { old.Close(); _log($"client '{ClientId}': an older session was replaced by the new one"); }
        return null;
    }

    internal void Detach(Connection c)
    {
        lock (_lock)
        {
            if (_connection == c)
            {
                _connection = null;
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        c.Close();
    }

    /// <param name="absence">How long to wait for a disconnected client; null waits until <paramref name="cancel"/>.</param>
    async Task<Connection> WaitForConnectionAsync(TimeSpan? absence, string step, CancellationToken cancel)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_connection is { IsClosed: false } c) return c;
                if (_connection is { IsClosed: true }) { _connection = null; _connected = new(TaskCreationOptions.RunContinuationsAsynchronously); }
                wait = _connected.Task;
            }
            try { await (absence is TimeSpan limit ? wait.WaitAsync(limit, cancel) : wait.WaitAsync(cancel)); }
            catch (TimeoutException)
            {
                throw new FederationException($"client '{ClientId}' is not connected and did not come back within {Durations.Format(absence!.Value)} for the {step}, which needs every client");
            }
        }
    }

    public async Task<BatchStatistics> StatisticsAsync(CancellationToken cancel) =>
        ProtoMap.FromProto((await ExchangeAsync(ProtoMap.StatisticsRequest(), P.ClientMessage.BodyOneofCase.Statistics, 0, "statistics", cancel)).Statistics);

    public async Task<LocalCentroids> SetupAsync(SetupMessage setup, CancellationToken cancel)
    {
        var message = ProtoMap.ToProto(setup);
        lock (_lock) _setup = message;
        return ProtoMap.FromProto((await ExchangeAsync(message, P.ClientMessage.BodyOneofCase.Centroids, 0, "setup", cancel)).Centroids);
    }

    // convert before the first await: the server's arrays are stable only until the engine aggregates
    public Task<RoundUpdate> TrainAsync(RoundBroadcast round, CancellationToken cancel) =>
        Answer(ExchangeAsync(ProtoMap.ToProto(round), P.ClientMessage.BodyOneofCase.Round, round.Round, $"round {round.Round}", cancel), m => ProtoMap.FromProto(m.Round));

    public Task<FinalReport> FinishAsync(FinalBroadcast final, CancellationToken cancel) =>
        Answer(ExchangeAsync(ProtoMap.ToProto(final), P.ClientMessage.BodyOneofCase.Final, final.Round, "final step", cancel), m => ProtoMap.FromProto(m.Final));

    static async Task<T> Answer<T>(Task<P.ClientMessage> exchange, Func<P.ClientMessage, T> convert) => convert(await exchange);

    async Task<P.ClientMessage> ExchangeAsync(P.ServerMessage message, P.ClientMessage.BodyOneofCase expected, int round, string step, CancellationToken cancel)
    {
        bool needsSetup = message.BodyCase is P.ServerMessage.BodyOneofCase.Round or P.ServerMessage.BodyOneofCase.Final;
        await _gate.WaitAsync(cancel);
        try
        {
            while (true)
            {
                var c = await WaitForConnectionAsync(needsSetup ? null : _setupAbsence, step, cancel);
                try
                {
                    P.ServerMessage? setup;
                    lock (_lock) setup = _setup;
                    if (!c.HasSetup && setup != null && needsSetup)
                    {
                        _log($"client '{ClientId}' rejoined without setup state: re-sending setup before the {step}");
                        await c.RequestAsync(setup, P.ClientMessage.BodyOneofCase.Centroids, 0, cancel);
                        c.HasSetup = true;
                    }
                    var answer = await c.RequestAsync(message, expected, round, cancel);
                    if (message.BodyCase == P.ServerMessage.BodyOneofCase.Setup) c.HasSetup = true;
                    return answer;
                }
                catch (ConnectionLostException e)
                {
                    _log($"{e.Message} during the {step}; waiting for it to reconnect");
                }
            }
        }
        finally { _gate.Release(); }
    }

    /// <summary>Ends the client's session with a Done message (best effort, bounded by <paramref name="wait"/>).</summary>
    public async Task EndAsync(bool ok, string message, TimeSpan wait)
    {
        Connection? c;
        lock (_lock) c = _connection;
        if (c == null || c.IsClosed) return;
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await c.WriteAsync(new P.ServerMessage { Done = new P.Done { Ok = ok, Message = message } }, cts.Token);
            await c.Closed.WaitAsync(cts.Token);   // the client closes its side after Done
        }
        catch (Exception e) when (e is ConnectionLostException or OperationCanceledException) { }
        finally { c.Close(); }
    }
}
