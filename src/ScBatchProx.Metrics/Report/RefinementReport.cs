using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Sampling;

namespace ScBatchProx.Metrics.Report;

/// <summary>
/// What a refinement did, measured without cell-type labels: the change in batch mixing and how
/// far each cell's 15-NN neighbourhood moved, with a warning when too many neighbourhoods changed.
/// Above <see cref="ExactMaxCells"/> cells both are measured within a seeded sample of
/// <see cref="SampleCells"/> cells drawn from each batch in proportion to its size
/// (<see cref="SampledCells"/> says so), so the report stays far from quadratic at atlas scale.
/// </summary>
public sealed record RefinementReport(
    double MixingBefore, double MixingAfter, double MeanOverlap, double LowOverlapFraction,
    IReadOnlyDictionary<string, double> OverlapPerBatch, bool Disturbed, int? SampledCells = null)
{
    /// <summary>Neighbours per cell (self included), as scanpy's default 15-NN graph.</summary>
    public const int K = 15;
    /// <summary>A cell's neighbourhood counts as disturbed when it keeps less than this share of its neighbours.</summary>
    public const double LowOverlap = 0.2;
    /// <summary>Warn when more than this share of the cells are disturbed.</summary>
    public const double WarnFraction = 0.5;
    /// <summary>Up to this many cells the report is exact; above, it uses a sample of <see cref="SampleCells"/>.</summary>
    public const int ExactMaxCells = 50_000, SampleCells = 50_000;

    public static RefinementReport Compute(Embedding before, Embedding after, Categorical batch, int threads,
        int exactMaxCells = ExactMaxCells, int sampleCells = SampleCells)
    {
        if (before.Rows <= exactMaxCells)
            return Compute(ExactNeighbors.Search(before, K, threads), ExactNeighbors.Search(after, K, threads), batch);
        // every batch keeps at least 100 cells (or all it has), so each gets its own figure
        var strata = BatchPartition.Of(batch).Parts.Select(p => p.Rows).ToArray();
        var take = StratifiedSample.Allocate(strata.Select(s => s.Length).ToArray(), sampleCells, strata.Select(s => Math.Min(s.Length, 100)).ToArray());
        var sample = StratifiedSample.Draw(strata, take, seed: 0, "refinement-report").Cells;
        var sampledBatch = Categorical.FromStrings(batch.Name, sample.Select(batch.ValueAt).ToList());
        return Compute(ExactNeighbors.Search(before.SelectRows(sample), K, threads), ExactNeighbors.Search(after.SelectRows(sample), K, threads), sampledBatch)
            with { SampledCells = sample.Length };
    }

    /// <summary>The report from 15-NN graphs (self at column 0) of the input and of the refined embedding.</summary>
    public static RefinementReport Compute(NeighborGraph gb, NeighborGraph ga, Categorical batch)
    {
        var overlap = KnnFigures.NeighborhoodOverlap(gb, ga);
        var perBatch = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int b = 0; b < batch.CategoryCount; b++)
        {
            double sum = 0; int n = 0;
            for (int i = 0; i < overlap.Length; i++) if (batch.Codes[i] == b) { sum += overlap[i]; n++; }
            if (n > 0) perBatch[batch.Categories[b]] = sum / n;
        }
        double low = overlap.Count(o => o < LowOverlap) / (double)overlap.Length;
        return new RefinementReport(KnnFigures.BatchMixing(gb, batch), KnnFigures.BatchMixing(ga, batch),
            overlap.Average(), low, perBatch, low > WarnFraction);
    }
}
