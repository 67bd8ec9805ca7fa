namespace ScBatchProx.Metrics.Neighbors;

/// <summary>
/// k nearest neighbours of every cell, self included at column 0 (distance 0), columns sorted by
/// ascending Euclidean distance, ties by ascending index. Row-major n x k. Sliced views (first 15,
/// 50 columns) give the smaller graphs, as scib-metrics does. A query-versus-reference search
/// (<see cref="ExactNeighbors.SearchReference"/>) has the same layout without the self column:
/// row r belongs to query r and its indices are reference rows.
/// </summary>
public sealed class NeighborGraph
{
    public int N { get; }
    public int K { get; }
    public int[] Indices { get; }
    public double[] Distances { get; }

    public NeighborGraph(int n, int k, int[] indices, double[] distances)
    {
        if (indices.Length != (long)n * k || distances.Length != (long)n * k)
            throw new ArgumentException($"neighbour arrays must hold {n} x {k} entries.");
        N = n; K = k; Indices = indices; Distances = distances;
    }

    public ReadOnlySpan<int> IndicesOf(int i) => new(Indices, i * K, K);
    public ReadOnlySpan<double> DistancesOf(int i) => new(Distances, i * K, K);

    /// <summary>The first <paramref name="k"/> columns of every row.</summary>
    public NeighborGraph Slice(int k)
    {
        if (k > K || k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"cannot slice {k} columns from a {K}-NN graph.");
        if (k == K) return this;
        var idx = new int[N * k]; var dist = new double[N * k];
        for (int i = 0; i < N; i++)
        {
            Array.Copy(Indices, i * K, idx, i * k, k);
            Array.Copy(Distances, i * K, dist, i * k, k);
        }
        return new NeighborGraph(N, k, idx, dist);
    }
}
