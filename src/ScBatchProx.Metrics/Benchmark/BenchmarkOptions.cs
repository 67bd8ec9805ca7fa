using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Sampling;

namespace ScBatchProx.Metrics.Benchmark;

public sealed record BenchmarkOptions
{
    /// <summary>
    /// Metrics to compute (<see cref="MetricSet"/> names). The default is all eleven, so that both
    /// the current and the classic aggregates can be formed; silhouette_batch costs only the sum of
    /// squared label sizes.
    /// </summary>
    public IReadOnlyCollection<string> Metrics { get; init; } = MetricSet.All;

    /// <summary>
    /// 90-NN search. Auto is exact up to <see cref="Neighbors.Neighbors.AutoExactMaxCells"/> cells (what the oracle
    /// uses), the approximate partitioned search above (scib-metrics itself always searches approximately, with pynndescent).
    /// </summary>
    public NeighborMethod NeighborMethod { get; init; } = NeighborMethod.Auto;

    /// <summary>Worker threads; 0 = all processors. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Seed of the k-means++ initialisation (scib-metrics: JAX seed 0, not reproducible here).</summary>
    public ulong KMeansSeed { get; init; }

    /// <summary>
    /// KMeans NMI/ARI as the mean over this many seeds from <see cref="KMeansSeed"/> on. 1 is
    /// scib-metrics' protocol (one initialisation); more average out the initialisation lottery.
    /// </summary>
    public int KMeansSeeds { get; init; } = 1;

    /// <summary>
    /// Above <see cref="MetricSampling.ExactMaxCells"/> cells, the silhouettes and kBET score seeded
    /// stratified samples (reported in <see cref="BenchmarkResult.Subsampled"/>); <see cref="MetricSampling.Never"/> keeps every metric exact.
    /// </summary>
    public MetricSampling Sampling { get; init; } = new();

    /// <summary>isolated_labels threshold on the number of batches; null = the minimum over labels (scib-metrics default).</summary>
    public int? IsolatedLabelThreshold { get; init; }
}
