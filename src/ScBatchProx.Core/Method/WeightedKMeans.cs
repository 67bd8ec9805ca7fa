using ScBatchProx.Data;
using ScBatchProx.Kernels;

namespace ScBatchProx.Core.Method;

/// <summary>
/// Seeded weighted k-means (k-means++ seeding, then Lloyd) used to build the prototypes: locally on
/// a client's cells (unit weights) and on the server over the pooled client centroids (weights =
/// cluster sizes). Not the scib-metrics k-means, which has its own quirks and lives in Metrics.
/// </summary>
public static class WeightedKMeans
{
    public sealed record Result(float[] Centroids, double[] Sizes, int K);

    /// <param name="points">n x d row-major.</param>
    /// <param name="weights">per-point weight, or null for 1.</param>
    /// <param name="restarts">independent k-means++ starts (drawn in turn from <paramref name="rng"/>); the lowest weighted inertia wins.</param>
    public static Result Fit(ReadOnlySpan<float> points, int n, int d, double[]? weights, int k, SeededRng rng, int maxIter = 50, int restarts = 1)
    {
        Result? best = null;
        double bestInertia = double.PositiveInfinity;
        for (int r = 0; r < Math.Max(1, restarts); r++)
        {
            var (result, inertia) = FitOnce(points, n, d, weights, k, rng, maxIter);
            if (inertia < bestInertia) { best = result; bestInertia = inertia; }
        }
        return best!;
    }

    static (Result Result, double Inertia) FitOnce(ReadOnlySpan<float> points, int n, int d, double[]? weights, int k, SeededRng rng, int maxIter)
    {
        if (n == 0) throw new ArgumentException("k-means needs at least one point");
        k = Math.Min(k, n);
        var w = weights ?? Enumerable.Repeat(1.0, n).ToArray();
        var centroids = new float[k * d];
        var minD2 = new double[n];
        // k-means++: first centre by weight, then proportional to weight * squared distance
        int first = SampleProportional(w, rng);
        points.Slice(first * d, d).CopyTo(centroids.AsSpan(0, d));
        for (int i = 0; i < n; i++) minD2[i] = Vec.SquaredDistance(points.Slice(i * d, d), centroids.AsSpan(0, d));
        var prob = new double[n];
        for (int c = 1; c < k; c++)
        {
            for (int i = 0; i < n; i++) prob[i] = w[i] * minD2[i];
            int pick = prob.Sum() > 0 ? SampleProportional(prob, rng) : rng.NextInt(n);
            var cen = centroids.AsSpan(c * d, d);
            points.Slice(pick * d, d).CopyTo(cen);
            for (int i = 0; i < n; i++) minD2[i] = Math.Min(minD2[i], Vec.SquaredDistance(points.Slice(i * d, d), cen));
        }
        var assign = new int[n];
        var sums = new double[k * d];
        var sizes = new double[k];
        for (int iter = 0; iter < maxIter; iter++)
        {
            bool changed = Assign(points, n, d, centroids, k, assign) || iter == 0;
            Array.Clear(sums); Array.Clear(sizes);
            for (int i = 0; i < n; i++)
            {
                int c = assign[i]; sizes[c] += w[i];
                Vec.AccumulateDouble(w[i], points.Slice(i * d, d), sums.AsSpan(c * d, d));
            }
            for (int c = 0; c < k; c++)
                if (sizes[c] > 0)
                    for (int j = 0; j < d; j++) centroids[c * d + j] = (float)(sums[c * d + j] / sizes[c]);
            if (!changed) break;
        }
        double inertia = 0;
        for (int i = 0; i < n; i++) inertia += w[i] * Vec.SquaredDistance(points.Slice(i * d, d), centroids.AsSpan(assign[i] * d, d));
        // drop empty clusters so every prototype stands for real cells
        var keep = Enumerable.Range(0, k).Where(c => sizes[c] > 0).ToArray();
        var outC = new float[keep.Length * d];
        var outS = new double[keep.Length];
        for (int r = 0; r < keep.Length; r++)
        {
            centroids.AsSpan(keep[r] * d, d).CopyTo(outC.AsSpan(r * d, d));
            outS[r] = sizes[keep[r]];
        }
        return (new Result(outC, outS, keep.Length), inertia);
    }

    /// <summary>Nearest centroid per point; returns whether any assignment changed.</summary>
    static bool Assign(ReadOnlySpan<float> points, int n, int d, float[] centroids, int k, int[] assign)
    {
        bool changed = false;
        for (int i = 0; i < n; i++)
        {
            var p = points.Slice(i * d, d);
            int best = 0; float bestD = float.PositiveInfinity;
            for (int c = 0; c < k; c++)
            {
                float dist = Vec.SquaredDistance(p, centroids.AsSpan(c * d, d));
                if (dist < bestD) { bestD = dist; best = c; }
            }
            if (assign[i] != best) { assign[i] = best; changed = true; }
        }
        return changed;
    }

    static int SampleProportional(double[] w, SeededRng rng)
    {
        double total = 0; foreach (var x in w) total += x;
        double r = rng.NextDouble() * total, acc = 0;
        for (int i = 0; i < w.Length; i++) { acc += w[i]; if (r < acc && w[i] > 0) return i; }
        for (int i = w.Length - 1; i >= 0; i--) if (w[i] > 0) return i;
        return w.Length - 1;
    }
}
