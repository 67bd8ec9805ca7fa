using ScBatchProx.Data;
using ScBatchProx.Kernels;

namespace ScBatchProx.Metrics.Clustering;

/// <param name="Labels">cluster of every point: argmin against the final centroids.</param>
/// <param name="Centroids">k x d row-major, in the input's coordinates (the centring is undone).</param>
/// <param name="Inertia">sum of squared distances at the last iteration, measured before its update.</param>
/// <param name="Iterations">Lloyd iterations run (at least maxIter, quirk Q2).</param>
public sealed record KMeansResult(int[] Labels, double[] Centroids, int K, double Inertia, int Iterations);

/// <summary>
/// k-means as scib-metrics 0.6.0 runs it for KMeans NMI/ARI (METRICS.md 4.4): data centred on the
/// column mean; greedy k-means++ with 2 + floor(ln k) candidates drawn without replacement in
/// proportion to the current min squared distance; Lloyd iterations that run while the inertia
/// still moves by more than tol_abs = 1e-4 * mean column variance <em>or</em> fewer than maxIter
/// iterations have run (so at least maxIter, quirk Q2); an empty cluster becomes the zero vector,
/// i.e. the data mean. n_init = 1.
/// <para>
/// The input is float32 (<see cref="Embedding"/>), as scib-metrics casts it; arithmetic is float64.
/// JAX's threefry stream cannot be reproduced, so the seed drives <see cref="NumpyRandom"/>, the
/// stream of the reference oracle (numpy default_rng); only the initialisation is random, and
/// <see cref="Lloyd"/> from given centroids is fully deterministic and independent of the thread count.
/// </para>
/// </summary>
public static class KMeans
{
    public const int DefaultMaxIter = 300;
    public const double DefaultTol = 1e-4;
    const int PointBlock = 256;

    /// <summary>k-means++ initialisation followed by <see cref="Lloyd"/>.</summary>
    /// <param name="progress">receives the number of Lloyd iterations done, every <see cref="ProgressEvery"/>.</param>
    public static KMeansResult Fit(Embedding x, int k, ulong seed = 0, int maxIter = DefaultMaxIter, double tol = DefaultTol, int threads = 0,
        IProgress<int>? progress = null)
    {
        var (data, mean) = Centred(x);
        var init = PlusPlus(data, x.Rows, x.Cols, k, new NumpyRandom(seed), threads);
        return Run(data, mean, x.Rows, x.Cols, init, k, maxIter, tol, threads, progress);
    }

    public const int ProgressEvery = 50;

    /// <summary>
    /// Lloyd iterations from <paramref name="initialCentroids"/> (k x d row-major, in the input's
    /// coordinates). The result depends on nothing else, so it is the exact-comparison entry point.
    /// </summary>
    public static KMeansResult Lloyd(Embedding x, double[] initialCentroids, int maxIter = DefaultMaxIter, double tol = DefaultTol, int threads = 0)
    {
        int d = x.Cols;
        if (d == 0 || initialCentroids.Length % d != 0) throw new ArgumentException("initial centroids must be k x d.");
        int k = initialCentroids.Length / d;
        var (data, mean) = Centred(x);
        var init = new double[initialCentroids.Length];
        for (int c = 0; c < k; c++)
            for (int t = 0; t < d; t++) init[c * d + t] = initialCentroids[c * d + t] - mean[t];
        return Run(data, mean, x.Rows, d, init, k, maxIter, tol, threads, null);
    }

    /// <summary>Float64 copy of the data centred on its column mean, and that mean.</summary>
    public static (double[] Data, double[] Mean) Centred(Embedding x)
    {
        int n = x.Rows, d = x.Cols;
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            var row = x.RowReadOnly(i);
            for (int t = 0; t < d; t++) mean[t] += row[t];
        }
        for (int t = 0; t < d; t++) mean[t] /= n;
        var data = new double[(long)n * d];
        for (int i = 0; i < n; i++)
        {
            var row = x.RowReadOnly(i);
            for (int t = 0; t < d; t++) data[i * d + t] = row[t] - mean[t];
        }
        return (data, mean);
    }

    /// <summary>
    /// Greedy k-means++ on centred data: first centroid uniform (<c>integers(n)</c>); then, per step,
    /// draw 2 + floor(ln k) distinct candidates with probability proportional to min_d2
    /// (<c>choice(n, m, replace=False, p)</c>) and keep the one with the smallest potential
    /// sum_i min(min_d2_i, d2(x_i, candidate)), first on ties. Returns k x d.
    /// </summary>
    public static double[] PlusPlus(double[] data, int n, int d, int k, NumpyRandom rng, int threads = 0)
    {
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} for {n} points.");
        var centroids = new double[k * d];
        int first = rng.Integers(n);
        data.AsSpan(first * d, d).CopyTo(centroids);
        var minD2 = SquaredDistancesTo(data, n, d, data.AsSpan(first * d, d), threads);
        int trials = 2 + (int)Math.Floor(Math.Log(k));
        for (int c = 1; c < k; c++)
        {
            // numpy raises when fewer points than candidates have positive weight (fewer distinct
            // points than k); drawing only those keeps going, and with none left any point will do.
            int positive = minD2.Count(v => v > 0);
            int[] candidates = positive > 0 ? rng.ChoiceWithoutReplacement(minD2, Math.Min(trials, positive)) : [rng.Integers(n)];
            double[]? best = null;
            int bestIndex = -1;
            double bestPot = double.PositiveInfinity;
            foreach (var candidate in candidates)
            {
                var dm = SquaredDistancesTo(data, n, d, data.AsSpan(candidate * d, d), threads);
                double pot = 0;
                for (int i = 0; i < n; i++) { dm[i] = Math.Min(minD2[i], dm[i]); pot += dm[i]; }
                if (best == null || pot < bestPot) { bestPot = pot; best = dm; bestIndex = candidate; }
            }
            data.AsSpan(bestIndex * d, d).CopyTo(centroids.AsSpan(c * d, d));
            minD2 = best!;
        }
        return centroids;
    }

    /// <summary>Squared distance of every point to <paramref name="y"/> (the same FMA chain as the tiles).</summary>
    static double[] SquaredDistancesTo(double[] data, int n, int d, ReadOnlySpan<double> y, int threads)
    {
        var result = new double[n];
        var yy = y.ToArray();
        Parallel.For(0, (n + PointBlock - 1) / PointBlock, Options(threads), b =>
        {
            for (int i = b * PointBlock, e = Math.Min(n, i + PointBlock); i < e; i++)
                result[i] = Distances.SquaredEuclidean(data.AsSpan(i * d, d), yy);
        });
        return result;
    }

    static KMeansResult Run(double[] data, double[] mean, int n, int d, double[] centroids, int k, int maxIter, double tol, int threads,
        IProgress<int>? progress)
    {
        // tol_abs: population variance per column (the data is centred, so mean of squares), averaged.
        double varSum = 0;
        for (int t = 0; t < d; t++)
        {
            double ss = 0;
            for (int i = 0; i < n; i++) ss += data[i * d + t] * data[i * d + t];
            varSum += ss / n;
        }
        double tolAbs = varSum / d * tol;

        var labels = new int[n];
        var minD2 = new double[n];
        double inertia = double.PositiveInfinity, previous = double.PositiveInfinity;
        int iter = 0;
        var sums = new double[k * d];
        var counts = new int[k];
        // |inf - inf| is NaN and NaN > tol is false, so the first pass is forced by iter < maxIter.
        // Lloyd never increases the inertia, so it settles; the hard cap only guards against a
        // rounding-level cycle, which the original would loop on forever.
        while ((Math.Abs(previous - inertia) > tolAbs || iter < maxIter) && iter < IterationCap(maxIter))
        {
            previous = inertia;
            Assign(data, n, d, centroids, k, labels, minD2, threads);
            // Sequential sums in point order: cheap next to the assignment (O(n d) vs O(n k d)) and
            // the same bits as a plain loop, whatever the thread count.
            inertia = 0;
            for (int i = 0; i < n; i++) inertia += minD2[i];
            Array.Clear(sums); Array.Clear(counts);
            for (int i = 0; i < n; i++)
            {
                int c = labels[i];
                counts[c]++;
                var row = data.AsSpan(i * d, d);
                var s = sums.AsSpan(c * d, d);
                for (int t = 0; t < d; t++) s[t] += row[t];
            }
            // Empty cluster: zero sum over max(count, 1) = zero vector = the data mean (quirk Q2).
            for (int c = 0; c < k; c++)
                for (int t = 0; t < d; t++) centroids[c * d + t] = sums[c * d + t] / Math.Max(counts[c], 1);
            iter++;
            if (iter % ProgressEvery == 0) progress?.Report(iter);
        }
        Assign(data, n, d, centroids, k, labels, minD2, threads);

        var outCentroids = new double[k * d];
        for (int c = 0; c < k; c++)
            for (int t = 0; t < d; t++) outCentroids[c * d + t] = centroids[c * d + t] + mean[t];
        return new KMeansResult(labels, outCentroids, k, inertia, iter);
    }

    /// <summary>Nearest centroid (first on ties) and its squared distance for every point, via distance tiles.</summary>
    static void Assign(double[] data, int n, int d, double[] centroids, int k, int[] labels, double[] minD2, int threads)
    {
        int stride = Distances.PackedStride(k);
        var packed = new double[d * stride];
        Distances.PackTransposed(centroids, k, d, packed, stride);
        Parallel.For(0, (n + PointBlock - 1) / PointBlock, Options(threads), () => new double[PointBlock * stride], (b, _, tile) =>
        {
            int i0 = b * PointBlock, rn = Math.Min(PointBlock, n - i0);
            Distances.SquaredEuclideanTile(data.AsSpan(i0 * d, rn * d), rn, d, packed, k, stride, tile, stride);
            for (int q = 0; q < rn; q++)
            {
                var row = tile.AsSpan(q * stride, k);
                int best = 0;
                for (int c = 1; c < k; c++) if (row[c] < row[best]) best = c;
                labels[i0 + q] = best;
                minD2[i0 + q] = row[best];
            }
            return tile;
        }, _ => { });
    }

    static int IterationCap(int maxIter) => Math.Max(maxIter, 0) + 100_000;

    static ParallelOptions Options(int threads) => new() { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
}
