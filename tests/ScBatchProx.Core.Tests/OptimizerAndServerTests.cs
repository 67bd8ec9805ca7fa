using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;

namespace ScBatchProx.Core.Tests;

public class OptimizerAndServerTests
{
    [Fact]
    public void AdamFirstStepMovesByLearningRateTimesSign()
    {
        // after one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps)
        var p = new float[] { 1f, -2f, 0.5f };
        new AdamOptimizer(3, 0.01).Step(p, new float[] { 3f, -0.5f, 1e-3f });
        Assert.Equal(1f - 0.01f, p[0], 6);
        Assert.Equal(-2f + 0.01f, p[1], 6);
        Assert.Equal(0.5f - 0.01f * (1e-3f / (1e-3f + 1e-8f)), p[2], 6);
    }

    [Fact]
    public void SetupGivesGlobalMeanAndRmsScale()
    {
        // client a: (0,0),(2,0); client b: (4,4),(6,4),(8,8) -> mean (4, 3.2)
        var a = Stats("a", [[0, 0], [2, 0]]);
        var b = Stats("b", [[4, 4], [6, 4], [8, 8]]);
        var setup = RunSetup.From(new RefineOptions { Prototypes = 2 }, [b, a]).Message;
        Assert.Equal(4.0, setup.Normalisation.Mean[0], 12);
        Assert.Equal(3.2, setup.Normalisation.Mean[1], 12);
        double ss = 16 + 3.2 * 3.2 + 4 + 3.2 * 3.2 + 0 + 0.8 * 0.8 + 4 + 0.8 * 0.8 + 16 + 4.8 * 4.8;
        Assert.Equal(Math.Sqrt(ss / (5 * 2)), setup.Normalisation.Scale, 12);
    }

    static BatchStatistics Stats(string id, double[][] rows) => new()
    {
        ClientId = id, Count = rows.Length,
        Sum = [rows.Sum(r => r[0]), rows.Sum(r => r[1])], SumSquares = rows.Sum(r => r[0] * r[0] + r[1] * r[1]),
    };

    [Fact]
    public void AggregateIsCountWeightedAndRejectsBadUpdates()
    {
        var setup = RunSetup.From(new RefineOptions { Prototypes = 2, Hidden = 1 },
            [Stats("a", [[0, 0], [1, 1]]), Stats("b", [[2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7]])]);
        var cent = new[] { "a", "b" }.Select(id => new LocalCentroids
        {
            ClientId = id, Count = id == "a" ? 2 : 6, Centroids = [0, 0, 1, 1], Sizes = [1, 1],
        }).ToList();
        var server = FederatedServer.Start(setup, cent);
        var first = server.RoundBroadcast();
        int len = new AdapterShape(2, 1).ThetaLength;
        RoundUpdate Round(string id, long n, float value, double[] sums, double[] occ) => new()
        {
            ClientId = id, Round = first.Round, Count = n,
            Theta = Enumerable.Repeat(value, len).ToArray(), PrototypeSums = sums, Occupancy = occ, Loss = 1,
        };
        var ua = Round("a", 2, 1f, [1, 1, 0, 0], [1, 1]);
        var ub = Round("b", 6, 3f, [6, 6, 12, 12], [2, 4]);
        Assert.Contains("unknown client", server.Reject(ua with { ClientId = "zz" }));
        Assert.Contains("stale round", server.Reject(ua with { Round = 7 }));
        Assert.Contains("theta has", server.Reject(ua with { Theta = [1f] }));
        Assert.Contains("non-finite", server.Reject(ua with { PrototypeSums = [double.NaN, 0, 0, 0] }));
        var outcome = server.Aggregate([ub, ua]);
        Assert.All(outcome.Next.Theta, v => Assert.Equal((2 * 1f + 6 * 3f) / 8f, v, 6));
        // c_0 = (1 + 6) / (1 + 2); c_1 = 12 / 5; masses = (3, 5) / 8
        Assert.Equal(7.0 / 3.0, outcome.Next.Prototypes[0], 5);
        Assert.Equal(12.0 / 5.0, outcome.Next.Prototypes[2], 5);
        Assert.Equal(3.0 / 8.0, outcome.Next.Masses[0], 12);
        Assert.Equal(new[] { "a", "b" }, outcome.Reporting);
    }

    [Fact]
    public void SoftAssignmentRowsAreTheDiversityWeightedSoftmaxOfCosines()
    {
        float[] protos = [1, 0, 0, 2];                    // unit directions e1 and e2
        float[] x = [3, 4];                               // cos = 0.6 and 0.8
        double sigma = 0.5, theta = 1;
        double[] expected = [10, 10], observed = [4, 19];
        var sa = new SoftAssignment(protos, 2, 2, sigma, theta, double.PositiveInfinity, expected, observed);
        var r = new float[2];
        sa.Assign(x, 1, r, new float[2]);
        double l0 = Math.Exp(-2 * (1 - 0.6) / sigma) * (11.0 / 5.0), l1 = Math.Exp(-2 * (1 - 0.8) / sigma) * (11.0 / 20.0);
        Assert.Equal(l0 / (l0 + l1), r[0], 6);
        Assert.Equal(1.0, r[0] + r[1], 6);
        // a cap of 1 switches the boost off for the under-populated prototype
        var capped = new SoftAssignment(protos, 2, 2, sigma, theta, 1.0, expected, observed);
        capped.Assign(x, 1, r, new float[2]);
        double c0 = Math.Exp(-2 * (1 - 0.6) / sigma), c1 = l1;
        Assert.Equal(c0 / (c0 + c1), r[0], 6);
    }
}
