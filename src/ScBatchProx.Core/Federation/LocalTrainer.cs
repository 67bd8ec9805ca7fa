using ScBatchProx.Core.Method;
using ScBatchProx.Data;
using ScBatchProx.Kernels;

namespace ScBatchProx.Core.Federation;

/// <summary>Where a client's shared parameters start each round and which ones its output uses.</summary>
public enum TrainingAnchor
{
    /// <summary>Every round starts from the broadcast theta_bar; the output uses the final theta_bar (federated training).</summary>
    Global,
    /// <summary>
    /// The client keeps its own theta_b across rounds, held near the broadcast theta_bar by the
    /// proximal term, and its output uses theta_b (a batch added to a frozen model by extension).
    /// </summary>
    Personal,
}

/// <summary>
/// A client's training state from setup on: its normalised cells, the adapter parameters it trains
/// (shared theta_b and personal FiLM phi_b) and their optimisers. Answers round broadcasts with
/// one <see cref="RoundUpdate"/> and keeps its refined embedding to itself.
/// </summary>
public sealed class LocalTrainer
{
    const int Block = 512;

    readonly RowView _input;      // the working set: every cell of the batch, or a seeded sample of them
    readonly int _n, _w, _d;
    readonly RefineOptions _opt;
    readonly AdapterShape _shape;
    readonly float[] _theta;
    readonly float[] _phi;
    readonly AdamOptimizer _adamTheta, _adamPhi;
    readonly TrainingAnchor _anchor;
    double[]? _lastOccupancy;

    public string Id { get; }
    public Normalisation Normalisation { get; }
    public int CellCount => _n;
    /// <summary>Personal FiLM parameters phi_b (gamma, beta).</summary>
    public float[] Film => _phi;
    /// <summary>The client's shared parameters theta_b as last trained.</summary>
    public float[] LocalTheta => _theta;

    /// <param name="phi">FiLM parameters to continue from, or null for zero (FiLM is then the identity modulation).</param>
    /// <param name="workingSet">The rows the trainer samples from: the batch's working set (<see cref="WorkingSet.Draw"/>), read in place.</param>
    /// <param name="count">n_b, the batch's number of cells (the working set may hold fewer).</param>
    public LocalTrainer(string id, RowView workingSet, long count, RefineOptions options, Normalisation normalisation, float[] theta, float[]? phi, TrainingAnchor anchor)
    {
        if (workingSet.Cols != normalisation.Dim) throw new ArgumentException($"batch '{id}' has {workingSet.Cols} dimensions, the run {normalisation.Dim}.");
        if (workingSet.Count < 1 || workingSet.Count > count) throw new ArgumentException($"batch '{id}': a working set of {workingSet.Count} cells for {count} cells.");
        Id = id; _input = workingSet; _n = checked((int)count); _w = workingSet.Count; _d = workingSet.Cols;
        _opt = options; Normalisation = normalisation; _anchor = anchor;
        _shape = new AdapterShape(_d, _opt.Hidden);
        _theta = (float[])theta.Clone();
        _phi = phi is null ? new float[_shape.PhiLength] : (float[])phi.Clone();
        _adamTheta = new AdamOptimizer(_shape.ThetaLength, _opt.LearningRate);
        _adamPhi = new AdamOptimizer(_shape.PhiLength, _opt.LearningRate);
    }

    /// <summary>The normalised rows <paramref name="cells"/> (indices into the batch), packed into x.</summary>
    void Normalised(ReadOnlySpan<int> cells, Span<float> x)
    {
        double inv = 1.0 / Normalisation.Scale;
        var mean = Normalisation.Mean;
        for (int i = 0; i < cells.Length; i++)
        {
            var row = _input.Row(cells[i]);
            var xi = x.Slice(i * _d, _d);
            for (int j = 0; j < _d; j++) xi[j] = (float)((row[j] - mean[j]) * inv);
        }
    }

    /// <summary>Seeded local k-means on a sample of up to 50 K cells; only centroids and their sizes leave the client.</summary>
    public LocalCentroids Centroids(int prototypeCount)
    {
        var rng = SeededRng.For(_opt.Seed, "kmeans:" + Id);
        var sample = rng.SampleIndices(_w, Math.Min(_w, 50 * prototypeCount));
        var pts = new float[sample.Length * _d];
        Normalised(sample, pts);
        var km = WeightedKMeans.Fit(pts, sample.Length, _d, null, prototypeCount, rng, restarts: _opt.KMeansRestarts);
        double scaleUp = (double)_n / sample.Length;
        return new LocalCentroids { ClientId = Id, Count = _n, Centroids = km.Centroids, Sizes = km.Sizes.Select(s => s * scaleUp).ToArray() };
    }

    public RoundUpdate Train(RoundBroadcast b)
    {
        var thetaBar = b.Theta;
        if (_anchor == TrainingAnchor.Global) thetaBar.CopyTo(_theta, 0);
        int k = b.Masses.Length, d = _d;
        var protos = b.Prototypes;
        var expected = b.Masses.Select(p => p * _n).ToArray();
        // Extra sweeps re-estimate O_bk on the current output before the pass that is used, so the
        // diversity penalty reflects this round's embedding rather than the last one.
        // the cells this round looks at: a seeded sample for the statistics, and within it the training sample
        var rng = SeededRng.For(_opt.Seed, "round:" + Id, (ulong)b.Round);
        var stats = rng.SampleIndices(_w, _opt.StatisticsCells);
        var train = rng.SampleIndices(stats.Length, _opt.TrainingCells);   // positions in stats
        double scaleUp = (double)_n / stats.Length;                       // sums over the sample stand for the whole batch

        var observed = _lastOccupancy;
        for (int sweep = 1; sweep < _opt.DiversitySweeps; sweep++)
            observed = Occupancy(new SoftAssignment(protos, k, d, _opt.Sigma, _opt.Diversity, _opt.DiversityCap, expected, observed), k, stats, scaleUp);
        var assign = new SoftAssignment(protos, k, d, _opt.Sigma, _opt.Diversity, _opt.DiversityCap, expected, observed);

        // 1. one pass over the statistics sample: soft assignments, prototype sums, occupancies
        var sampleR = new float[train.Length * k];
        var sumsOut = new double[k * d];
        var sumsIn = _opt.AlignTarget == AlignTarget.Input ? new double[k * d] : sumsOut;
        var occupancy = new double[k];
        var cache = new AdapterCache(Math.Max(Block, _opt.MiniBatch), _shape);
        var delta = new float[Block * d];
        var r = new float[Block * k];
        var scratch = new float[Block * d];
        var xBlock = new float[Block * d];
        int nextSample = 0;
        for (int start = 0; start < stats.Length; start += Block)
        {
            int m = Math.Min(Block, stats.Length - start);
            var xs = xBlock.AsSpan(0, m * d);
            Normalised(stats.AsSpan(start, m), xs);
            Adapter.Residual(_shape, _opt.Activation, _theta, _phi, xs, m, delta, cache);
            for (int t = 0; t < m * d; t++) delta[t] += xs[t];            // delta now holds x' = f(x)
            assign.Assign(delta, m, r, scratch);
            for (int i = 0; i < m; i++)
            {
                var ri = r.AsSpan(i * k, k);
                var xo = delta.AsSpan(i * d, d);
                for (int c = 0; c < k; c++)
                {
                    double w = ri[c];
                    occupancy[c] += w;
                    Vec.AccumulateDouble(w, xo, sumsOut.AsSpan(c * d, d));
                    if (!ReferenceEquals(sumsIn, sumsOut)) Vec.AccumulateDouble(w, xs.Slice(i * d, d), sumsIn.AsSpan(c * d, d));
                }
                if (nextSample < train.Length && train[nextSample] == start + i)
                    ri.CopyTo(sampleR.AsSpan(nextSample++ * k, k));
            }
        }
        if (scaleUp != 1)
        {
            for (int c = 0; c < k; c++) occupancy[c] *= scaleUp;
            for (int t = 0; t < sumsOut.Length; t++) sumsOut[t] *= scaleUp;
            if (!ReferenceEquals(sumsIn, sumsOut)) for (int t = 0; t < sumsIn.Length; t++) sumsIn[t] *= scaleUp;
        }

        // 2. per-cell targets for the sampled cells: alignment shift and compactness pull
        var shift = new float[k * d];   // c_k - m_bk, zero where the batch has no mass
        for (int c = 0; c < k; c++)
        {
            if (occupancy[c] < 1e-8) continue;
            for (int j = 0; j < d; j++) shift[c * d + j] = (float)(protos[c * d + j] - sumsIn[c * d + j] / occupancy[c]);
        }
        int ms = train.Length;
        var sx = new float[ms * d];
        Normalised(train.Select(q => stats[q]).ToArray(), sx);
        var alignTarget = new float[ms * d];
        Gemm.MulAB(sampleR, ms, k, shift, d, alignTarget);
        if (_opt.AlignTarget == AlignTarget.Input)
            for (int t = 0; t < ms * d; t++) alignTarget[t] += sx[t];
        else
            AddOutput(sx, ms, alignTarget, cache, delta);
        bool compact = b.CompactOn && _opt.LambdaCompact > 0;
        var compactTarget = compact ? new float[ms * d] : [];
        var compactWeight = compact ? new float[ms] : [];
        if (compact) CompactTargets(sampleR, ms, k, protos, b.SharedPrototypes, compactTarget, compactWeight);

        // 3. local training: E epochs of Adam over minibatches of the sample
        var order = Enumerable.Range(0, ms).ToArray();
        var gTheta = new float[_shape.ThetaLength];
        var gPhi = new float[_shape.PhiLength];
        int mb = _opt.MiniBatch;
        var bx = new float[mb * d]; var gy = new float[mb * d]; var res = new float[mb * d];
        double lastEpochLoss = 0;
        float lid = (float)_opt.LambdaId, lc = (float)_opt.LambdaCompact;
        for (int epoch = 0; epoch < _opt.LocalEpochs; epoch++)
        {
            rng.Shuffle(order);
            double epochLoss = 0;
            for (int s0 = 0; s0 < ms; s0 += mb)
            {
                int m = Math.Min(mb, ms - s0);
                for (int q = 0; q < m; q++) sx.AsSpan(order[s0 + q] * d, d).CopyTo(bx.AsSpan(q * d, d));
                Adapter.Residual(_shape, _opt.Activation, _theta, _phi, bx, m, res, cache);
                double loss = 0;
                float g2 = 2f / m;
                for (int q = 0; q < m; q++)
                {
                    int idx = order[s0 + q];
                    for (int j = 0; j < d; j++)
                    {
                        float xv = bx[q * d + j], dv = res[q * d + j], y = xv + dv;
                        float ea = y - alignTarget[idx * d + j];
                        float g = ea + lid * dv;
                        loss += ea * ea + lid * dv * dv;
                        if (compact)
                        {
                            float w = compactWeight[idx], ec = y - compactTarget[idx * d + j];
                            g += lc * w * ec;
                            loss += lc * w * ec * ec;
                        }
                        gy[q * d + j] = g2 * g;
                    }
                }
                Array.Clear(gTheta); Array.Clear(gPhi);
                Adapter.Backward(_shape, _opt.Activation, _theta, _phi, bx, m, gy, cache, gTheta, gPhi);
                double prox = 0;
                float mu = (float)_opt.Mu;
                for (int p = 0; p < gTheta.Length; p++)
                {
                    float diff = _theta[p] - thetaBar[p];
                    gTheta[p] += mu * diff;
                    prox += diff * diff;
                }
                _adamTheta.Step(_theta, gTheta);
                if (_opt.UseFilm) _adamPhi.Step(_phi, gPhi);
                epochLoss += loss / m + 0.5 * _opt.Mu * prox;
            }
            lastEpochLoss = epochLoss / ((ms + mb - 1) / mb);
        }
        _lastOccupancy = occupancy;
        return new RoundUpdate
        {
            ClientId = Id, Round = b.Round, Count = _n,
            Theta = (float[])_theta.Clone(), PrototypeSums = sumsOut, Occupancy = occupancy, Loss = lastEpochLoss,
        };
    }

    /// <summary>O_bk = sum_i R_ik over the sampled cells of the current output, scaled to the batch.</summary>
    double[] Occupancy(SoftAssignment assign, int k, int[] cells, double scaleUp)
    {
        int d = _d;
        var occupancy = new double[k];
        var cache = new AdapterCache(Block, _shape);
        var output = new float[Block * d];
        var r = new float[Block * k];
        var scratch = new float[Block * d];
        var xs = new float[Block * d];
        for (int start = 0; start < cells.Length; start += Block)
        {
            int m = Math.Min(Block, cells.Length - start);
            Normalised(cells.AsSpan(start, m), xs);
            Adapter.Residual(_shape, _opt.Activation, _theta, _phi, xs.AsSpan(0, m * d), m, output, cache);
            for (int t = 0; t < m * d; t++) output[t] += xs[t];
            assign.Assign(output, m, r, scratch);
            for (int t = 0; t < m * k; t++) occupancy[t % k] += r[t];
        }
        if (scaleUp != 1) for (int c = 0; c < k; c++) occupancy[c] *= scaleUp;
        return occupancy;
    }

    /// <summary>target += f(x) for the rows of x (output-anchored alignment).</summary>
    void AddOutput(float[] x, int m, float[] target, AdapterCache cache, float[] buffer)
    {
        int d = _d;
        for (int start = 0; start < m; start += Block)
        {
            int len = Math.Min(Block, m - start);
            var xs = x.AsSpan(start * d, len * d);
            Adapter.Residual(_shape, _opt.Activation, _theta, _phi, xs, len, buffer, cache);
            for (int t = 0; t < len * d; t++) target[start * d + t] += xs[t] + buffer[t];
        }
    }

    /// <summary>Pull towards the responsibility-weighted mean of the shared prototypes only.</summary>
    static void CompactTargets(float[] r, int m, int k, float[] protos, bool[] shared, float[] target, float[] weight)
    {
        int d = protos.Length / k;
        for (int q = 0; q < m; q++)
        {
            var tq = target.AsSpan(q * d, d);
            float w = 0;
            for (int c = 0; c < k; c++)
            {
                if (!shared[c]) continue;
                float rc = r[q * k + c];
                w += rc;
                Vec.Axpy(rc, protos.AsSpan(c * d, d), tq);
            }
            weight[q] = w;
            if (w > 0) { float inv = 1f / w; for (int j = 0; j < d; j++) tq[j] *= inv; }
        }
    }

    /// <summary>The adapter this client's output is computed with once <paramref name="final"/> arrives.</summary>
    public BatchAdapter FinalAdapter(FinalBroadcast final) => _anchor == TrainingAnchor.Global
        ? new(_shape, _opt.Activation, (float[])final.Theta.Clone(), (float[])_phi.Clone())
        : PersonalAdapter();

    /// <summary>The client's own trained adapter: theta_b and phi_b.</summary>
    public BatchAdapter PersonalAdapter() => new(_shape, _opt.Activation, (float[])_theta.Clone(), (float[])_phi.Clone());

    /// <summary>The report for the server: how far the working set moved. The output itself is the model's transform.</summary>
    public FinalReport Finish(FinalBroadcast final)
    {
        double shiftSum = FinalAdapter(final).Apply(_input.Source, _input.Rows, Normalisation, null);
        return new FinalReport { ClientId = Id, Count = _n, Round = final.Round, MeanShift = shiftSum / _w };
    }
}

/// <summary>
/// The cells a client trains on: all of them up to <see cref="RefineOptions.WorkingCells"/>, else a
/// seeded sample drawn once per run. Rounds sample from it, so training never needs the whole
/// batch in memory, and a site and an in-process run draw the same rows.
/// </summary>
public static class WorkingSet
{
    /// <summary>Sorted indices (into the batch's rows, 0..count-1) of the working set.</summary>
    public static int[] Draw(RefineOptions options, string batch, int count) =>
        SeededRng.For(options.Seed, "working-set:" + batch).SampleIndices(count, options.WorkingCells);

    /// <summary>The working set of a batch whose rows are <paramref name="cells"/>, as a view (no copy).</summary>
    public static RowView Of(RefineOptions options, string batch, RowView cells) =>
        new(cells.Source, Draw(options, batch, cells.Count).Select(i => cells.Rows[i]).ToArray());
}
