using ScBatchProx.Data;
using ScBatchProx.Kernels;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Silhouette;

/// <summary>Pairwise distance of the silhouette (METRICS.md 4.1).</summary>
public enum SilhouetteMetric
{
    /// <summary>||x - y||_2.</summary>
    Euclidean,
    /// <summary>clip(1 - x·y / (||x|| ||y||), 0, 2); an all-zero row is at distance 1 from every other row.</summary>
    Cosine,
}

/// <summary>How b_i, the between-cluster distance of point i, is formed (METRICS.md 4.1).</summary>
public enum BetweenClusterDistance
{
    /// <summary>Smallest mean distance to another cluster: the standard silhouette.</summary>
    Nearest,
    /// <summary>Mean distance to all points outside i's cluster (BRAS).</summary>
    MeanOther,
    /// <summary>Largest mean distance to another cluster.</summary>
    Furthest,
}

/// <summary>
/// Per-point silhouette (scib-metrics utils/_silhouette.py, sklearn.metrics.silhouette_samples) in
/// float64, O(n^2 d) time and O(n C) memory: distance tiles are computed block by block and folded
/// at once into per-point, per-cluster distance sums; the n x n matrix is never stored.
/// <para>
/// Determinism: points are reordered so every cluster is a contiguous column range, and each row's
/// sums are accumulated over column blocks in ascending order by the one thread that owns the row
/// block. The result is therefore bitwise identical for any thread count.
/// </para>
/// </summary>
public static class SilhouetteSamples
{
    // Row block: rows handled by one work item (and the tile height). Column block: tile width, a
    // multiple of 16 so the 4x16 register-blocked kernels cover it; 256 x 50 packed doubles is 100 KB,
    // which stays in L2 while all rows of the block stream past it.
    const int RowBlock = 64;
    const int ColBlock = 256;

    /// <summary>Silhouette of every row of <paramref name="x"/> for cluster ids <paramref name="clusters"/> (any non-negative ints).</summary>
    public static double[] Compute(Embedding x, ReadOnlySpan<int> clusters, SilhouetteMetric metric = SilhouetteMetric.Euclidean,
        BetweenClusterDistance between = BetweenClusterDistance.Nearest, int threads = 0)
        => Compute(ExactNeighbors.Widen(x), x.Rows, x.Cols, clusters, metric, between, threads);

    /// <summary>Silhouette of the n rows of row-major <paramref name="data"/> (n x d).</summary>
    public static double[] Compute(double[] data, int n, int d, ReadOnlySpan<int> clusters, SilhouetteMetric metric = SilhouetteMetric.Euclidean,
        BetweenClusterDistance between = BetweenClusterDistance.Nearest, int threads = 0)
    {
        if (clusters.Length != n) throw new ArgumentException($"{clusters.Length} cluster ids for {n} points.");
        var (dense, count) = DenseCodes(clusters);
        var sums = ClusterDistanceSums(data, n, d, dense, count, metric, threads);
        return FromClusterSums(sums, dense, count, between);
    }

    /// <summary>
    /// Silhouette of the listed points only, each measured against all n points: the same value as
    /// <see cref="Compute"/> gives for that point (up to the summation order of the tiles), at a
    /// cost of queries x n instead of n x n. Result t belongs to point <c>queries[t]</c>.
    /// </summary>
    public static double[] ComputeFor(double[] data, int n, int d, ReadOnlySpan<int> clusters, int[] queries,
        SilhouetteMetric metric = SilhouetteMetric.Euclidean, BetweenClusterDistance between = BetweenClusterDistance.Nearest, int threads = 0)
    {
        if (clusters.Length != n) throw new ArgumentException($"{clusters.Length} cluster ids for {n} points.");
        foreach (var q in queries) if ((uint)q >= (uint)n) throw new ArgumentOutOfRangeException(nameof(queries), $"point {q} is outside 0..{n - 1}.");
        var (dense, count) = DenseCodes(clusters);
        var sums = Sums(data, n, d, dense, count, metric, queries, threads);
        var size = new int[count];
        foreach (var c in dense) size[c]++;
        var own = new int[queries.Length];
        for (int t = 0; t < queries.Length; t++) own[t] = dense[queries[t]];
        return FromClusterSums(sums, own, size, n, between);
    }

    /// <summary>
    /// sums[i * clusterCount + c] = sum over points j in cluster c of delta(i, j), self included
    /// (delta(i, i) = 0). <paramref name="clusters"/> must hold codes 0..clusterCount-1.
    /// </summary>
    public static double[] ClusterDistanceSums(double[] data, int n, int d, ReadOnlySpan<int> clusters, int clusterCount,
        SilhouetteMetric metric, int threads = 0)
        => Sums(data, n, d, clusters, clusterCount, metric, null, threads);

    /// <summary>
    /// The per-cluster distance sums of the rows <paramref name="queries"/> (all rows when null, in
    /// the caller's order either way) against all n rows.
    /// </summary>
    static double[] Sums(double[] data, int n, int d, ReadOnlySpan<int> clusters, int clusterCount,
        SilhouetteMetric metric, int[]? queries, int threads)
    {
        if (data.Length < (long)n * d) throw new ArgumentException("data is shorter than n x d.");
        if (clusters.Length != n) throw new ArgumentException($"{clusters.Length} cluster ids for {n} points.");
        // Stable counting sort by cluster: order[p] is the original index of sorted position p.
        var start = new int[clusterCount + 1];
        foreach (var c in clusters)
        {
            if ((uint)c >= (uint)clusterCount) throw new ArgumentException($"cluster id {c} is outside 0..{clusterCount - 1}.");
            start[c + 1]++;
        }
        for (int c = 0; c < clusterCount; c++) start[c + 1] += start[c];
        var order = new int[n];
        var fill = (int[])start.Clone();
        for (int i = 0; i < n; i++) order[fill[clusters[i]]++] = i;

        var rows = new double[(long)n * d];
        for (int p = 0; p < n; p++) data.AsSpan(order[p] * d, d).CopyTo(rows.AsSpan(p * d, d));
        if (metric == SilhouetteMetric.Cosine) NormalizeRows(rows, n, d);

        // Every column block is packed once up front and shared by all row blocks.
        int colBlocks = (n + ColBlock - 1) / ColBlock;
        var packed = new double[(long)colBlocks * d * ColBlock];
        for (int b = 0; b < colBlocks; b++)
        {
            int c0 = b * ColBlock, cn = Math.Min(ColBlock, n - c0);
            Distances.PackTransposed(rows.AsSpan(c0 * d, cn * d), cn, d, packed.AsSpan(b * d * ColBlock, d * ColBlock), ColBlock);
        }

        // Query rows in sorted order (all rows), or gathered in the caller's order; selfAt[q] is the
        // sorted position of query q, where its own distance sits in the tiles.
        int m = queries?.Length ?? n;
        int[]? selfAt = null;
        var queryRows = rows;
        if (queries is not null)
        {
            var position = new int[n];
            for (int p = 0; p < n; p++) position[order[p]] = p;
            selfAt = queries.Select(q => position[q]).ToArray();
            queryRows = new double[(long)m * d];
            for (int t = 0; t < m; t++) rows.AsSpan(selfAt[t] * d, d).CopyTo(queryRows.AsSpan(t * d, d));
        }
        var sortedSums = new double[(long)m * clusterCount];
        int rowBlocks = (m + RowBlock - 1) / RowBlock;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, rowBlocks, options, () => new double[RowBlock * ColBlock], (rb, _, tile) =>
        {
            int r0 = rb * RowBlock, rn = Math.Min(RowBlock, m - r0);
            var queryBlock = queryRows.AsSpan(r0 * d, rn * d);
            for (int b = 0; b < colBlocks; b++)
            {
                int c0 = b * ColBlock, cn = Math.Min(ColBlock, n - c0);
                var refs = packed.AsSpan(b * d * ColBlock, d * ColBlock);
                if (metric == SilhouetteMetric.Euclidean)
                    Distances.SquaredEuclideanTile(queryBlock, rn, d, refs, cn, ColBlock, tile, ColBlock, sqrt: true);
                else
                {
                    PairwiseTiles.CosineDistanceTile(queryBlock, rn, d, refs, cn, ColBlock, tile, ColBlock);
                    // Self is at distance 0 by definition (METRICS.md 4.1); 1 - x·x would leave a
                    // rounding residue of ~1e-16 in a_i.
                    for (int q = 0; q < rn; q++)
                    {
                        int col = (selfAt?[r0 + q] ?? r0 + q) - c0;
                        if ((uint)col < (uint)cn) tile[q * ColBlock + col] = 0;
                    }
                }
                // Fold the tile into per-cluster sums: clusters are contiguous column ranges.
                for (int c = ClusterAt(start, c0); c < clusterCount && start[c] < c0 + cn; c++)
                {
                    int s = Math.Max(start[c], c0) - c0, e = Math.Min(start[c + 1], c0 + cn) - c0;
                    if (e <= s) continue;
                    for (int q = 0; q < rn; q++)
                        sortedSums[(long)(r0 + q) * clusterCount + c] += PairwiseTiles.Sum(tile.AsSpan(q * ColBlock + s, e - s));
                }
            }
            return tile;
        }, _ => { });

        if (queries is not null) return sortedSums;
        // Back to the caller's point order.
        var sums = new double[(long)n * clusterCount];
        for (int p = 0; p < n; p++)
            sortedSums.AsSpan(p * clusterCount, clusterCount).CopyTo(sums.AsSpan(order[p] * clusterCount, clusterCount));
        return sums;
    }

    /// <summary>
    /// s_i = (b_i - a_i) / max(a_i, b_i) from per-cluster distance sums, NaN replaced by 0 (singleton
    /// clusters, a = b = 0, a single cluster). Clusters without points are ignored.
    /// </summary>
    public static double[] FromClusterSums(ReadOnlySpan<double> sums, ReadOnlySpan<int> clusters, int clusterCount, BetweenClusterDistance between)
    {
        var size = new int[clusterCount];
        foreach (var c in clusters) size[c]++;
        return FromClusterSums(sums, clusters, size, clusters.Length, between);
    }

    /// <summary>
    /// Silhouettes of the points whose sums are the rows of <paramref name="sums"/> and whose
    /// clusters are <paramref name="own"/>; <paramref name="size"/> and <paramref name="n"/> describe all points.
    /// </summary>
    static double[] FromClusterSums(ReadOnlySpan<double> sums, ReadOnlySpan<int> own, int[] size, int n, BetweenClusterDistance between)
    {
        int clusterCount = size.Length;
        var s = new double[own.Length];
        for (int i = 0; i < own.Length; i++)
        {
            var row = sums.Slice(i * clusterCount, clusterCount);
            int cluster = own[i];
            // Self is in the sum at distance 0, so dividing by n_c - 1 averages over the others;
            // a singleton gives 0/0 = NaN here, which becomes 0 below as in sklearn.
            double a = row[cluster] / (size[cluster] - 1);
            double b;
            if (between == BetweenClusterDistance.MeanOther)
            {
                double other = 0;
                for (int c = 0; c < clusterCount; c++) if (c != cluster) other += row[c];
                b = other / (n - size[cluster]);
            }
            else
            {
                bool nearest = between == BetweenClusterDistance.Nearest;
                // No other cluster: nearest stays +inf (inf/inf = NaN -> 0), furthest -inf likewise.
                b = nearest ? double.PositiveInfinity : double.NegativeInfinity;
                for (int c = 0; c < clusterCount; c++)
                {
                    if (c == cluster || size[c] == 0) continue;
                    double mean = row[c] / size[c];
                    b = nearest ? Math.Min(b, mean) : Math.Max(b, mean);
                }
            }
            double v = (b - a) / Math.Max(a, b);
            s[i] = double.IsNaN(v) ? 0 : v;
        }
        return s;
    }

    /// <summary>Maps arbitrary non-negative ids to 0..C-1 in ascending id order.</summary>
    public static (int[] Codes, int Count) DenseCodes(ReadOnlySpan<int> ids)
    {
        int max = -1;
        foreach (var c in ids)
        {
            if (c < 0) throw new ArgumentException("cluster ids must be non-negative (missing values are excluded before this point).");
            max = Math.Max(max, c);
        }
        var map = new int[max + 1];
        Array.Fill(map, -1);
        foreach (var c in ids) map[c] = 0;
        int count = 0;
        for (int c = 0; c <= max; c++) if (map[c] == 0) map[c] = count++;
        var codes = new int[ids.Length];
        for (int i = 0; i < codes.Length; i++) codes[i] = map[ids[i]];
        return (codes, count);
    }

    static void NormalizeRows(double[] rows, int n, int d)
    {
        for (int i = 0; i < n; i++)
        {
            var r = rows.AsSpan(i * d, d);
            double ss = 0;
            foreach (var v in r) ss += v * v;
            if (ss == 0) continue; // left at zero: cosine distance 1 to every other point
            double norm = Math.Sqrt(ss);
            for (int t = 0; t < d; t++) r[t] /= norm; // division, as sklearn's normalize does
        }
    }

    /// <summary>Cluster whose contiguous range contains sorted position <paramref name="p"/> (empty clusters are skipped).</summary>
    static int ClusterAt(int[] start, int p)
    {
        int c = 0;
        while (start[c + 1] <= p) c++;
        return c;
    }
}
