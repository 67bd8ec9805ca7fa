namespace ScBatchProx.Metrics.Sampling;

/// <summary>
/// When the metrics whose cost grows with the square of the cell count (the silhouettes, and kBET's
/// diffusion-space neighbour search) score a seeded stratified sample of cells instead of every cell.
/// Up to <see cref="ExactMaxCells"/> cells nothing is sampled and every value is the exact one. Above
/// it, each sampled cell's own value is still exact (its silhouette is measured against all cells
/// of the comparison set, its kBET neighbourhood is searched among all cells of its label), and only
/// the average over cells is estimated, by a stratified mean that is unbiased for the all-cell mean:
/// <list type="bullet">
/// <item>silhouette_label (a mean over all cells): <see cref="LabelSilhouetteCells"/> cells stratified by
/// label in proportion to the label sizes; isolated_labels (a mean over the isolated labels of their
/// per-label means) gets at least <see cref="CellsPerLabel"/> cells of every isolated label from the same sample;</item>
/// <item>bras and silhouette_batch (per label, a mean over the label's cells with batches as clusters,
/// then an unweighted mean over labels): each label with more than <see cref="CellsPerLabel"/> cells is
/// scored on <see cref="CellsPerLabel"/> of them stratified by batch (label x batch strata);</item>
/// <item>kbet_per_label (per label, the acceptance rate over the label's cells): the same per-label,
/// batch-stratified sample of tested cells; the diffusion map is still computed on the whole label.</item>
/// </list>
/// </summary>
public sealed record MetricSampling
{
    /// <summary>
    /// Largest cell count scored exactly. 100,000 cells x 50 dims take about 15-25 s for the exact
    /// label silhouette and 20-60 s for kBET on 2 cores (BENCHMARKS.md); the exact cost grows with the
    /// square of the count, the sampled cost linearly.
    /// </summary>
    public int ExactMaxCells { get; init; } = 100_000;

    /// <summary>Cells in the label-stratified sample of the label silhouette: standard error of silhouette_label about 0.1 / sqrt(this) (0.001).</summary>
    public int LabelSilhouetteCells { get; init; } = 10_000;

    /// <summary>Per-label sample of the batch silhouettes and kBET, and the minimum per isolated label.</summary>
    public int CellsPerLabel { get; init; } = 2_000;

    public ulong Seed { get; init; }

    /// <summary>True when a dataset of <paramref name="cells"/> cells is scored on samples.</summary>
    public bool Applies(int cells) => cells > ExactMaxCells;

    /// <summary>Never sample (every metric exact at any size).</summary>
    public static MetricSampling Never { get; } = new() { ExactMaxCells = int.MaxValue };
}

/// <summary>How a metric was subsampled: <paramref name="Cells"/> of <paramref name="Of"/> cells scored, the strata, the seed.</summary>
public sealed record SampleInfo(int Cells, int Of, string StratifiedBy, ulong Seed);
