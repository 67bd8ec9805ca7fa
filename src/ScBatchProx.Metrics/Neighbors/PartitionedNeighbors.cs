using ScBatchProx.Data;
using ScBatchProx.Kernels;
using ScBatchProx.Metrics.Clustering;

namespace ScBatchProx.Metrics.Neighbors;

/// <summary>Tuning of <see cref="PartitionedNeighbors"/>.</summary>
public sealed record PartitionOptions
{
    /// <summary>Average cells per partition (the number of k-means centroids is n / this).</summary>
    public int CellsPerPartition { get; init; } = 1000;
    /// <summary>Partitions searched for the cells of a partition: itself and its nearest ones by centroid distance.</summary>
    public int Probes { get; init; } = 12;
    /// <summary>Cells the centroids are fitted on (a seeded uniform sample).</summary>
    public int TrainingCells { get; init; } = 40_000;
    /// <summary>Lloyd iterations of the centroid fit.</summary>
    public int Iterations { get; init; } = 10;
    public ulong Seed { get; init; }
}

/// <summary>
/// Approximate k-NN for atlas-sized data by partitioned exact search (an inverted-file index): the
/// cells are split by k-means centroids fitted on a sample, and the cells of each partition are
/// searched exactly (<see cref="ExactNeighbors.SearchSubset"/>: same float64 kernel, ties by index)
/// among the cells of the <see cref="PartitionOptions.Probes"/> partitions with the nearest
/// centroids. A true neighbour is missed only when it lies in a partition that was not probed.
/// Cost about n x Probes x CellsPerPartition x d (linear in n), against n^2 d for the exact search
/// and the candidate-join overheads of NN-descent. Deterministic for a seed, whatever the thread
/// count: the centroids do not depend on it and each partition is searched on its own.
/// Rows follow the exact layout: self at column 0, then ascending (distance, index).
/// </summary>
public static class PartitionedNeighbors
{
    public static NeighborGraph Search(double[] data, int n, int d, int k = 90, PartitionOptions? options = null, int threads = 0,
        IProgress<string>? progress = null)
    {
        ExactNeighbors.Validate(data, n, d, k);
        options ??= new PartitionOptions();
        var po = ExactNeighbors.Options(threads);
        int partitions = Math.Max(1, n / Math.Max(1, options.CellsPerPartition));
        var centroids = FitCentroids(data, n, d, partitions, options, threads);
        var assignment = Nearest(data, n, d, centroids, partitions, po);
        var members = new List<int>[partitions];
        for (int c = 0; c < partitions; c++) members[c] = [];
        for (int i = 0; i < n; i++) members[assignment[i]].Add(i);
        progress?.Report($"{partitions} partitions fitted");

        var probes = ProbeLists(centroids, partitions, d, members, k, options.Probes);
        var indices = new int[(long)n * k];
        var distances = new double[(long)n * k];
        int done = 0, step = Math.Max(1, partitions / 10);
        Parallel.For(0, partitions, po, c =>
        {
            if (members[c].Count == 0) return;
            // References in ascending cell order, so local index order is the global one and the
            // search's ties by index are ties by cell index.
            var refs = probes[c].SelectMany(p => members[p]).Order().ToArray();
            var local = new double[(long)refs.Length * d];
            for (int r = 0; r < refs.Length; r++) Array.Copy(data, (long)refs[r] * d, local, (long)r * d, d);
            var queries = members[c].Select(i => Array.BinarySearch(refs, i)).ToArray();
            var g = ExactNeighbors.SearchSubset(local, refs.Length, d, queries, k, threads: 1);
            for (int q = 0; q < queries.Length; q++)
            {
                long row = (long)members[c][q] * k;
                var idx = g.IndicesOf(q);
                for (int j = 0; j < k; j++) indices[row + j] = refs[idx[j]];
                g.DistancesOf(q).CopyTo(distances.AsSpan((int)row, k));
            }
            int finished = Interlocked.Increment(ref done);
            if (finished % step == 0) progress?.Report($"{finished}/{partitions} partitions searched");
        });
        return new NeighborGraph(n, k, indices, distances);
    }

    /// <summary>k-means centroids (k-means++ and Lloyd) of a seeded uniform sample of the cells, k x d row-major.</summary>
    static double[] FitCentroids(double[] data, int n, int d, int partitions, PartitionOptions o, int threads)
    {
        var sample = new SeededRng(o.Seed).SampleIndices(n, Math.Max(partitions, Math.Min(n, o.TrainingCells)));
        var x = new Embedding(sample.Length, d);
        for (int r = 0; r < sample.Length; r++)
            for (int t = 0; t < d; t++) x[r, t] = (float)data[(long)sample[r] * d + t];
        // Exactly Iterations Lloyd steps: a tolerance no inertia change can exceed ends the loop at maxIter.
        return KMeans.Fit(x, partitions, o.Seed, maxIter: o.Iterations, tol: double.PositiveInfinity, threads: threads).Centroids;
    }

    /// <summary>Index of the nearest centroid of every cell (first on ties).</summary>
    static int[] Nearest(double[] data, int n, int d, double[] centroids, int k, ParallelOptions po)
    {
        const int block = 256;
        int stride = Distances.PackedStride(k);
        var packed = new double[d * stride];
        Distances.PackTransposed(centroids, k, d, packed, stride);
        var nearest = new int[n];
        Parallel.For(0, (n + block - 1) / block, po, () => new double[block * stride], (b, _, tile) =>
        {
            int i0 = b * block, rn = Math.Min(block, n - i0);
            Distances.SquaredEuclideanTile(data.AsSpan(i0 * d, rn * d), rn, d, packed, k, stride, tile, stride);
            for (int q = 0; q < rn; q++)
            {
                var row = tile.AsSpan(q * stride, k);
                int best = 0;
                for (int c = 1; c < k; c++) if (row[c] < row[best]) best = c;
                nearest[i0 + q] = best;
            }
            return tile;
        }, _ => { });
        return nearest;
    }

    /// <summary>
    /// For every partition, itself and the partitions with the nearest centroids: at least
    /// <paramref name="probes"/> non-empty ones, more while they hold fewer than k cells.
    /// </summary>
    static int[][] ProbeLists(double[] centroids, int partitions, int d, List<int>[] members, int k, int probes)
    {
        var lists = new int[partitions][];
        Parallel.For(0, partitions, c =>
        {
            var dist = new double[partitions];
            for (int p = 0; p < partitions; p++)
                dist[p] = p == c ? -1 : Distances.SquaredEuclidean(centroids.AsSpan(c * d, d), centroids.AsSpan(p * d, d));
            var byDistance = Enumerable.Range(0, partitions).OrderBy(p => dist[p]).ThenBy(p => p);
            var chosen = new List<int>();
            int cells = 0;
            foreach (var p in byDistance)
            {
                if (members[p].Count == 0) continue;
                chosen.Add(p);
                cells += members[p].Count;
                if (chosen.Count >= probes && cells >= k) break;
            }
            lists[c] = chosen.ToArray();
        });
        return lists;
    }
}
