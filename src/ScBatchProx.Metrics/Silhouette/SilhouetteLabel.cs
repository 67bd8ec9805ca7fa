using ScBatchProx.Data;

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
