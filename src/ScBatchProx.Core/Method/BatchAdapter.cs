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
    /// output[r] = z[r] + s * delta((z[r] - m) / s) for every r in <paramref name="rows"/> (output null:
    /// only measured); returns sum_r ||output[r] - z[r]||. Rows are independent and blocks of rows
    /// are summed in order, so any grouping and any thread count give the same bits.
    /// </summary>
    public double Apply(Embedding z, int[] rows, Normalisation norm, Embedding? output, int threads = 1)
    {
        int d = Shape.Dim;
        if (z.Cols != d || output is { } o && o.Cols != d) throw new ArgumentException($"the adapter has {d} dimensions, the embedding {z.Cols}.");
        int blocks = (rows.Length + Block - 1) / Block;
        var shifts = new double[blocks];
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, () => new Workspace(Shape),
            (b, _, w) => { shifts[b] = ApplyBlock(z, rows.AsSpan(b * Block, Math.Min(Block, rows.Length - b * Block)), norm, output, w); return w; },
            _ => { });
        double shiftSum = 0;
        foreach (var s in shifts) shiftSum += s;
        return shiftSum;
    }

    /// <summary>Per-thread buffers for one block of rows.</summary>
    sealed class Workspace(AdapterShape shape)
    {
        public readonly AdapterCache Cache = new(Block, shape);
        public readonly float[] X = new float[Block * shape.Dim];
        public readonly float[] Delta = new float[Block * shape.Dim];
        public readonly Embedding Gathered = new(Block, shape.Dim);
    }

    double ApplyBlock(Embedding z, ReadOnlySpan<int> rows, Normalisation norm, Embedding? output, Workspace w)
    {
        int d = Shape.Dim, m = rows.Length;
        for (int i = 0; i < m; i++) z.RowReadOnly(rows[i]).CopyTo(w.Gathered.Row(i));
        norm.Apply(w.Gathered, 0, m, w.X);
        Adapter.Residual(Shape, Activation, Theta, Phi, w.X, m, w.Delta, w.Cache);
        double shiftSum = 0;
        for (int i = 0; i < m; i++)
        {
            var zin = w.Gathered.RowReadOnly(i);
            var zout = output is null ? w.X.AsSpan(i * d, d) : output.Row(rows[i]);   // x of row i is no longer needed
            double sq = 0;
            for (int j = 0; j < d; j++)
            {
                // z + s * delta is exactly z while the adapter is the identity
                double moved = norm.Scale * w.Delta[i * d + j];
                zout[j] = (float)(zin[j] + moved);
                sq += moved * moved;
            }
            shiftSum += Math.Sqrt(sq);
        }
        return shiftSum;
    }
}
