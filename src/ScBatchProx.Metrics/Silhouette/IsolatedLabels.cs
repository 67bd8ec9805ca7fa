using ScBatchProx.Data;

namespace ScBatchProx.Metrics.Silhouette;

/// <summary>
/// isolated_labels (METRICS.md 4.3, scib-metrics ASW variant): the labels present in the fewest
/// batches are "isolated"; the score is the unweighted mean over them of the mean rescaled label
/// silhouette (s + 1) / 2 of their cells. s is the ordinary all-label silhouette, not
/// "isolated label versus rest". When every label is in every batch all labels count (quirk Q8;
/// theislab/scib returns NaN there).
/// </summary>
public static class IsolatedLabels
{
    public static double Score(Embedding x, Categorical labels, Categorical batches, int? isoThreshold = null, int threads = 0)
        => Score(SilhouetteLabel.Samples(x, labels, threads), labels, batches, isoThreshold);

    /// <summary>Score from the per-cell label silhouette (<see cref="SilhouetteLabel.Samples"/>).</summary>
    public static double Score(ReadOnlySpan<double> labelSilhouette, Categorical labels, Categorical batches, int? isoThreshold = null)
    {
        MetricInput.Require(labels, labelSilhouette.Length, "labels");
        return Score(labelSilhouette, null, labels, batches, isoThreshold);
    }

    /// <summary>
    /// Score from the label silhouettes of some cells only (<paramref name="cells"/>, ascending,
    /// parallel to <paramref name="labelSilhouette"/>; null = every cell): each isolated label
    /// scores the mean over its listed cells, which must include at least one of each isolated label.
    /// </summary>
    public static double Score(ReadOnlySpan<double> labelSilhouette, int[]? cells, Categorical labels, Categorical batches, int? isoThreshold = null)
    {
        var isolated = Isolated(labels, batches, isoThreshold);
        var sum = new double[labels.CategoryCount];
        var count = new int[labels.CategoryCount];
        for (int t = 0; t < labelSilhouette.Length; t++)
        {
            int l = labels.Codes[cells?[t] ?? t];
            sum[l] += (labelSilhouette[t] + 1) / 2;
            count[l]++;
        }
        double total = 0;
        foreach (var l in isolated)
        {
            if (count[l] == 0) throw new ArgumentException($"no silhouette is given for a cell of isolated label '{labels.Categories[l]}'.");
            total += sum[l] / count[l];
        }
        return total / isolated.Count;
    }

    /// <summary>
    /// Codes of the isolated labels, ascending: labels whose number of distinct batches is at most
    /// the threshold (default: the minimum over labels, so the set is never empty).
    /// </summary>
    public static IReadOnlyList<int> Isolated(Categorical labels, Categorical batches, int? isoThreshold = null)
    {
        MetricInput.Require(batches, labels.Length, "batches");
        MetricInput.Require(labels, labels.Length, "labels");
        var seen = new HashSet<(int, int)>();
        var batchCount = new int[labels.CategoryCount];
        for (int i = 0; i < labels.Length; i++)
            if (seen.Add((labels.Codes[i], batches.Codes[i]))) batchCount[labels.Codes[i]]++;
        var present = Enumerable.Range(0, labels.CategoryCount).Where(l => batchCount[l] > 0).ToList();
        int threshold = isoThreshold ?? present.Min(l => batchCount[l]);
        return present.Where(l => batchCount[l] <= threshold).ToList();
    }
}
