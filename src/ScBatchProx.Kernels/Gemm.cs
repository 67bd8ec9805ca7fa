using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ScBatchProx.Kernels;

/// <summary>
/// Small dense float32 matrix products, row-major, for the adapter's shapes (a minibatch of 256
/// rows times 20..128 dims). Each output entry is computed by exactly the chain of operations of
/// the level-1 kernel it replaces (<see cref="Vec.Dot"/> per entry, or <see cref="Vec.Axpy"/> per
/// row in index order), so blocking changes the speed, never a bit of the result; the blocks only
/// keep outputs in registers and let one load feed several of them.
/// </summary>
public static class Gemm
{
    /// <summary>C[m x n] = A[m x k] * B[n x k]^T (every entry a dot product of two rows).</summary>
    public static void MulABt(ReadOnlySpan<float> a, int m, int k, ReadOnlySpan<float> b, int n, Span<float> c)
    {
        Check(a.Length, m * k, "A"); Check(b.Length, n * k, "B"); Check(c.Length, m * n, "C");
        DotTiles.Run(a, m, k, b, n, c);
    }

    /// <summary>C[m x n] = A[m x k] * B[k x n] (every row of C a combination of rows of B).</summary>
    public static void MulAB(ReadOnlySpan<float> a, int m, int k, ReadOnlySpan<float> b, int n, Span<float> c)
    {
        Check(a.Length, m * k, "A"); Check(b.Length, k * n, "B"); Check(c.Length, m * n, "C");
        c.Clear();
        // row i of C gathers A[i, t] * row t of B, t = 0..k-1
        AxpyTiles.Run(a, coefRowStride: k, coefTermStride: 1, terms: k, b, n, c, m);
    }

    /// <summary>C[p x q] += U[m x p]^T * V[m x q] (sum over rows of outer products; gradient of a weight matrix).</summary>
    public static void AddAtB(ReadOnlySpan<float> u, int m, int p, ReadOnlySpan<float> v, int q, Span<float> c)
    {
        Check(u.Length, m * p, "U"); Check(v.Length, m * q, "V"); Check(c.Length, p * q, "C");
        // row r of C gathers U[i, r] * row i of V, i = 0..m-1
        AxpyTiles.Run(u, coefRowStride: 1, coefTermStride: p, terms: m, v, q, c, p);
    }

    static void Check(int actual, int expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"{name} has {actual} values, expected {expected}.");
    }
}

/// <summary>
/// C[i, j] = Vec.Dot(A row i, B row j), four rows by four columns at a time: sixteen Vector512
/// accumulators, each A and B load used four times, then the same horizontal sum and scalar
/// tail as <see cref="Vec.Dot"/>. Edges, and machines without Vector512, call Vec.Dot itself.
/// </summary>
internal static class DotTiles
{
    const int W = 16;   // Vector512<float>.Count

    public static void Run(ReadOnlySpan<float> a, int m, int k, ReadOnlySpan<float> b, int n, Span<float> c)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && k >= W)
        {
            for (; i + 4 <= m; i += 4)
            {
                int j = 0;
                for (; j + 4 <= n; j += 4) Block4x4(a, i, k, b, j, c, n);
                for (; j < n; j++)
                    for (int r = i; r < i + 4; r++) c[r * n + j] = Vec.Dot(a.Slice(r * k, k), b.Slice(j * k, k));
            }
        }
        for (; i < m; i++)
            for (int j = 0; j < n; j++) c[i * n + j] = Vec.Dot(a.Slice(i * k, k), b.Slice(j * k, k));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x4(ReadOnlySpan<float> a, int i, int k, ReadOnlySpan<float> b, int j, Span<float> c, int n)
    {
        ref float a0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), i * k);
        ref float a1 = ref Unsafe.Add(ref a0, k);
        ref float a2 = ref Unsafe.Add(ref a0, 2 * k);
        ref float a3 = ref Unsafe.Add(ref a0, 3 * k);
        ref float b0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(b), j * k);
        ref float b1 = ref Unsafe.Add(ref b0, k);
        ref float b2 = ref Unsafe.Add(ref b0, 2 * k);
        ref float b3 = ref Unsafe.Add(ref b0, 3 * k);
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default,
                         s10 = default, s11 = default, s12 = default, s13 = default,
                         s20 = default, s21 = default, s22 = default, s23 = default,
                         s30 = default, s31 = default, s32 = default, s33 = default;
        int t = 0;
        for (; t <= k - W; t += W)
        {
            var y0 = Vector512.LoadUnsafe(ref b0, (nuint)t); var y1 = Vector512.LoadUnsafe(ref b1, (nuint)t);
            var y2 = Vector512.LoadUnsafe(ref b2, (nuint)t); var y3 = Vector512.LoadUnsafe(ref b3, (nuint)t);
            var x = Vector512.LoadUnsafe(ref a0, (nuint)t);
            s00 = Vector512.FusedMultiplyAdd(x, y0, s00); s01 = Vector512.FusedMultiplyAdd(x, y1, s01);
            s02 = Vector512.FusedMultiplyAdd(x, y2, s02); s03 = Vector512.FusedMultiplyAdd(x, y3, s03);
            x = Vector512.LoadUnsafe(ref a1, (nuint)t);
            s10 = Vector512.FusedMultiplyAdd(x, y0, s10); s11 = Vector512.FusedMultiplyAdd(x, y1, s11);
            s12 = Vector512.FusedMultiplyAdd(x, y2, s12); s13 = Vector512.FusedMultiplyAdd(x, y3, s13);
            x = Vector512.LoadUnsafe(ref a2, (nuint)t);
            s20 = Vector512.FusedMultiplyAdd(x, y0, s20); s21 = Vector512.FusedMultiplyAdd(x, y1, s21);
            s22 = Vector512.FusedMultiplyAdd(x, y2, s22); s23 = Vector512.FusedMultiplyAdd(x, y3, s23);
            x = Vector512.LoadUnsafe(ref a3, (nuint)t);
            s30 = Vector512.FusedMultiplyAdd(x, y0, s30); s31 = Vector512.FusedMultiplyAdd(x, y1, s31);
            s32 = Vector512.FusedMultiplyAdd(x, y2, s32); s33 = Vector512.FusedMultiplyAdd(x, y3, s33);
        }
        ref float c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(c), i * n + j);
        Finish(ref c0, s00, ref a0, ref b0, t, k); Finish(ref Unsafe.Add(ref c0, 1), s01, ref a0, ref b1, t, k);
        Finish(ref Unsafe.Add(ref c0, 2), s02, ref a0, ref b2, t, k); Finish(ref Unsafe.Add(ref c0, 3), s03, ref a0, ref b3, t, k);
        ref float c1 = ref Unsafe.Add(ref c0, n);
        Finish(ref c1, s10, ref a1, ref b0, t, k); Finish(ref Unsafe.Add(ref c1, 1), s11, ref a1, ref b1, t, k);
        Finish(ref Unsafe.Add(ref c1, 2), s12, ref a1, ref b2, t, k); Finish(ref Unsafe.Add(ref c1, 3), s13, ref a1, ref b3, t, k);
        ref float c2 = ref Unsafe.Add(ref c0, 2 * n);
        Finish(ref c2, s20, ref a2, ref b0, t, k); Finish(ref Unsafe.Add(ref c2, 1), s21, ref a2, ref b1, t, k);
        Finish(ref Unsafe.Add(ref c2, 2), s22, ref a2, ref b2, t, k); Finish(ref Unsafe.Add(ref c2, 3), s23, ref a2, ref b3, t, k);
        ref float c3 = ref Unsafe.Add(ref c0, 3 * n);
        Finish(ref c3, s30, ref a3, ref b0, t, k); Finish(ref Unsafe.Add(ref c3, 1), s31, ref a3, ref b1, t, k);
        Finish(ref Unsafe.Add(ref c3, 2), s32, ref a3, ref b2, t, k); Finish(ref Unsafe.Add(ref c3, 3), s33, ref a3, ref b3, t, k);
    }

    /// <summary>Vec.Dot's ending: the horizontal sum, then the scalar tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Finish(ref float c, Vector512<float> acc, ref float a, ref float b, int t, int k)
    {
        float sum = Vector512.Sum(acc);
        for (; t < k; t++) sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, t), Unsafe.Add(ref b, t), sum);
        c = sum;
    }
}

/// <summary>
/// C[r, :] += sum over t of coef(r, t) * Y[t, :], t in order and a zero coefficient skipped, which
/// is the chain <see cref="Vec.Axpy"/> gives each entry. Coefficients are read with strides, so one
/// driver serves A*B (coef = A[r, t]) and U^T*V (coef = U[t, r]). Four rows by 32 (then 16) columns
/// are held in Vector512 accumulators while t runs, remaining columns one scalar chain each, and
/// remaining rows go through Vec.Axpy itself.
/// </summary>
internal static class AxpyTiles
{
    const int W = 16;   // Vector512<float>.Count

    public static void Run(ReadOnlySpan<float> coef, int coefRowStride, int coefTermStride, int terms,
        ReadOnlySpan<float> y, int width, Span<float> c, int rows)
    {
        int r = 0;
        if (Vector512.IsHardwareAccelerated && width >= W)
            for (; r + 4 <= rows; r += 4)
            {
                int col = 0;
                for (; col + 2 * W <= width; col += 2 * W) Block4<TwoVectors>(coef, coefRowStride, coefTermStride, terms, y, width, c, r, col);
                if (col + W <= width) { Block4<OneVector>(coef, coefRowStride, coefTermStride, terms, y, width, c, r, col); col += W; }
                for (; col < width; col++)
                    for (int q = r; q < r + 4; q++)
                    {
                        float acc = c[q * width + col];
                        for (int t = 0; t < terms; t++)
                        {
                            float s = coef[q * coefRowStride + t * coefTermStride];
                            if (s != 0f) acc = MathF.FusedMultiplyAdd(s, y[t * width + col], acc);
                        }
                        c[q * width + col] = acc;
                    }
            }
        for (; r < rows; r++)
        {
            var cRow = c.Slice(r * width, width);
            for (int t = 0; t < terms; t++)
            {
                float s = coef[r * coefRowStride + t * coefTermStride];
                if (s != 0f) Vec.Axpy(s, y.Slice(t * width, width), cRow);
            }
        }
    }

    /// <summary>How many Vector512 columns a block holds; a type argument, so the JIT drops the unused half.</summary>
    interface IBlockWidth { static abstract bool Two { get; } }
    readonly struct OneVector : IBlockWidth { public static bool Two => false; }
    readonly struct TwoVectors : IBlockWidth { public static bool Two => true; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4<TWidth>(ReadOnlySpan<float> coef, int rowStride, int termStride, int terms,
        ReadOnlySpan<float> y, int width, Span<float> c, int r, int col) where TWidth : struct, IBlockWidth
    {
        ref float k0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(coef), r * rowStride);
        ref float yc = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), col);
        ref float c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(c), r * width + col);
        ref float c1 = ref Unsafe.Add(ref c0, width);
        ref float c2 = ref Unsafe.Add(ref c0, 2 * width);
        ref float c3 = ref Unsafe.Add(ref c0, 3 * width);
        var a00 = Vector512.LoadUnsafe(ref c0); var a10 = Vector512.LoadUnsafe(ref c1);
        var a20 = Vector512.LoadUnsafe(ref c2); var a30 = Vector512.LoadUnsafe(ref c3);
        Vector512<float> a01 = default, a11 = default, a21 = default, a31 = default;
        if (TWidth.Two)
        {
            a01 = Vector512.LoadUnsafe(ref c0, W); a11 = Vector512.LoadUnsafe(ref c1, W);
            a21 = Vector512.LoadUnsafe(ref c2, W); a31 = Vector512.LoadUnsafe(ref c3, W);
        }
        for (int t = 0; t < terms; t++)
        {
            ref float yt = ref Unsafe.Add(ref yc, t * width);
            var y0 = Vector512.LoadUnsafe(ref yt);
            var y1 = TWidth.Two ? Vector512.LoadUnsafe(ref yt, W) : default;
            ref float kt = ref Unsafe.Add(ref k0, t * termStride);
            float s0 = kt, s1 = Unsafe.Add(ref kt, rowStride), s2 = Unsafe.Add(ref kt, 2 * rowStride), s3 = Unsafe.Add(ref kt, 3 * rowStride);
            if (s0 != 0f) { var v = Vector512.Create(s0); a00 = Vector512.FusedMultiplyAdd(v, y0, a00); if (TWidth.Two) a01 = Vector512.FusedMultiplyAdd(v, y1, a01); }
            if (s1 != 0f) { var v = Vector512.Create(s1); a10 = Vector512.FusedMultiplyAdd(v, y0, a10); if (TWidth.Two) a11 = Vector512.FusedMultiplyAdd(v, y1, a11); }
            if (s2 != 0f) { var v = Vector512.Create(s2); a20 = Vector512.FusedMultiplyAdd(v, y0, a20); if (TWidth.Two) a21 = Vector512.FusedMultiplyAdd(v, y1, a21); }
            if (s3 != 0f) { var v = Vector512.Create(s3); a30 = Vector512.FusedMultiplyAdd(v, y0, a30); if (TWidth.Two) a31 = Vector512.FusedMultiplyAdd(v, y1, a31); }
        }
        a00.StoreUnsafe(ref c0); a10.StoreUnsafe(ref c1); a20.StoreUnsafe(ref c2); a30.StoreUnsafe(ref c3);
        if (TWidth.Two) { a01.StoreUnsafe(ref c0, W); a11.StoreUnsafe(ref c1, W); a21.StoreUnsafe(ref c2, W); a31.StoreUnsafe(ref c3, W); }
    }
}
