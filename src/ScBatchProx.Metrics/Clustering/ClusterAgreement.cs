using ScBatchProx.Data;

namespace ScBatchProx.Metrics.Clustering;

/// <summary>
/// Partition agreement with sklearn's conventions: normalized_mutual_info_score with
/// average_method="arithmetic" and adjusted_rand_score, including their degenerate cases.
/// Labels are arbitrary ints; only equality matters.
/// </summary>
public static class ClusterAgreement
{
    /// <summary>numpy's finfo(float64).eps, sklearn's cut-off for negligible MI terms.</summary>
    const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// MI / ((H(a) + H(b)) / 2), natural logs. 1 when both labelings have a single cluster (or are
    /// empty); 0 when MI is 0 (sklearn 1.2: no perfect match is possible then).
    /// </summary>
    public static double Nmi(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var t = Contingency.Build(a, b);
        if ((t.RowSums.Length == 1 && t.ColSums.Length == 1) || (t.RowSums.Length == 0 && t.ColSums.Length == 0)) return 1.0;
        double mi = MutualInformation(t);
        if (mi == 0) return 0.0;
        return mi / ((Entropy(t.RowSums) + Entropy(t.ColSums)) / 2);
    }

    /// <summary>Hubert-Arabie adjusted Rand index from the pair confusion matrix; 1 when no pair disagrees.</summary>
    public static double Ari(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var t = Contingency.Build(a, b);
        // Pair counts reach n^2 and their products n^4, beyond long for n ~ 1e5: Int128 keeps them
        // exact as Python's ints do; the result is rounded to double only at the final division.
        Int128 n = a.Length, sumSquares = 0, rowDot = 0, colDot = 0;
        foreach (var (r, c, v) in t.Cells)
        {
            sumSquares += (Int128)v * v;
            rowDot += (Int128)v * t.ColSums[c];
            colDot += (Int128)v * t.RowSums[r];
        }
        Int128 tp = sumSquares - n, fp = rowDot - sumSquares, fn = colDot - sumSquares;
        Int128 tn = n * n - fp - fn - sumSquares;
        if (fn == 0 && fp == 0) return 1.0;
        return 2.0 * (double)(tp * tn - fn * fp) / (double)((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
    }

    /// <summary>sklearn mutual_info_score from the non-zero contingency cells; 0 if either side has one cluster.</summary>
    static double MutualInformation(Contingency t)
    {
        if (t.RowSums.Length == 1 || t.ColSums.Length == 1) return 0.0;
        double total = t.Total, logTotal = Math.Log(total);
        double mi = 0;
        foreach (var (r, c, v) in t.Cells)
        {
            double p = v / total;
            double outer = (double)((long)t.RowSums[r] * t.ColSums[c]);
            double term = p * (Math.Log(v) - logTotal) + p * (-Math.Log(outer) + logTotal + logTotal);
            // sklearn zeroes terms below epsilon before summing.
            if (Math.Abs(term) >= MachineEpsilon) mi += term;
        }
        return Math.Max(mi, 0.0);
    }

    /// <summary>sklearn entropy of a labeling from its cluster sizes (all positive); 0 for one cluster.</summary>
    static double Entropy(int[] sizes)
    {
        if (sizes.Length <= 1) return 0.0;
        double total = 0;
        foreach (var s in sizes) total += s;
        double logTotal = Math.Log(total), h = 0;
        foreach (var s in sizes) h += s / total * (Math.Log(s) - logTotal);
        return -h;
    }

    /// <summary>Sparse contingency table: dense row/column ids in ascending label order, non-zero cells row-major.</summary>
    sealed class Contingency
    {
        public required int[] RowSums { get; init; }
        public required int[] ColSums { get; init; }
        public required List<(int Row, int Col, int Count)> Cells { get; init; }
        public long Total { get; init; }

        public static Contingency Build(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
        {
            if (a.Length != b.Length) throw new ArgumentException($"labelings differ in length ({a.Length} vs {b.Length}).");
            var ra = Dense(a, out int na);
            var rb = Dense(b, out int nb);
            var counts = new Dictionary<long, int>();
            for (int i = 0; i < ra.Length; i++)
            {
                long key = (long)ra[i] * nb + rb[i];
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
            var cells = counts.OrderBy(kv => kv.Key).Select(kv => ((int)(kv.Key / nb), (int)(kv.Key % nb), kv.Value)).ToList();
            var rows = new int[na];
            var cols = new int[nb];
            foreach (var (r, c, v) in cells) { rows[r] += v; cols[c] += v; }
            return new Contingency { RowSums = rows, ColSums = cols, Cells = cells, Total = a.Length };
        }

        static int[] Dense(ReadOnlySpan<int> labels, out int count)
        {
            var distinct = new SortedSet<int>();
            foreach (var v in labels) distinct.Add(v);
            var map = new Dictionary<int, int>();
            foreach (var v in distinct) map[v] = map.Count;
            var result = new int[labels.Length];
            for (int i = 0; i < result.Length; i++) result[i] = map[labels[i]];
            count = map.Count;
            return result;
        }
    }
}

/// <summary>
/// KMeans NMI / ARI (METRICS.md 4.4): k-means with k = number of labels present, then NMI
/// (arithmetic) and ARI of the clusters against the labels.
/// </summary>
public static class KmeansNmiAri
{
    /// <summary>
    /// One k-means run (n_init = 1, as scib-metrics), or, with <paramref name="seeds"/> &gt; 1, the
    /// mean over the seeds <paramref name="seed"/> .. seed + seeds - 1. A single initialisation can
    /// merge two well-separated labels (cellbench_lung5: one seed in five), so the mean is the steadier
    /// figure for comparing embeddings.
    /// </summary>
    /// <param name="progress">receives the Lloyd iterations of each run as they pass (every 50).</param>
    public static (double Nmi, double Ari) Score(Embedding x, Categorical labels, ulong seed = 0, int threads = 0, int seeds = 1,
        IProgress<string>? progress = null)
    {
        if (labels.Length != x.Rows) throw new ArgumentException($"labels: {labels.Length} values for {x.Rows} cells.");
        if (labels.MissingCount() > 0) throw new ArgumentException("labels: some cells have no value; exclude them first.");
        if (seeds < 1) throw new ArgumentOutOfRangeException(nameof(seeds), seeds, "at least one k-means seed is needed.");
        int k = labels.Counts().Count(c => c > 0);
        double nmi = 0, ari = 0;
        for (int s = 0; s < seeds; s++)
        {
            var result = KMeans.Fit(x, k, seed + (ulong)s, threads: threads,
                progress: progress is null ? null : new Progress(it => progress.Report(seeds == 1 ? $"iteration {it}" : $"seed {s + 1}/{seeds}, iteration {it}")));
            nmi += ClusterAgreement.Nmi(labels.Codes, result.Labels);
            ari += ClusterAgreement.Ari(labels.Codes, result.Labels);
        }
        return (nmi / seeds, ari / seeds);
    }

    sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
