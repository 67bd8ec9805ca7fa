using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics;

/// <summary>
/// Local inverse Simpson index (METRICS.md 4.5, scib-metrics utils/_lisi.py): per cell, a Gaussian
/// kernel on the Euclidean (not squared) k-NN distances with the self entry masked out, its
/// precision found by bisection to the target perplexity, then 1 / sum over categories of the
/// squared kernel mass. Cells are independent, so the parallel loop is deterministic.
/// </summary>
public static class Lisi
{
    const double Tolerance = 1e-5;
    const int MaxTries = 50;

    /// <summary>
    /// LISI of every cell for the category codes <paramref name="codes"/> (0-based, no missing).
    /// <paramref name="perplexity"/> defaults to floor(K / 3) (30 for the 90-NN graph).
    /// A cell whose kernel mass vanishes gets 1 / -1 = -1, as in scib-metrics.
    /// </summary>
    public static double[] PerCell(NeighborGraph graph, ReadOnlySpan<int> codes, double? perplexity = null, int threads = 0)
    {
        if (codes.Length != graph.N) throw new ArgumentException($"{codes.Length} codes for {graph.N} cells.");
        int categories = 0;
        foreach (var c in codes)
        {
            if (c < 0) throw new ArgumentException("LISI needs a category for every cell (found a missing value).");
            categories = Math.Max(categories, c + 1);
        }
        var codeArr = codes.ToArray();
        double logU = Math.Log(perplexity ?? graph.K / 3);
        var result = new double[graph.N];
        Parallel.For(0, graph.N, ExactNeighbors.Options(threads), () => (new double[graph.K], new double[categories]), (i, _, buf) =>
        {
            result[i] = Cell(graph, i, codeArr, logU, buf.Item1, buf.Item2);
            return buf;
        }, _ => { });
        return result;
    }

    static double Cell(NeighborGraph g, int i, int[] codes, double logU, double[] p, double[] mass)
    {
        var dist = g.DistancesOf(i);
        var idx = g.IndicesOf(i);
        double beta = 1, betaMin = double.NegativeInfinity, betaMax = double.PositiveInfinity;
        double h = HBeta(dist, idx, i, beta, p);
        double hDiff = h - logU;
        for (int tries = 0; Math.Abs(hDiff) >= Tolerance && tries < MaxTries; tries++)
        {
            if (hDiff > 0)
            {
                betaMin = beta;
                beta = double.IsPositiveInfinity(betaMax) ? beta * 2 : (beta + betaMax) / 2;
            }
            else
            {
                betaMax = beta;
                beta = double.IsNegativeInfinity(betaMin) ? beta / 2 : (beta + betaMin) / 2;
            }
            h = HBeta(dist, idx, i, beta, p);
            hDiff = h - logU;
        }
        if (h == 0) return 1.0 / -1.0;
        Array.Clear(mass);
        for (int j = 0; j < g.K; j++) mass[codes[idx[j]]] += p[j];
        double simpson = 0;
        foreach (var m in mass) simpson += m * m;
        return 1 / simpson;
    }

    /// <summary>Entropy H and normalised kernel P for precision beta; the self entry is masked (P = 0).</summary>
    static double HBeta(ReadOnlySpan<double> dist, ReadOnlySpan<int> idx, int self, double beta, double[] p)
    {
        double sumP = 0, sumDP = 0;
        for (int j = 0; j < dist.Length; j++)
        {
            p[j] = idx[j] != self ? Math.Exp(-dist[j] * beta) : 0;
            sumP += p[j];
            sumDP += dist[j] * p[j];
        }
        if (sumP == 0)
        {
            Array.Clear(p);
            return 0;
        }
        double h = Math.Log(sumP) + beta * sumDP / sumP;
        for (int j = 0; j < dist.Length; j++) p[j] /= sumP;
        return h;
    }

    /// <summary>cLISI = (L - median LISI(label)) / (L - 1); 1 means pure label neighbourhoods.</summary>
    public static double ClisiKnn(NeighborGraph graph90, Categorical labels, int threads = 0)
    {
        var (codes, count) = Codes(labels, graph90.N, "labels");
        double median = NanMedian(PerCell(graph90, codes, null, threads));
        return (count - median) / (count - 1);
    }

    /// <summary>iLISI = (median LISI(batch) - 1) / (B - 1); 1 means perfect batch mixing.</summary>
    public static double IlisiKnn(NeighborGraph graph90, Categorical batches, int threads = 0)
    {
        var (codes, count) = Codes(batches, graph90.N, "batches");
        double median = NanMedian(PerCell(graph90, codes, null, threads));
        return (median - 1) / (count - 1);
    }

    /// <summary>Codes plus the number of distinct values actually present (unused categories do not count).</summary>
    static (int[] Codes, int Distinct) Codes(Categorical c, int n, string what)
    {
        if (c.Length != n) throw new ArgumentException($"{what}: {c.Length} values for {n} cells.");
        if (c.MissingCount() > 0) throw new ArgumentException($"{what}: {c.MissingCount()} cells have no value.");
        return (c.Codes, c.Counts().Count(x => x > 0));
    }

    /// <summary>numpy nanmedian: NaN ignored, mean of the two middle values for even counts, NaN if nothing is left.</summary>
    public static double NanMedian(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).ToArray();
        if (v.Length == 0) return double.NaN;
        Array.Sort(v);
        int m = v.Length / 2;
        return v.Length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }
}
