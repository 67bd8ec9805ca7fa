using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Report;

/// <summary>
/// Quick kNN figures, readable without the full scIB set: batch mixing, label purity, and how
/// much a cell's neighbourhood changed. Pure functions over a neighbour graph (self at column 0).
/// </summary>
public static class KnnFigures
{
    /// <summary>
    /// Mean over cells of the Shannon entropy of the batches among the cell's k neighbours (self
    /// included), divided by ln(B): 0 when every neighbourhood is one batch, 1 when all batches
    /// are equally represented. Cells with a missing batch are skipped.
    /// </summary>
    public static double BatchMixing(NeighborGraph g, Categorical batch)
    {
        int B = batch.CategoryCount;
        if (B < 2) return double.NaN;
        var counts = new int[B];
        double total = 0; int cells = 0;
        for (int i = 0; i < g.N; i++)
        {
            if (batch.Codes[i] < 0) continue;
            Array.Clear(counts);
            int m = 0;
            foreach (var j in g.IndicesOf(i)) { int c = batch.Codes[j]; if (c >= 0) { counts[c]++; m++; } }
            double h = 0;
            foreach (var c in counts) if (c > 0) { double p = (double)c / m; h -= p * Math.Log(p); }
            total += h / Math.Log(B);
            cells++;
        }
        return total / cells;
    }

    /// <summary>Mean fraction of a cell's neighbours (self excluded) that share its label.</summary>
    public static double LabelPurity(NeighborGraph g, Categorical labels)
    {
        double total = 0; int cells = 0;
        for (int i = 0; i < g.N; i++)
        {
            int li = labels.Codes[i];
            if (li < 0) continue;
            int same = 0, m = 0;
            foreach (var j in g.IndicesOf(i)[1..]) { if (labels.Codes[j] < 0) continue; m++; if (labels.Codes[j] == li) same++; }
            if (m == 0) continue;
            total += (double)same / m; cells++;
        }
        return total / cells;
    }

    /// <summary>
    /// Per cell, the fraction of its k - 1 neighbours before (self excluded) that are still among
    /// its k - 1 neighbours after; both graphs must have the same N and K.
    /// </summary>
    public static double[] NeighborhoodOverlap(NeighborGraph before, NeighborGraph after)
    {
        if (before.N != after.N || before.K != after.K) throw new ArgumentException("graphs differ in size");
        var result = new double[before.N];
        var seen = new HashSet<int>();
        for (int i = 0; i < before.N; i++)
        {
            seen.Clear();
            foreach (var j in before.IndicesOf(i)[1..]) seen.Add(j);
            int kept = 0;
            foreach (var j in after.IndicesOf(i)[1..]) if (seen.Contains(j)) kept++;
            result[i] = (double)kept / (before.K - 1);
        }
        return result;
    }
}
