using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Report;

/// <summary>
/// What a refinement did, measured without cell-type labels: the change in batch mixing and how
/// far each cell's 15-NN neighbourhood moved, with a warning when too many neighbourhoods changed.
/// </summary>
public sealed record RefinementReport(
    double MixingBefore, double MixingAfter, double MeanOverlap, double LowOverlapFraction,
    IReadOnlyDictionary<string, double> OverlapPerBatch, bool Disturbed)
{
    /// <summary>Neighbours per cell (self included), as scanpy's default 15-NN graph.</summary>
    public const int K = 15;
    /// <summary>A cell's neighbourhood counts as disturbed when it keeps less than this share of its neighbours.</summary>
    public const double LowOverlap = 0.2;
    /// <summary>Warn when more than this share of the cells are disturbed.</summary>
    public const double WarnFraction = 0.5;

    public static RefinementReport Compute(Embedding before, Embedding after, Categorical batch, int threads)
        => Compute(ExactNeighbors.Search(before, K, threads), ExactNeighbors.Search(after, K, threads), batch);

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
