using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Sampling;

namespace ScBatchProx.Metrics.Silhouette;

/// <summary>
/// silhouette_label (METRICS.md 4.2): (mean_i s_i + 1) / 2 with clusters = cell types, Euclidean,
/// nearest-cluster silhouette over all cells. Higher is better, range [0, 1].
/// </summary>
public static class SilhouetteLabel
{
    public static double Score(Embedding x, Categorical labels, int threads = 0)
        => FromSamples(Samples(x, labels, threads));

    /// <summary>
    /// The per-cell label silhouette shared by silhouette_label and isolated_labels, so the
    /// Benchmarker pays the O(n^2 d) pass once.
    /// </summary>
    public static double[] Samples(Embedding x, Categorical labels, int threads = 0)
    {
        MetricInput.Require(labels, x.Rows, "labels");
        return SilhouetteSamples.Compute(x, labels.Codes, SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest, threads);
    }

    /// <summary>
    /// The exact label silhouette of a label-stratified sample of cells (<see cref="MetricSampling"/>):
    /// <see cref="MetricSampling.LabelSilhouetteCells"/> cells in proportion to the label sizes, at
    /// least one per label and <see cref="MetricSampling.CellsPerLabel"/> per isolated label (the
    /// labels isolated_labels averages over), each measured against all cells. Values are parallel
    /// to the sample's cells; silhouette_label is <see cref="FromSample"/>, isolated_labels
    /// <see cref="IsolatedLabels.Score(ReadOnlySpan{double}, int[], Categorical, Categorical, int?)"/> on the sample's cells.
    /// </summary>
    public static (StratifiedSample Sample, double[] Values) SampledSamples(Embedding x, Categorical labels, Categorical batches,
        MetricSampling sampling, int? isoThreshold = null, int threads = 0)
    {
        MetricInput.Require(labels, x.Rows, "labels");
        var members = MetricInput.Members(labels);
        var isolated = IsolatedLabels.Isolated(labels, batches, isoThreshold).ToHashSet();
        var sizes = members.Select(m => m.Length).ToArray();
        var floor = sizes.Select((size, l) => Math.Min(size, isolated.Contains(l) ? sampling.CellsPerLabel : 1)).ToArray();
        var sample = StratifiedSample.Draw(members, StratifiedSample.Allocate(sizes, sampling.LabelSilhouetteCells, floor), sampling.Seed, "label_silhouette");
        var values = SilhouetteSamples.ComputeFor(ExactNeighbors.Widen(x), x.Rows, x.Cols, labels.Codes, sample.Cells,
            SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest, threads);
        return (sample, values);
    }

    /// <summary>silhouette_label from a sample's silhouettes: (stratified mean + 1) / 2.</summary>
    public static double FromSample(StratifiedSample sample, ReadOnlySpan<double> values) => (sample.Mean(values) + 1) / 2;

    public static double FromSamples(ReadOnlySpan<double> samples)
    {
        double sum = 0;
        foreach (var v in samples) sum += v;
        return (sum / samples.Length + 1) / 2;
    }
}

/// <summary>Input checks shared by the metrics of this folder.</summary>
static class MetricInput
{
    /// <summary>Throws unless the column has one value per cell and no missing values (the Benchmarker drops those cells first).</summary>
    public static void Require(Categorical column, int n, string what)
    {
        if (column.Length != n) throw new ArgumentException($"{what}: {column.Length} values for {n} cells.");
        int missing = column.MissingCount();
        if (missing > 0) throw new ArgumentException($"{what}: {missing} cells have no value; exclude them first.");
    }

    /// <summary>Cell indices per category code (empty for unused categories), ascending.</summary>
    public static int[][] Members(Categorical column)
    {
        var counts = column.Counts();
        var members = new int[counts.Length][];
        for (int c = 0; c < counts.Length; c++) members[c] = new int[counts[c]];
        var fill = new int[counts.Length];
        for (int i = 0; i < column.Length; i++) members[column.Codes[i]][fill[column.Codes[i]]++] = i;
        return members;
    }
}
