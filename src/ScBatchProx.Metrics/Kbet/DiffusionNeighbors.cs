using ScBatchProx.Kernels.Linalg;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Kbet;

/// <summary>
/// scib-metrics utils/_diffusion_nn.py (METRICS.md 4.8, diffusion_nn): scanpy's diffusion map of a
/// connected connectivity graph followed by an exact k-NN search in the scaled eigenvector space.
/// </summary>
public static class DiffusionNeighbors
{
    /// <summary>Relative residual tolerance of the eigensolve (residual &lt;= tol * max |eigenvalue|).</summary>
    public const double EigenTolerance = 1e-10;

    /// <summary>
    /// Symmetric transition matrix T = Z^-1 K Z^-1 with K = Q^-1 G Q^-1 (q = column sums of G,
    /// z = sqrt(column sums of K)); the products are formed in scipy's order (row scaling, then
    /// column scaling).
    /// </summary>
    public static SparseMatrix Transitions(SparseMatrix g)
    {
        var qInv = g.ColumnSums().Select(x => 1 / x).ToArray();
        var kVals = new double[g.NonZeros];
        for (int i = 0; i < g.Rows; i++)
            for (int p = g.RowPtr[i]; p < g.RowPtr[i + 1]; p++) kVals[p] = g.Values[p] * qInv[i] * qInv[g.ColIdx[p]];
        var k = new SparseMatrix(g.Rows, g.Cols, g.RowPtr, g.ColIdx, kVals);
        var zInv = k.ColumnSums().Select(x => 1 / Math.Sqrt(x)).ToArray();
        var tVals = new double[g.NonZeros];
        for (int i = 0; i < g.Rows; i++)
            for (int p = g.RowPtr[i]; p < g.RowPtr[i + 1]; p++) tVals[p] = kVals[p] * zInv[i] * zInv[g.ColIdx[p]];
        return new SparseMatrix(g.Rows, g.Cols, g.RowPtr, g.ColIdx, tVals);
    }

    /// <summary>
    /// The diffusion embedding in float32: the min(n - 1, nComps) eigenvectors of T with largest
    /// |eigenvalue| (ARPACK "LM" then cast to float32), each scaled by w = e / (1 - e) with
    /// e = float32(eigenvalue + 1e-8), or w = 1 when e rounds to exactly 1. Row-major n x comps.
    /// </summary>
    public static (float[] Embedding, int Comps) Embed(SparseMatrix g, int nComps, int threads = 0)
    {
        int n = g.Rows;
        int comps = Math.Min(n - 1, nComps);
        if (comps < 1) throw new ArgumentException("diffusion map needs at least 2 cells.");
        var t = Transitions(g);
        var eig = Lanczos.LargestMagnitude((x, y) => t.Multiply(x, y), n, comps, tolerance: EigenTolerance, threads: threads);
        var emb = new float[n * comps];
        for (int c = 0; c < comps; c++)
        {
            float e = (float)eig.Values[c] + 1e-8f;
            float w = e == 1f ? 1f : e / (1f - e);
            for (int r = 0; r < n; r++) emb[r * comps + c] = (float)eig.Vector(r, c) * w;
        }
        return (emb, comps);
    }

    /// <summary>
    /// Neighbourhoods of k + 1 cells (self first) in the diffusion embedding. When the graph has
    /// fewer than k + 1 cells, pynndescent pads with -1, which numpy indexing maps to the last
    /// cell; that padding is reproduced (quirk Q4). Row-major n x (k + 1), or, with
    /// <paramref name="queries"/>, one row per listed cell (searched among all cells).
    /// </summary>
    public static int[] Search(SparseMatrix g, int k, int nComps, int threads = 0, int[]? queries = null)
    {
        int n = g.Rows, width = k + 1;
        var (emb, comps) = Embed(g, nComps, threads);
        var data = new double[emb.Length];
        for (int t = 0; t < emb.Length; t++) data[t] = emb[t];
        int kk = Math.Min(width, n);
        var nn = queries is null ? ExactNeighbors.Search(data, n, comps, kk, threads) : ExactNeighbors.SearchSubset(data, n, comps, queries, kk, threads);
        var result = new int[nn.N * width];
        for (int i = 0; i < nn.N; i++)
        {
            nn.IndicesOf(i).CopyTo(result.AsSpan(i * width, kk));
            for (int j = kk; j < width; j++) result[i * width + j] = n - 1;
        }
        return result;
    }
}
