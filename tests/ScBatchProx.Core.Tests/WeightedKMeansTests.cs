using ScBatchProx.Data;
using ScBatchProx.Core.Method;

namespace ScBatchProx.Core.Tests;

public class WeightedKMeansTests
{
    // three tight, well separated groups in 2-D with unequal weights
    static readonly float[] Points = [0, 0, 0.1f, 0, 0, 0.1f, 10, 10, 10.2f, 10, 10, 10.2f, -10, 5, -10.1f, 5];
    static readonly double[] Weights = [1, 1, 2, 1, 3, 1, 1, 1];

    [Fact]
    public void RecoversTheWeightedMeansOfSeparatedGroups()
    {
        var r = WeightedKMeans.Fit(Points, 8, 2, Weights, 3, new SeededRng(1));
        Assert.Equal(3, r.K);
        var centres = Enumerable.Range(0, 3).Select(c => (X: r.Centroids[2 * c], Y: r.Centroids[2 * c + 1], Size: r.Sizes[c])).OrderBy(c => c.X).ToArray();
        // weighted means: (-10.05, 5) weight 2; (0.025, 0.05) weight 4; (10.12, 10.04) weight 5
        Assert.Equal(-10.05, centres[0].X, 4); Assert.Equal(5.0, centres[0].Y, 4); Assert.Equal(2.0, centres[0].Size, 12);
        Assert.Equal(0.1 / 4, centres[1].X, 4); Assert.Equal(0.2 / 4, centres[1].Y, 4); Assert.Equal(4.0, centres[1].Size, 12);
        Assert.Equal(50.6 / 5, centres[2].X, 4); Assert.Equal(50.2 / 5, centres[2].Y, 4); Assert.Equal(5.0, centres[2].Size, 12);
    }

    [Fact]
    public void MoreRestartsNeverRaiseTheInertia()
    {
        var rng = new SeededRng(3);
        var pts = Enumerable.Range(0, 400).Select(_ => (float)rng.NextNormal()).ToArray();   // 200 points in 2-D, no structure
        for (ulong seed = 0; seed < 5; seed++)
        {
            double one = Inertia(pts, WeightedKMeans.Fit(pts, 200, 2, null, 6, new SeededRng(seed)));
            double five = Inertia(pts, WeightedKMeans.Fit(pts, 200, 2, null, 6, new SeededRng(seed), restarts: 5));
            Assert.True(five <= one + 1e-9, $"seed {seed}: {five} > {one}");
        }
    }

    static double Inertia(float[] pts, WeightedKMeans.Result r)
    {
        double sum = 0;
        for (int i = 0; i < pts.Length / 2; i++)
            sum += Enumerable.Range(0, r.K).Min(c => Kernels.Vec.SquaredDistance(pts.AsSpan(2 * i, 2), r.Centroids.AsSpan(2 * c, 2)));
        return sum;
    }
}
