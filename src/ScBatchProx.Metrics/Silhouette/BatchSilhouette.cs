using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Sampling;

namespace ScBatchProx.Metrics.Silhouette;

/// <param name="Score">unweighted mean over the scored labels; NaN when every label is skipped.</param>
/// <param name="PerLabel">label name to its mean of 1 - |s|, for the labels that were not skipped.</param>
/// <param name="ScoredCells">cells whose silhouette was computed (fewer than the scored labels hold when labels were sampled).</param>
/// <param name="Sampled">true when at least one label was scored on a sample of its cells.</param>
public sealed record BatchSilhouetteResult(double Score, IReadOnlyDictionary<string, double> PerLabel, int ScoredCells, bool Sampled);

/// <summary>
/// Per-label batch silhouettes: silhouette_batch (METRICS.md 4.6, classic set: Euclidean, nearest)
/// and BRAS (4.7, current set: cosine, mean_other). For every label in sorted order the silhouette
/// is computed among that label's cells with batches as clusters, and the label scores the mean of
/// 1 - |s|. A label is skipped if it has one batch or as many batches as cells. Cost is the sum
/// of squared label sizes, far below the all-cell silhouette. With <see cref="MetricSampling"/> in
/// force, a label larger than <see cref="MetricSampling.CellsPerLabel"/> is scored on that many of its
/// cells, stratified by batch (each measured against all cells of the label), and its mean of 1 - |s|
/// is the stratified estimate; the skip rules always look at all of the label's cells.
/// </summary>
public static class BatchSilhouette
{
    public static double SilhouetteBatch(Embedding x, Categorical labels, Categorical batches, int threads = 0)
        => Compute(x, labels, batches, SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest, threads).Score;

    public static double Bras(Embedding x, Categorical labels, Categorical batches, int threads = 0)
        => Compute(x, labels, batches, SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther, threads).Score;

    /// <param name="sampling">null or not applying to x.Rows cells: every label exact.</param>
    public static BatchSilhouetteResult Compute(Embedding x, Categorical labels, Categorical batches,
        SilhouetteMetric metric, BetweenClusterDistance between, int threads = 0, MetricSampling? sampling = null)
    {
        bool sample = sampling?.Applies(x.Rows) == true;
        int scored = 0;
        bool anySampled = false;
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
            if (sample && cells.Length > sampling!.CellsPerLabel)
            {
                var strata = ByBatch(batchOf);
                var sizes = strata.Select(m => m.Length).ToArray();
                var drawn = StratifiedSample.Draw(strata, StratifiedSample.Allocate(sizes, sampling.CellsPerLabel, sizes.Select(z => Math.Min(z, 1)).ToArray()),
                    sampling.Seed, "batch_silhouette/" + labels.Categories[l]);
                var sv = SilhouetteSamples.ComputeFor(sub, cells.Length, d, batchOf, drawn.Cells, metric, between, threads);
                perLabel[labels.Categories[l]] = drawn.Mean(sv.Select(v => 1 - Math.Abs(v)).ToArray());
                scored += sv.Length;
                anySampled = true;
                continue;
            }
            var s = SilhouetteSamples.Compute(sub, cells.Length, d, batchOf, metric, between, threads);
            double sum = 0;
            foreach (var v in s) sum += 1 - Math.Abs(v);
            perLabel[labels.Categories[l]] = sum / s.Length;
            scored += s.Length;
        }
        double score = perLabel.Count == 0 ? double.NaN : perLabel.Values.Sum() / perLabel.Count;
        return new BatchSilhouetteResult(score, perLabel, scored, anySampled);
    }

    /// <summary>Positions (0..n-1) of each batch code's cells, one stratum per code present, ascending.</summary>
    internal static int[][] ByBatch(int[] batchOf)
        => batchOf.Select((b, p) => (b, p)).GroupBy(x => x.b).OrderBy(g => g.Key).Select(g => g.Select(x => x.p).ToArray()).ToArray();
}
