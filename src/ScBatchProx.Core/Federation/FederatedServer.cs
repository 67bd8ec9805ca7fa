using ScBatchProx.Data;
using ScBatchProx.Core.Method;

namespace ScBatchProx.Core.Federation;

/// <summary>Result of one server step.</summary>
public sealed record RoundOutcome(ServerBroadcast Next, bool Stop, double PrototypeShift, double Objective, IReadOnlyList<string> Reporting);

/// <summary>
/// The coordinator's state machine: federated normalisation, prototype initialisation, and the
/// per-round aggregation (n_b-weighted average of theta, prototype sums, masses). It sees only
/// <see cref="ClientUpdate"/>s. Updates are folded in ordinal client-id order, so the result does
/// not depend on arrival order or thread count.
/// </summary>
public sealed class FederatedServer
{
    readonly RefineOptions _opt;
    readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);
    readonly SortedDictionary<string, ClientUpdate> _latest = new(StringComparer.Ordinal);
    int _dim;
    long _total;
    double[] _mean = [];
    double _scale;
    float[] _theta = [];
    float[] _prototypes = [];
    double[] _masses = [];
    bool[] _shared = [];
    double _lastObjective = double.NaN;

    public FederatedServer(RefineOptions options) { options.Validate(); _opt = options; }

    public RefineOptions Options => _opt;
    public int Round { get; private set; }
    public IReadOnlyCollection<string> Clients => _counts.Keys;
    public long TotalCells => _total;
    public double[] Mean => _mean;
    public double Scale => _scale;
    public float[] Theta => _theta;
    public float[] Prototypes => _prototypes;
    public double[] Masses => _masses;
    public int Dim => _dim;

    public static ServerBroadcast Hello => new() { Kind = BroadcastKind.Hello };

    /// <summary>Global mean m and one scalar scale s (RMS distance to m per dimension) from every client's sums.</summary>
    public ServerBroadcast Setup(IReadOnlyList<ClientUpdate> stats)
    {
        var ordered = stats.OrderBy(u => u.ClientId, StringComparer.Ordinal).ToList();
        if (ordered.Count == 0) throw new InvalidOperationException("no client reported statistics");
        _dim = ordered[0].Sum!.Length;
        foreach (var u in ordered)
        {
            Require(u, UpdateKind.Stats, 0);
            if (u.Sum!.Length != _dim) throw new InvalidDataException($"client '{u.ClientId}' reports {u.Sum.Length} dimensions, others {_dim}.");
            if (u.Count < 2) throw new InvalidDataException($"client '{u.ClientId}' has {u.Count} cell(s); at least 2 are needed.");
            if (!_counts.TryAdd(u.ClientId, u.Count)) throw new InvalidDataException($"duplicate client id '{u.ClientId}'.");
        }
        _total = _counts.Values.Sum();
        int k = _opt.PrototypeCount(_total);
        if (_total < k) throw new InvalidDataException($"{_total} cells are fewer than the {k} prototypes requested.");
        _mean = new double[_dim];
        double sumSq = 0;
        foreach (var u in ordered) { for (int j = 0; j < _dim; j++) _mean[j] += u.Sum![j]; sumSq += u.SumSquares; }
        for (int j = 0; j < _dim; j++) _mean[j] /= _total;
        double meanSq = 0; foreach (var v in _mean) meanSq += v * v;
        double spread = Math.Max(0, sumSq - _total * meanSq);
        _scale = Math.Sqrt(spread / ((double)_total * _dim));
        if (!(_scale > 0)) _scale = 1; // every cell identical: keep units
        _theta = new AdapterShape(_dim, _opt.Hidden).InitialTheta(_opt.Seed);
        return new ServerBroadcast
        {
            Kind = BroadcastKind.Setup, Options = _opt, Dim = _dim, PrototypeCount = k,
            Mean = _mean, Scale = _scale, Theta = _theta,
        };
    }

    /// <summary>Weighted k-means over the pooled client centroids gives the K initial prototypes.</summary>
    public ServerBroadcast InitializePrototypes(IReadOnlyList<ClientUpdate> centroidReports)
    {
        var ordered = centroidReports.OrderBy(u => u.ClientId, StringComparer.Ordinal).ToList();
        var pooled = new List<float>(); var weights = new List<double>();
        foreach (var u in ordered)
        {
            Require(u, UpdateKind.Centroids, 0);
            if (u.Centroids!.Length != u.CentroidSizes!.Length * _dim) throw new InvalidDataException($"client '{u.ClientId}': centroid shape mismatch.");
            pooled.AddRange(u.Centroids); weights.AddRange(u.CentroidSizes);
        }
        int k = _opt.PrototypeCount(_total);
        var km = WeightedKMeans.Fit(pooled.ToArray(), weights.Count, _dim, weights.ToArray(), k, SeededRng.For(_opt.Seed, "server-kmeans"), maxIter: 100, restarts: _opt.KMeansRestarts);
        _prototypes = km.Centroids;
        double w = km.Sizes.Sum();
        _masses = km.Sizes.Select(s => s / w).ToArray();
        _shared = Enumerable.Repeat(true, km.K).ToArray();
        Round = 1;
        return RoundBroadcast();
    }

    ServerBroadcast RoundBroadcast() => new()
    {
        Kind = BroadcastKind.Round, Round = Round, Options = _opt, Dim = _dim, PrototypeCount = _masses.Length,
        Theta = _theta, Prototypes = _prototypes, Masses = _masses, SharedPrototypes = _shared,
        CompactOn = Round >= _opt.CompactFromRound,
    };

    public ServerBroadcast Final() => new()
    {
        Kind = BroadcastKind.Final, Round = Round, Options = _opt, Dim = _dim, Theta = _theta,
    };

    /// <summary>Why an update cannot be aggregated, or null when it can.</summary>
    public string? Reject(ClientUpdate u)
    {
        if (!_counts.TryGetValue(u.ClientId, out long n)) return $"unknown client id '{u.ClientId}'";
        if (u.Kind != UpdateKind.Round) return $"expected a round update, got {u.Kind}";
        if (u.Round != Round) return $"stale round {u.Round} (server is at round {Round})";
        if (u.Count != n) return $"cell count {u.Count} differs from the {n} announced";
        int k = _masses.Length, thetaLen = new AdapterShape(_dim, _opt.Hidden).ThetaLength;
        if (u.Theta?.Length != thetaLen) return $"theta has {u.Theta?.Length ?? 0} values, expected {thetaLen}";
        if (u.PrototypeSums?.Length != k * _dim) return $"prototype sums have {u.PrototypeSums?.Length ?? 0} values, expected {k * _dim}";
        if (u.Occupancy?.Length != k) return $"occupancy has {u.Occupancy?.Length ?? 0} values, expected {k}";
        if (u.Theta.Any(v => !float.IsFinite(v)) || u.PrototypeSums.Any(v => !double.IsFinite(v))
            || u.Occupancy.Any(v => !double.IsFinite(v) || v < 0) || !double.IsFinite(u.Loss))
            return "non-finite or negative values";
        return null;
    }

    /// <summary>
    /// Server step: folds the round's valid updates; clients that missed the round are carried
    /// forward with their last report. Returns the next broadcast and whether to stop.
    /// </summary>
    public RoundOutcome Aggregate(IReadOnlyList<ClientUpdate> updates)
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
            for (int p = 0; p < theta.Length; p++) theta[p] += w * u.Theta![p];
            for (int t = 0; t < sums.Length; t++) sums[t] += u.PrototypeSums![t];
            for (int c = 0; c < k; c++)
            {
                occ[c] += u.Occupancy![c];
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
        bool converged = shift < _opt.Tolerance && relChange < _opt.Tolerance && Round >= _opt.CompactFromRound;
        bool stop = converged || Round >= _opt.Rounds;
        if (!stop) Round++;
        return new RoundOutcome(RoundBroadcast(), stop, shift, objective, reporting);
    }

    /// <summary>The setup broadcast of this run, rebuilt from the state (for clients that rejoin after a restart).</summary>
    public ServerBroadcast SetupBroadcast() => new()
    {
        Kind = BroadcastKind.Setup, Options = _opt, Dim = _dim, PrototypeCount = _opt.PrototypeCount(_total),
        Mean = _mean, Scale = _scale, Theta = new AdapterShape(_dim, _opt.Hidden).InitialTheta(_opt.Seed),
    };

    /// <summary>The broadcast of the current round (after <see cref="InitializePrototypes"/> or a resumed state).</summary>
    public ServerBroadcast CurrentRoundBroadcast() => RoundBroadcast();

    /// <summary>A deep copy of the state after the last step, for a checkpoint.</summary>
    public ServerState ExportState() => new()
    {
        Options = _opt, Round = Round, Dim = _dim, Counts = new SortedDictionary<string, long>(_counts, StringComparer.Ordinal),
        Mean = (double[])_mean.Clone(), Scale = _scale, Theta = (float[])_theta.Clone(), Prototypes = (float[])_prototypes.Clone(),
        Masses = (double[])_masses.Clone(), Shared = (bool[])_shared.Clone(), LastObjective = _lastObjective,
        Latest = _latest.Values.ToList(),
    };

    /// <summary>Continues from a checkpointed state; only on a fresh server with the same options.</summary>
    public void ImportState(ServerState s)
    {
        if (_counts.Count > 0) throw new InvalidOperationException("the server has already started; import a state into a fresh server.");
        if (s.Options != _opt) throw new InvalidDataException("the checkpoint was written with other options than this server's.");
        foreach (var (id, n) in s.Counts) _counts[id] = n;
        foreach (var u in s.Latest) _latest[u.ClientId] = u;
        _total = _counts.Values.Sum();
        _dim = s.Dim; Round = s.Round; _mean = (double[])s.Mean.Clone(); _scale = s.Scale;
        _theta = (float[])s.Theta.Clone(); _prototypes = (float[])s.Prototypes.Clone(); _masses = (double[])s.Masses.Clone();
        _shared = (bool[])s.Shared.Clone(); _lastObjective = s.LastObjective;
    }

    static void Require(ClientUpdate u, UpdateKind kind, int round)
    {
        if (u.Kind != kind) throw new InvalidDataException($"client '{u.ClientId}' sent {u.Kind}, expected {kind}.");
        if (u.Round != round) throw new InvalidDataException($"client '{u.ClientId}' answered round {u.Round}, expected {round}.");
    }
}
