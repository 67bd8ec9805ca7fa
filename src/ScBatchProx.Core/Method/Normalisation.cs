using ScBatchProx.Data;

namespace ScBatchProx.Core.Method;

/// <summary>
/// The federated normalisation x = (z - m) / s: the global mean m and one scalar scale s (RMS
/// distance to m per dimension). Clients train on x; outputs are written as z + s * delta(x).
/// </summary>
public sealed record Normalisation(double[] Mean, double Scale)
{
    [System.Text.Json.Serialization.JsonIgnore] public int Dim => Mean.Length;

    /// <summary>m and s from every client's (n_b, sum z, sum ||z||^2), folded in the order given.</summary>
    public static Normalisation FromSums(IEnumerable<(long Count, double[] Sum, double SumSquares)> clients, int dim)
    {
        var mean = new double[dim];
        double sumSq = 0;
        long total = 0;
        foreach (var (count, sum, sq) in clients)
        {
            for (int j = 0; j < dim; j++) mean[j] += sum[j];
            sumSq += sq; total += count;
        }
        for (int j = 0; j < dim; j++) mean[j] /= total;
        double meanSq = 0; foreach (var v in mean) meanSq += v * v;
        double spread = Math.Max(0, sumSq - total * meanSq);
        double scale = Math.Sqrt(spread / ((double)total * dim));
        return new Normalisation(mean, scale > 0 ? scale : 1); // every cell identical: keep units
    }

    /// <summary>x for rows [start, start + rows) of z, into x (rows x d).</summary>
    public void Apply(Embedding z, int start, int rows, Span<float> x)
    {
        int d = Dim;
        double inv = 1.0 / Scale;
        for (int i = 0; i < rows; i++)
        {
            var row = z.RowReadOnly(start + i);
            var xi = x.Slice(i * d, d);
            for (int j = 0; j < d; j++) xi[j] = (float)((row[j] - Mean[j]) * inv);
        }
    }

    /// <summary>x for every row of z.</summary>
    public float[] Apply(Embedding z)
    {
        var x = new float[(long)z.Rows * z.Cols];
        Apply(z, 0, z.Rows, x);
        return x;
    }
}
