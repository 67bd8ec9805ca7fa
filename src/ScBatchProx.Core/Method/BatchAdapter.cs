using ScBatchProx.Data;

namespace ScBatchProx.Core.Method;

/// <summary>
/// The trained adapter of one batch: shared parameters theta (the global theta_bar, or the batch's
/// own for a batch added by extension) and its FiLM parameters phi. <see cref="Apply"/> is the one
/// place an output row is computed, so refine, join, apply and extend give the same bits.
/// </summary>
public sealed record BatchAdapter(AdapterShape Shape, Activation Activation, float[] Theta, float[] Phi)
{
    const int Block = 512;

    /// <summary>
    /// output[r] = z[r] + s * delta((z[r] - m) / s) for every r in <paramref name="rows"/>; returns
    /// sum_r ||output[r] - z[r]||. Rows are independent, so any grouping gives the same bits.
    /// </summary>
    public double Apply(Embedding z, ReadOnlySpan<int> rows, Normalisation norm, Embedding output)
    {
        int d = Shape.Dim;
        if (z.Cols != d || output.Cols != d) throw new ArgumentException($"the adapter has {d} dimensions, the embedding {z.Cols}.");
        var cache = new AdapterCache(Block, Shape);
        var x = new float[Block * d];
        var delta = new float[Block * d];
        var gathered = new Embedding(Block, d);
        double shiftSum = 0;
        for (int start = 0; start < rows.Length; start += Block)
        {
            int m = Math.Min(Block, rows.Length - start);
            for (int i = 0; i < m; i++) z.RowReadOnly(rows[start + i]).CopyTo(gathered.Row(i));
            norm.Apply(gathered, 0, m, x);
            Adapter.Residual(Shape, Activation, Theta, Phi, x, m, delta, cache);
            for (int i = 0; i < m; i++)
            {
                var zin = gathered.RowReadOnly(i);
                var zout = output.Row(rows[start + i]);
                double sq = 0;
                for (int j = 0; j < d; j++)
                {
                    // z + s * delta is exactly z while the adapter is the identity
                    double moved = norm.Scale * delta[i * d + j];
                    zout[j] = (float)(zin[j] + moved);
                    sq += moved * moved;
                }
                shiftSum += Math.Sqrt(sq);
            }
        }
        return shiftSum;
    }
}
