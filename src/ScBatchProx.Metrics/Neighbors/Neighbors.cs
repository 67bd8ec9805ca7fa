using ScBatchProx.Data;

namespace ScBatchProx.Metrics.Neighbors;

public enum NeighborMethod
{
    /// <summary>Exact up to <see cref="Neighbors.AutoExactMaxCells"/> cells, partitioned search above.</summary>
    Auto,
    Exact,
    /// <summary>NN-descent (<see cref="NNDescent"/>), as scib-metrics' pynndescent.</summary>
    Approximate,
    /// <summary>Partitioned exact search (<see cref="PartitionedNeighbors"/>): approximate, linear in n.</summary>
    Partitioned,
}

/// <summary>Entry point for the k-NN graph the metrics share (METRICS.md section 2: one k = 90 search).</summary>
public static class Neighbors
{
    /// <summary>
    /// Largest n searched exactly by <see cref="NeighborMethod.Auto"/>. The exact search is O(n^2 d)
    /// but runs as a float32 GEMM-shaped candidate filter with exact float64 re-ranking
    /// (<see cref="ExactNeighbors.SearchFiltered"/>): measured on 2 cores (BENCHMARKS.md), 100,000
    /// cells x 50 dims take about 15 s exactly versus about 134 s for NN-descent, so exact is the
    /// default well beyond that; above 200,000 cells the quadratic cost takes over.
    /// </summary>
    /// <remarks>
    /// Above it Auto uses <see cref="PartitionedNeighbors"/>: on 1,000,000 simulated cells x 50 dims
    /// NN-descent had used more than 1,150 CPU seconds without finishing, the partitioned search took
    /// 174 CPU seconds at recall@90 = 0.979 on 1,000 queries (docs/atlas-scale.md).
    /// </remarks>
    public const int AutoExactMaxCells = 200_000;

    public static NeighborGraph Build(Embedding embedding, int k = 90, NeighborMethod method = NeighborMethod.Auto,
        int threads = 0, NNDescentOptions? approximate = null, IProgress<string>? progress = null)
        => Build(ExactNeighbors.Widen(embedding), embedding.Rows, embedding.Cols, k, method, threads, approximate, progress);

    /// <param name="progress">receives the partitioned search's progress (partitions searched).</param>
    public static NeighborGraph Build(double[] data, int n, int d, int k = 90, NeighborMethod method = NeighborMethod.Auto,
        int threads = 0, NNDescentOptions? approximate = null, IProgress<string>? progress = null)
    {
        if (method == NeighborMethod.Auto) method = n <= AutoExactMaxCells ? NeighborMethod.Exact : NeighborMethod.Partitioned;
        return method switch
        {
            NeighborMethod.Exact => ExactNeighbors.Search(data, n, d, k, threads),
            NeighborMethod.Approximate => NNDescent.Search(data, n, d, k, approximate, threads),
            _ => PartitionedNeighbors.Search(data, n, d, k, null, threads, progress),
        };
    }
}
