using ScBatchProx.Data;

namespace ScBatchProx.Metrics.Neighbors;

public enum NeighborMethod
{
    /// <summary>Exact up to <see cref="Neighbors.AutoExactMaxCells"/> cells, NN-descent above.</summary>
    Auto,
    Exact,
    Approximate,
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
    public const int AutoExactMaxCells = 200_000;

    public static NeighborGraph Build(Embedding embedding, int k = 90, NeighborMethod method = NeighborMethod.Auto,
        int threads = 0, NNDescentOptions? approximate = null)
        => Build(ExactNeighbors.Widen(embedding), embedding.Rows, embedding.Cols, k, method, threads, approximate);

    public static NeighborGraph Build(double[] data, int n, int d, int k = 90, NeighborMethod method = NeighborMethod.Auto,
        int threads = 0, NNDescentOptions? approximate = null)
    {
        bool exact = method == NeighborMethod.Exact || (method == NeighborMethod.Auto && n <= AutoExactMaxCells);
        return exact ? ExactNeighbors.Search(data, n, d, k, threads) : NNDescent.Search(data, n, d, k, approximate, threads);
    }
}
