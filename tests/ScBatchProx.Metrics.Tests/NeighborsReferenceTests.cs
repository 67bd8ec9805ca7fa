using ScBatchProx.Kernels;
using ScBatchProx.Metrics.Neighbors;
using Xunit;

namespace ScBatchProx.Metrics.Tests;

/// <summary>
/// The query-versus-reference search (direct and Gram-filtered) against brute force: every query's
/// k nearest references by (distance, reference index), distances bit for bit.
/// </summary>
public class NeighborsReferenceTests
{
    /// <summary>All references sorted by (distance, index), first k, for every query.</summary>
    static (int[] Idx, double[] Dist) BruteForce(double[] queries, int nq, double[] refs, int nr, int d, int k)
    {
        var idx = new int[nq * k];
        var dist = new double[nq * k];
        for (int q = 0; q < nq; q++)
        {
            var best = Enumerable.Range(0, nr)
                .Select(j => (D: Math.Sqrt(Distances.SquaredEuclidean(queries.AsSpan(q * d, d), refs.AsSpan(j * d, d))), J: j))
                .OrderBy(p => p.D).ThenBy(p => p.J).Take(k).ToArray();
            for (int t = 0; t < k; t++) { idx[q * k + t] = best[t].J; dist[q * k + t] = best[t].D; }
        }
        return (idx, dist);
    }

    /// <summary>Queries and references from one simulated cloud (grid points and duplicates: many exact distance ties).</summary>
    static (double[] Q, double[] R) Split(int nq, int nr, int d, int seed)
    {
        var x = NeighborsExactTests.Simulate(nq + nr, d, seed);
        return (x[..(nq * d)], x[(nq * d)..]);
    }

    [Theory]
    [InlineData(1, 1, 3, 1)]       // a single reference
    [InlineData(7, 15, 2, 15)]     // k = every reference
    [InlineData(40, 300, 17, 15)]  // direct path (fewer references than the filter's minimum)
    [InlineData(130, 1100, 33, 15)] // filtered path, several query chunks
    [InlineData(70, 1500, 5, 40)]
    public void MatchesBruteForce(int nq, int nr, int d, int k)
    {
        var (q, r) = Split(nq, nr, d, nq * 13 + nr);
        var (idx, dist) = BruteForce(q, nq, r, nr, d, k);
        var g = ExactNeighbors.SearchReference(q, nq, r, nr, d, k, threads: 2);
        Assert.Equal(nq, g.N);
        Assert.Equal(k, g.K);
        Assert.Equal(idx, g.Indices);
        Assert.Equal(dist, g.Distances);
        if (nr > k)
        {
            var f = ExactNeighbors.SearchReferenceFiltered(q, nq, r, nr, d, k, margin: 3, threads: 2, out _);
            Assert.Equal(idx, f.Indices);
            Assert.Equal(dist, f.Distances);
        }
    }

    [Fact]
    public void DuplicatesBeyondTheMarginFallBackAndStayExact()
    {
        // 300 references are copies of the first query: its row has far more ties at distance 0 than
        // candidates, so it must fail the bound and be recomputed directly.
        int nq = 50, nr = 1200, d = 8, k = 15;
        var (q, r) = Split(nq, nr, d, 21);
        for (int i = 0; i < 300; i++) Array.Copy(q, 0, r, i * 4 * d, d);
        var (idx, dist) = BruteForce(q, nq, r, nr, d, k);
        var f = ExactNeighbors.SearchReferenceFiltered(q, nq, r, nr, d, k, margin: 2, threads: 2, out int fallback);
        Assert.True(fallback > 0, "the duplicated query must be recomputed directly");
        Assert.Equal(idx, f.Indices);
        Assert.Equal(dist, f.Distances);
        Assert.Equal(Enumerable.Range(0, k).Select(t => 4 * t), f.IndicesOf(0).ToArray()); // ties by reference index
    }

    [Fact]
    public void QueriesFarFromTheReferencesStayExact()
    {
        // The float32 scaling must cover the queries too: they sit 1e4 away from every reference.
        int nq = 60, nr = 1100, d = 12, k = 15;
        var (q, r) = Split(nq, nr, d, 5);
        for (int i = 0; i < q.Length; i += d) q[i] += 1e4;
        var (idx, dist) = BruteForce(q, nq, r, nr, d, k);
        var f = ExactNeighbors.SearchReferenceFiltered(q, nq, r, nr, d, k, margin: 8, threads: 2, out _);
        Assert.Equal(idx, f.Indices);
        Assert.Equal(dist, f.Distances);
    }

    [Fact]
    public void BitwiseIdenticalForAnyThreadCount()
    {
        int nq = 700, nr = 2100, d = 20, k = 15;
        var (q, r) = Split(nq, nr, d, 8);
        var g1 = ExactNeighbors.SearchReference(q, nq, r, nr, d, k, threads: 1);
        foreach (int t in new[] { 2, 3 })
        {
            var g = ExactNeighbors.SearchReference(q, nq, r, nr, d, k, threads: t);
            Assert.Equal(g1.Indices, g.Indices);
            Assert.Equal(g1.Distances, g.Distances);
        }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var r = new double[] { 0, 0, 1, 1 };
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactNeighbors.SearchReference([0, 0], 1, r, 2, 2, k: 3));
        Assert.Throws<ArgumentException>(() => ExactNeighbors.SearchReference([0, double.NaN], 1, r, 2, 2, k: 1));
        Assert.Equal(0, ExactNeighbors.SearchReference([], 0, r, 2, 2, k: 2).N);
    }
}
