using ScBatchProx.Core.Method;

namespace ScBatchProx.Core.Federation;

/// <summary>The server's handle on one client, whatever carries the messages: one call per protocol step.</summary>
public interface IClientChannel
{
    string ClientId { get; }
    Task<BatchStatistics> StatisticsAsync(CancellationToken cancel);
    Task<LocalCentroids> SetupAsync(SetupMessage setup, CancellationToken cancel);
    Task<RoundUpdate> TrainAsync(RoundBroadcast round, CancellationToken cancel);
    Task<FinalReport> FinishAsync(FinalBroadcast final, CancellationToken cancel);
}

/// <summary>
/// A client living in this process: messages are handed over as objects. It is created either
/// before setup (from a <see cref="BatchClient"/>) or with a trainer that is already set up (a
/// model being updated).
/// </summary>
public sealed class InProcessChannel : IClientChannel
{
    readonly BatchClient? _client;
    LocalTrainer? _trainer;

    public InProcessChannel(BatchClient client) { _client = client; ClientId = client.Id; }
    public InProcessChannel(LocalTrainer trainer) { _trainer = trainer; ClientId = trainer.Id; }

    public string ClientId { get; }
    public LocalTrainer Trainer => _trainer ?? throw new InvalidOperationException($"client '{ClientId}' has not been set up.");

    public Task<BatchStatistics> StatisticsAsync(CancellationToken cancel) =>
        Task.FromResult((_client ?? throw new InvalidOperationException($"client '{ClientId}' was created set up; it sends no statistics.")).Statistics());

    public Task<LocalCentroids> SetupAsync(SetupMessage setup, CancellationToken cancel)
    {
        _trainer = (_client ?? throw new InvalidOperationException($"client '{ClientId}' is already set up.")).Setup(setup);
        return Task.FromResult(_trainer.Centroids(setup.PrototypeCount));
    }

    public Task<RoundUpdate> TrainAsync(RoundBroadcast round, CancellationToken cancel) => Task.FromResult(Trainer.Train(round));

    public Task<FinalReport> FinishAsync(FinalBroadcast final, CancellationToken cancel) => Task.FromResult(Trainer.Finish(final));
}

/// <summary>Progress of a refinement, one event per stage or round.</summary>
public sealed record RoundProgress(string Stage, int Round, int MaxRounds, double Objective, double PrototypeShift);

/// <summary>Summary of a finished run: <see cref="RoundsRun"/> counts this run's rounds; the final broadcast carries the global model.</summary>
public sealed record EngineResult(int RoundsRun, bool Converged, IReadOnlyDictionary<string, double> MeanShift, IReadOnlyList<double> Objectives,
    FinalBroadcast Final, ServerState State);

/// <summary>How the engine treats slow or failing clients.</summary>
public sealed record EngineSettings
{
    /// <summary>Clients contacted at once (in-process: the thread count).</summary>
    public int MaxParallel { get; init; } = Environment.ProcessorCount;
    /// <summary>A client that has not answered a round by then is dropped from that round; null waits forever.</summary>
    public TimeSpan? RoundTimeout { get; init; }
    /// <summary>A round needs at least this many valid updates, else the run stops with an error; null means every client.</summary>
    public int? MinClients { get; init; }
    /// <summary>Receives one line per dropped or rejected update.</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Called after every aggregation with the server state and whether the server stopped (checkpoints).</summary>
    public Action<ServerState, bool>? AfterRound { get; init; }
}

/// <summary>
/// Drives the protocol: statistics, setup, prototype initialisation, the rounds, final. The same
/// engine runs in-process and over the network; only the <see cref="IClientChannel"/>s differ. In a
/// round, clients that fail, stall past the timeout or send an invalid update are left out and
/// the server carries their last report forward (METHOD.md section 5).
/// </summary>
public sealed class RoundEngine(IReadOnlyList<IClientChannel> clients, EngineSettings settings)
{
    public RoundEngine(IReadOnlyList<IClientChannel> clients, int maxParallel)
        : this(clients, new EngineSettings { MaxParallel = maxParallel }) { }

    /// <summary>A fresh run: statistics, setup and prototypes, then the rounds.</summary>
    public async Task<EngineResult> RunAsync(RefineOptions options, IProgress<RoundProgress>? progress = null, CancellationToken cancel = default)
    {
        int rounds = options.Rounds;
        progress?.Report(new RoundProgress("statistics", 0, rounds, double.NaN, double.NaN));
        var stats = await GatherAsync((c, ct) => c.StatisticsAsync(ct), cancel);
        var setup = RunSetup.From(options, stats);
        progress?.Report(new RoundProgress("prototypes", 0, rounds, double.NaN, double.NaN));
        var centroids = await GatherAsync((c, ct) => c.SetupAsync(setup.Message, ct), cancel);
        var server = FederatedServer.Start(setup, centroids);
        return await ContinueAsync(server, stopped: false, roundsRun: 0, progress, cancel);
    }

    /// <summary>
    /// Continues a run whose server state was restored (a checkpoint, or a model being updated) with
    /// clients that are set up: rounds from the server's current one on, or straight to the final
    /// step when <paramref name="stopped"/>; <paramref name="roundsRun"/> rounds ran before.
    /// </summary>
    public async Task<EngineResult> ContinueAsync(FederatedServer server, bool stopped, int roundsRun, IProgress<RoundProgress>? progress = null, CancellationToken cancel = default)
    {
        var state = server.ExportState();
        int total = state.LastRound - state.Round + 1 + roundsRun;
        var objectives = new List<double>();
        bool converged = false;
        int run = roundsRun;
        RoundBroadcast? broadcast = stopped || state.Round > state.LastRound ? null : server.RoundBroadcast();
        while (broadcast != null)
        {
            var updates = await GatherRoundAsync(broadcast.Round, (c, ct) => c.TrainAsync(broadcast, ct), u => server.Reject(u), cancel);
            var outcome = server.Aggregate(updates);
            run++;
            objectives.Add(outcome.Objective);
            settings.AfterRound?.Invoke(server.ExportState(), outcome.Stop);
            progress?.Report(new RoundProgress("round", run, total, outcome.Objective, outcome.PrototypeShift));
            if (outcome.Stop) { converged = run < total; break; }
            broadcast = outcome.Next;
        }
        progress?.Report(new RoundProgress("final", run, total, double.NaN, double.NaN));
        var final = server.Final();
        var finals = await GatherRoundAsync(final.Round, (c, ct) => c.FinishAsync(final, ct), _ => null, cancel);
        var shift = finals.ToDictionary(u => u.ClientId, u => u.MeanShift, StringComparer.Ordinal);
        return new EngineResult(run, converged, shift, objectives, final, server.ExportState());
    }

    /// <summary>Asks every client, at most MaxParallel at a time; every client must answer.</summary>
    async Task<T[]> GatherAsync<T>(Func<IClientChannel, CancellationToken, Task<T>> ask, CancellationToken cancel) where T : ClientMessage
    {
        var answers = new T[clients.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, clients.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxParallel), CancellationToken = cancel },
            async (i, ct) =>
            {
                var a = await Task.Run(() => ask(clients[i], ct), ct);
                if (a.ClientId != clients[i].ClientId) throw new InvalidDataException($"client '{clients[i].ClientId}' answered as '{a.ClientId}'.");
                answers[i] = a;
            });
        return answers;
    }

    /// <summary>
    /// Like <see cref="GatherAsync"/>, but a client that throws, times out or sends an answer the
    /// server rejects is logged and left out, as long as MinClients remain.
    /// </summary>
    async Task<List<T>> GatherRoundAsync<T>(int round, Func<IClientChannel, CancellationToken, Task<T>> ask, Func<T, string?> reject, CancellationToken cancel)
        where T : ClientMessage
    {
        var answers = new T?[clients.Count];
        string step = typeof(T) == typeof(FinalReport) ? "final step" : $"round {round}";
        await Parallel.ForEachAsync(Enumerable.Range(0, clients.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxParallel), CancellationToken = cancel },
            async (i, ct) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (settings.RoundTimeout is TimeSpan t) timeout.CancelAfter(t);
                try
                {
                    var u = await Task.Run(() => ask(clients[i], timeout.Token), timeout.Token).WaitAsync(timeout.Token);
                    string? why = u.ClientId != clients[i].ClientId ? $"answered as '{u.ClientId}'" : reject(u);
                    if (why is null) answers[i] = u;
                    else settings.Log?.Invoke($"{step}: answer from '{clients[i].ClientId}' rejected: {why}");
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    settings.Log?.Invoke($"{step}: client '{clients[i].ClientId}' did not answer within {settings.RoundTimeout}; dropped from this round");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    settings.Log?.Invoke($"{step}: client '{clients[i].ClientId}' failed: {e.Message}; dropped from this round");
                }
            });
        var valid = answers.Where(a => a is not null).Select(a => a!).ToList();
        int need = settings.MinClients ?? clients.Count;
        if (valid.Count < need)
            throw new InvalidOperationException($"only {valid.Count} of {clients.Count} clients answered the {step}; at least {need} are required.");
        return valid;
    }
}
