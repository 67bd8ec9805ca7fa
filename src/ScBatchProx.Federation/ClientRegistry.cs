using Grpc.Core;

namespace ScBatchProx.Federation;

/// <summary>
/// The clients of a run, by id (batch name). Until the expected number have joined, a new id is
/// admitted; afterwards (and always after a resume) only known ids may open a session.
/// </summary>
public sealed class ClientRegistry
{
    readonly object _lock = new();
    readonly SortedDictionary<string, RemoteChannel> _channels = new(StringComparer.Ordinal);
    readonly TaskCompletionSource _full = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly int _expected;
    readonly TimeSpan _setupAbsence;
    readonly Action<string> _log;
    bool _closed;

    /// <param name="setupAbsence">How long a client that lost its session before the rounds may stay away (see <see cref="RemoteChannel"/>).</param>
    public ClientRegistry(int expected, TimeSpan setupAbsence, Action<string> log) { _expected = expected; _setupAbsence = setupAbsence; _log = log; }

    /// <summary>Completes when the expected number of distinct clients have joined.</summary>
    public Task AllJoined => _full.Task;

    public IReadOnlyList<RemoteChannel> Channels { get { lock (_lock) return _channels.Values.ToList(); } }

    /// <summary>Fixes the set of clients (a resumed run knows them from its checkpoint).</summary>
    public void Preregister(IEnumerable<string> ids)
    {
        lock (_lock)
        {
            foreach (var id in ids) _channels.TryAdd(id, new RemoteChannel(id, _setupAbsence, _log));
            _closed = true;
        }
        _full.TrySetResult();
    }

    public RemoteChannel Admit(string clientId)
    {
        lock (_lock)
        {
            if (_channels.TryGetValue(clientId, out var known)) return known;
            if (_closed)
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"unknown client id '{clientId}': the run already has all {_channels.Count} client(s) it expects ({string.Join(", ", _channels.Keys.Select(k => "'" + k + "'"))})"));
            var ch = new RemoteChannel(clientId, _setupAbsence, _log);
            _channels.Add(clientId, ch);
            _log($"client '{clientId}' joined ({_channels.Count} of {_expected})");
            if (_channels.Count >= _expected) { _closed = true; _full.TrySetResult(); }
            return ch;
        }
    }
}
