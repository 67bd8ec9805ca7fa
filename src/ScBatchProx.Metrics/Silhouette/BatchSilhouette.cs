using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Silhouette;

/// <param name="Score">unweighted mean over the scored labels; NaN when every label is skipped.</param>
/// <param name="PerLabel">label name to its mean of 1 - |s|, for the labels that were not skipped.</param>
public sealed record BatchSilhouetteResult(double Score, IReadOnlyDictionary<string, double> PerLabel);

/// <summary>
/// Per-label batch silhouettes: silhouette_batch (METRICS.md 4.6, classic set: Euclidean, nearest)
/// and BRAS (4.7, current set: cosine, mean_other). For every label in sorted order the silhouette
/// is computed among that label's cells with batches as clusters, and the label scores the mean of
/// 1 - |s|. A label is skipped if it has one batch or as many batches as cells. Cost is the sum
/// of squared label sizes, far below the all-cell silhouette.
/// </summary>
public static class BatchSilhouette
{
    public static double SilhouetteBatch(Embedding x, Categorical labels, Categorical batches, int threads = 0)
        => Compute(x, labels, batches, SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest, threads).Score;

    public static double Bras(Embedding x, Categorical labels, Categorical batches, int threads = 0)
        => Compute(x, labels, batches, SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther, threads).Score;

    public static BatchSilhouetteResult Compute(Embedding x, Categorical labels, Categorical batches,
        SilhouetteMetric metric, BetweenClusterDistance between, int threads = 0)
    {
        MetricInput.Require(labels, x.Rows, "labels");
        MetricInput.Require(batches, x.Rows, "batches");
        var data = ExactNeighbors.Widen(x);
        int d = x.Cols;
        var perLabel = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var members = MetricInput.Members(labels);
        for (int l = 0; l < members.Length; l++)
        {
            var cells = members[l];
            if (cells.Length == 0) continue;
            var batchOf = cells.Select(i => batches.Codes[i]).ToArray();
            int distinct = batchOf.Distinct().Count();
            if (distinct == 1 || distinct == cells.Length) continue;
            var sub = new double[(long)cells.Length * d];
            for (int r = 0; r < cells.Length; r++) data.AsSpan(cells[r] * d, d).CopyTo(sub.AsSpan(r * d, d));
            var s = SilhouetteSamples.Compute(sub, cells.Length, d, batchOf, metric, between, threads);
            double sum = 0;
            foreach (var v in s) sum += 1 - Math.Abs(v);
            perLabel[labels.Categories[l]] = sum / s.Length;
        }
        double score = perLabel.Count == 0 ? double.NaN : perLabel.Values.Sum() / perLabel.Count;
        return new BatchSilhouetteResult(score, perLabel);
    }
}
