using ScBatchProx.Core.Method;
using ScBatchProx.Data;

namespace ScBatchProx.Core.Federation;

/// <summary>Result of one server step.</summary>
public sealed record RoundOutcome(RoundBroadcast Next, bool Stop, double PrototypeShift, double Objective, IReadOnlyList<string> Reporting);

/// <summary>What the server knows after the statistics: the setup every client receives, and each client's cell count.</summary>
public sealed record RunSetup(SetupMessage Message, IReadOnlyDictionary<string, long> Counts)
{
    public RefineOptions Options => Message.Options;
    public long TotalCells => Counts.Values.Sum();

    /// <summary>Global mean and scale from every client's sums (folded in ordinal client-id order), K and the initial theta.</summary>
    public static RunSetup From(RefineOptions options, IReadOnlyList<BatchStatistics> stats)
    {
        options.Validate();
        var ordered = stats.OrderBy(u => u.ClientId, StringComparer.Ordinal).ToList();
        if (ordered.Count == 0) throw new InvalidOperationException("no client reported statistics");
        int dim = ordered[0].Sum.Length;
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var u in ordered)
        {
            if (u.Sum.Length != dim) throw new InvalidDataException($"client '{u.ClientId}' reports {u.Sum.Length} dimensions, others {dim}.");
            if (u.Count < 2) throw new InvalidDataException($"client '{u.ClientId}' has {u.Count} cell(s); at least 2 are needed.");
            if (!counts.TryAdd(u.ClientId, u.Count)) throw new InvalidDataException($"duplicate client id '{u.ClientId}'.");
        }
        long total = counts.Values.Sum();
        int k = options.PrototypeCount(total);
        if (total < k) throw new InvalidDataException($"{total} cells are fewer than the {k} prototypes requested.");
        var norm = Normalisation.FromSums(ordered.Select(u => (u.Count, u.Sum, u.SumSquares)), dim);
        var message = new SetupMessage
        {
            Options = options, Normalisation = norm, PrototypeCount = k,
            Theta = new AdapterShape(dim, options.Hidden).InitialTheta(options.Seed),
        };
        return new RunSetup(message, counts);
    }
}

/// <summary>
/// The coordinator's state machine from the first round on: the per-round aggregation
/// (n_b-weighted average of theta, prototype sums, masses) and the stopping rule. It sees only
/// client messages. Updates are folded in ordinal client-id order, so the result does not depend
/// on arrival order or thread count.
/// </summary>
public sealed class FederatedServer
{
    readonly RefineOptions _opt;
    readonly SortedDictionary<string, long> _counts;
    readonly SortedDictionary<string, RoundUpdate> _latest = new(StringComparer.Ordinal);
    readonly Normalisation _norm;
    readonly int _dim, _lastRound;
    readonly float[] _theta;
    readonly float[] _prototypes;
    readonly double[] _masses;
    readonly bool[] _shared;
    double _lastObjective;
    int _roundsRun;

    FederatedServer(ServerState s)
    {
        s.Options.Validate();
        _opt = s.Options; _norm = s.Normalisation; _dim = s.Normalisation.Dim;
        _counts = new SortedDictionary<string, long>(s.Counts.ToDictionary(), StringComparer.Ordinal);
        foreach (var u in s.Latest) _latest[u.ClientId] = u;
        Round = s.Round; _lastRound = s.LastRound;
        _theta = (float[])s.Theta.Clone(); _prototypes = (float[])s.Prototypes.Clone(); _masses = (double[])s.Masses.Clone();
        _shared = (bool[])s.Shared.Clone(); _lastObjective = s.LastObjective; _roundsRun = s.RoundsRun;
        int k = _masses.Length;
        if (_prototypes.Length != k * _dim || _shared.Length != k || _theta.Length != new AdapterShape(_dim, _opt.Hidden).ThetaLength)
            throw new InvalidDataException("the server state's parameter shapes do not fit its dimension, width and prototype count.");
    }

    /// <summary>Continues exactly where <see cref="ExportState"/> left off (a checkpoint, or a model being updated).</summary>
    public static FederatedServer FromState(ServerState state) => new(state);

    /// <summary>Weighted k-means over the pooled client centroids gives the K initial prototypes; the server is then at round 1.</summary>
    public static FederatedServer Start(RunSetup setup, IReadOnlyList<LocalCentroids> centroidReports)
    {
        var opt = setup.Options;
        int dim = setup.Message.Dim;
        var pooled = new List<float>(); var weights = new List<double>();
        foreach (var u in centroidReports.OrderBy(u => u.ClientId, StringComparer.Ordinal))
        {
            if (u.Centroids.Length != u.Sizes.Length * dim) throw new InvalidDataException($"client '{u.ClientId}': centroid shape mismatch.");
            pooled.AddRange(u.Centroids); weights.AddRange(u.Sizes);
        }
        int k = setup.Message.PrototypeCount;
        var km = WeightedKMeans.Fit(pooled.ToArray(), weights.Count, dim, weights.ToArray(), k, SeededRng.For(opt.Seed, "server-kmeans"), maxIter: 100, restarts: opt.KMeansRestarts);
        double w = km.Sizes.Sum();
        return new FederatedServer(new ServerState
        {
            Options = opt, Round = 1, LastRound = opt.Rounds, RoundsRun = 0, Counts = setup.Counts, Normalisation = setup.Message.Normalisation,
            Theta = setup.Message.Theta, Prototypes = km.Centroids, Masses = km.Sizes.Select(s => s / w).ToArray(),
            Shared = Enumerable.Repeat(true, km.K).ToArray(), LastObjective = double.NaN, Latest = [],
        });
    }

    public RefineOptions Options => _opt;
    public int Round { get; private set; }
    public IReadOnlyCollection<string> Clients => _counts.Keys;
    public Normalisation Normalisation => _norm;

    public RoundBroadcast RoundBroadcast() => new()
    {
        Round = Round, Theta = _theta, Prototypes = _prototypes, Masses = _masses, SharedPrototypes = _shared,
        CompactOn = Round >= _opt.CompactFromRound,
    };

    public FinalBroadcast Final() => new()
    {
        Round = Round, RoundsRun = _roundsRun, Theta = _theta, Prototypes = _prototypes, Masses = _masses, SharedPrototypes = _shared,
    };

    /// <summary>The setup message of this run, rebuilt from the state (for clients that rejoin after a restart).</summary>
    public SetupMessage SetupMessage() => new()
    {
        Options = _opt, Normalisation = _norm, PrototypeCount = _opt.PrototypeCount(_counts.Values.Sum()),
        Theta = new AdapterShape(_dim, _opt.Hidden).InitialTheta(_opt.Seed),
    };

    /// <summary>Why an update cannot be aggregated, or null when it can.</summary>
    public string? Reject(RoundUpdate u)
    {
        if (!_counts.TryGetValue(u.ClientId, out long n)) return $"unknown client id '{u.ClientId}'";
        if (u.Round != Round) return $"stale round {u.Round} (server is at round {Round})";
        if (u.Count != n) return $"cell count {u.Count} differs from the {n} announced";
        int k = _masses.Length, thetaLen = _theta.Length;
        if (u.Theta.Length != thetaLen) return $"theta has {u.Theta.Length} values, expected {thetaLen}";
        if (u.PrototypeSums.Length != k * _dim) return $"prototype sums have {u.PrototypeSums.Length} values, expected {k * _dim}";
        if (u.Occupancy.Length != k) return $"occupancy has {u.Occupancy.Length} values, expected {k}";
        if (u.Theta.Any(v => !float.IsFinite(v)) || u.PrototypeSums.Any(v => !double.IsFinite(v))
            || u.Occupancy.Any(v => !double.IsFinite(v) || v < 0) || !double.IsFinite(u.Loss))
            return "non-finite or negative values";
        return null;
    }

    /// <summary>
    /// Server step: folds the round's valid updates; clients that missed the round are carried
    /// forward with their last report. Returns the next broadcast and whether to stop.
    /// </summary>
    public RoundOutcome Aggregate(IReadOnlyList<RoundUpdate> updates)
    {
        var reporting = new List<string>();
        foreach (var u in updates.OrderBy(u => u.ClientId, StringComparer.Ordinal))
        {
            var why = Reject(u);
            if (why != null) throw new InvalidDataException($"update from '{u.ClientId}' rejected: {why}");
            _latest[u.ClientId] = u;
            reporting.Add(u.ClientId);
        }
        if (_latest.Count == 0) throw new InvalidOperationException("no client has reported a round yet");
        int k = _masses.Length, d = _dim;
        var theta = new double[_theta.Length];
        var sums = new double[k * d];
        var occ = new double[k];
        var batchesPer = new int[k];
        double weightTotal = 0, objective = 0;
        foreach (var (_, u) in _latest)
        {
            double w = u.Count;
            weightTotal += w;
            for (int p = 0; p < theta.Length; p++) theta[p] += w * u.Theta[p];
            for (int t = 0; t < sums.Length; t++) sums[t] += u.PrototypeSums[t];
            for (int c = 0; c < k; c++)
            {
                occ[c] += u.Occupancy[c];
                // a batch "populates" a prototype when it holds at least 5 % of its fair share
                if (u.Occupancy[c] >= 0.05 * _masses[c] * u.Count && u.Occupancy[c] >= 1) batchesPer[c]++;
            }
            objective += w * u.Loss;
        }
        for (int p = 0; p < theta.Length; p++) _theta[p] = (float)(theta[p] / weightTotal);
        objective /= weightTotal;
        double shift = 0, occTotal = occ.Sum();
        for (int c = 0; c < k; c++)
        {
            if (occ[c] <= 1e-12) continue; // nobody assigns here: keep the prototype where it is
            double sq = 0;
            for (int j = 0; j < d; j++)
            {
                float nv = (float)(sums[c * d + j] / occ[c]);
                double diff = nv - _prototypes[c * d + j];
                sq += diff * diff;
                _prototypes[c * d + j] = nv;
            }
            shift = Math.Max(shift, Math.Sqrt(sq / d));
        }
        for (int c = 0; c < k; c++) { _masses[c] = occ[c] / occTotal; _shared[c] = batchesPer[c] >= _opt.CompactMinBatches; }
        double relChange = double.IsNaN(_lastObjective) ? double.PositiveInfinity : Math.Abs(objective - _lastObjective) / Math.Max(Math.Abs(_lastObjective), 1e-12);
        _lastObjective = objective;
        _roundsRun++;
        bool converged = shift < _opt.Tolerance && relChange < _opt.Tolerance && Round >= _opt.CompactFromRound;
        bool stop = converged || Round >= _lastRound;
        if (!stop) Round++;
        return new RoundOutcome(RoundBroadcast(), stop, shift, objective, reporting);
    }

    /// <summary>A deep copy of the state after the last step, for a checkpoint or a model.</summary>
    public ServerState ExportState() => new()
    {
        Options = _opt, Round = Round, LastRound = _lastRound, RoundsRun = _roundsRun, Counts = new SortedDictionary<string, long>(_counts, StringComparer.Ordinal),
        Normalisation = _norm, Theta = (float[])_theta.Clone(), Prototypes = (float[])_prototypes.Clone(),
        Masses = (double[])_masses.Clone(), Shared = (bool[])_shared.Clone(), LastObjective = _lastObjective,
        Latest = _latest.Values.ToList(),
    };
}
