using ScBatchProx.Metrics.Benchmark;

namespace ScBatchProx.Report;

/// <summary>One scIB metric (or aggregate) before and after refinement; NaN where it was not computed.</summary>
public sealed record MetricRow(string Name, double Before, double After)
{
    public double Change => After - Before;

    /// <summary>True for "Bio conservation", "Batch correction" and "Total".</summary>
    public bool IsAggregate => Name is MetricSet.BioConservation or MetricSet.BatchCorrection or MetricSet.Total;

    /// <summary>
    /// The metrics either result holds with a finite value (in <see cref="MetricSet.All"/> order,
    /// then the optional ones, then unknown names), followed by the three current-set aggregates
    /// where finite. Without labels the bio metrics are NaN and so drop out, and with them Bio
    /// conservation and Total.
    /// </summary>
    public static IReadOnlyList<MetricRow> Compare(BenchmarkResult before, BenchmarkResult after)
    {
        var known = MetricSet.All.Concat(MetricSet.Optional).ToList();
        var names = before.Metrics.Keys.Union(after.Metrics.Keys)
            .OrderBy(n => known.IndexOf(n) is var i && i >= 0 ? i : int.MaxValue).ThenBy(n => n, StringComparer.Ordinal);
        var rows = names.Select(n => new MetricRow(n, before[n], after[n])).ToList();
        AggregateScores b = before.Current, a = after.Current;
        rows.Add(new MetricRow(MetricSet.BioConservation, b.BioConservation, a.BioConservation));
        rows.Add(new MetricRow(MetricSet.BatchCorrection, b.BatchCorrection, a.BatchCorrection));
        rows.Add(new MetricRow(MetricSet.Total, b.Total, a.Total));
        return rows.Where(r => double.IsFinite(r.Before) || double.IsFinite(r.After)).ToList();
    }

    /// <summary>The result's embedding name for column headers and legends, or the fallback when it has none.</summary>
    internal static string Label(BenchmarkResult result, string fallback) => string.IsNullOrEmpty(result.Embedding) ? fallback : result.Embedding;
}

/// <summary>Benchmark: relative gain of the Total score for one dataset and upstream embedding (0.066 = +6.6 %).</summary>
public sealed record TotalGain(string Dataset, string Embedding, double RelativeGain);

/// <summary>
/// Continual protocol, one step (a batch arriving): Total score of the extended model, of a full
/// re-run on everything seen so far, and of the upstream embedding.
/// </summary>
public sealed record ContinualStep(string Step, double ExtendTotal, double FullRerunTotal, double UpstreamTotal);

/// <summary>
/// Imbalance protocol, one perturbation (a population down-sampled or removed from one batch):
/// kNN-classification F1 of the affected cell type on the upstream and on the refined embedding.
/// </summary>
public sealed record ImbalanceCase(string Perturbation, string AffectedType, double UpstreamF1, double RefinedF1);
