using ScBatchProx.Kernels;

namespace ScBatchProx.Metrics.Tests;

/// <summary>
/// The blocked products promise each entry exactly the operations of the level-1 kernel they
/// replace, so the reference here is that kernel applied entry by entry (and a double-precision
/// product for the value itself). Shapes cover the adapter's, every block edge (rows and columns
/// not multiples of 4, 16 or 32, inner sizes below one vector) and zeros, which the sums skip.
/// </summary>
public class KernelsGemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 256, 50, 128 }, { 256, 128, 50 }, { 256, 20, 64 }, { 7, 17, 33 }, { 13, 50, 20 }, { 5, 3, 9 }, { 4, 16, 16 }, { 1, 1, 1 }, { 9, 100, 47 },
    };

    static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(6) == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory, MemberData(nameof(Shapes))]
    public void MulABtIsVecDotPerEntry(int m, int k, int n)
    {
        var a = Random(m * k, 1); var b = Random(n * k, 2);
        var c = new float[m * n];
        Gemm.MulABt(a, m, k, b, n, c);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(Vec.Dot(a.AsSpan(i * k, k), b.AsSpan(j * k, k))), BitConverter.SingleToInt32Bits(c[i * n + j]));
                double exact = 0; for (int t = 0; t < k; t++) exact += (double)a[i * k + t] * b[j * k + t];
                Assert.Equal(exact, c[i * n + j], 1e-4 * (1 + k));
            }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void MulABIsVecAxpyPerRow(int m, int k, int n)
    {
        var a = Random(m * k, 3); var b = Random(k * n, 4);
        var c = Random(m * n, 5);   // overwritten, not accumulated
        Gemm.MulAB(a, m, k, b, n, c);
        var expected = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int t = 0; t < k; t++)
                if (a[i * k + t] != 0f) Vec.Axpy(a[i * k + t], b.AsSpan(t * n, n), expected.AsSpan(i * n, n));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), c.Select(BitConverter.SingleToInt32Bits));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double exact = 0; for (int t = 0; t < k; t++) exact += (double)a[i * k + t] * b[t * n + j];
                Assert.Equal(exact, c[i * n + j], 1e-4 * (1 + k));
            }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void AddAtBIsVecAxpyPerRowOntoTheExistingValues(int m, int p, int q)
    {
        var u = Random(m * p, 6); var v = Random(m * q, 7);
        var start = Random(p * q, 8);
        var c = (float[])start.Clone();
        Gemm.AddAtB(u, m, p, v, q, c);
        var expected = (float[])start.Clone();
        for (int i = 0; i < m; i++)
            for (int r = 0; r < p; r++)
                if (u[i * p + r] != 0f) Vec.Axpy(u[i * p + r], v.AsSpan(i * q, q), expected.AsSpan(r * q, q));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), c.Select(BitConverter.SingleToInt32Bits));
        for (int r = 0; r < p; r++)
            for (int j = 0; j < q; j++)
            {
                double exact = start[r * q + j]; for (int i = 0; i < m; i++) exact += (double)u[i * p + r] * v[i * q + j];
                Assert.Equal(exact, c[r * q + j], 1e-4 * (1 + m));
            }
    }

    [Fact]
    public void ShapeMismatchesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Gemm.MulABt(new float[6], 2, 3, new float[5], 2, new float[4]));
        Assert.Throws<ArgumentException>(() => Gemm.MulAB(new float[6], 2, 3, new float[6], 2, new float[3]));
        Assert.Throws<ArgumentException>(() => Gemm.AddAtB(new float[6], 2, 3, new float[4], 2, new float[5]));
    }
}
