using ScBatchProx.Data;
using ScBatchProx.Kernels;

namespace ScBatchProx.Core.Method;

/// <summary>
/// Offsets of the adapter parameters in their flat arrays.
/// Shared theta = [W1 (h x d) | c1 (h) | W2 (d x h) | c2 (d)]; FiLM phi = [gamma (h) | beta (h)].
/// Flat arrays make averaging, Adam and the wire format one loop each.
/// </summary>
public readonly record struct AdapterShape(int Dim, int Hidden)
{
    public int W1 => 0;
    public int C1 => Hidden * Dim;
    public int W2 => C1 + Hidden;
    public int C2 => W2 + Dim * Hidden;
    public int ThetaLength => C2 + Dim;
    public int Gamma => 0;
    public int Beta => Hidden;
    public int PhiLength => 2 * Hidden;

    /// <summary>theta at round 0: W1 ~ N(0, 1/d) from the seed, everything else 0, so f is the identity.</summary>
    public float[] InitialTheta(ulong seed)
    {
        var theta = new float[ThetaLength];
        var rng = SeededRng.For(seed, "adapter-W1");
        double sd = 1.0 / Math.Sqrt(Dim);
        for (int i = 0; i < Hidden * Dim; i++) theta[W1 + i] = (float)(sd * rng.NextNormal());
        return theta;
    }
}

/// <summary>Intermediate values of one forward pass, kept for the backward pass.</summary>
public sealed class AdapterCache(int capacityRows, AdapterShape shape)
{
    public readonly float[] U = new float[capacityRows * shape.Hidden];   // W1 x + c1
    public readonly float[] V = new float[capacityRows * shape.Hidden];   // (1 + gamma) u + beta
    public readonly float[] A = new float[capacityRows * shape.Hidden];   // act(v)
    public readonly float[] GradA = new float[capacityRows * shape.Hidden];
    public int Capacity => capacityRows;
}

/// <summary>
/// The batch-conditioned FiLM adapter f_b(x) = x + W2 act((1 + gamma) .* (W1 x + c1) + beta) + c2,
/// with hand-written forward and backward passes over row-major minibatches.
/// </summary>
public static class Adapter
{
    /// <summary>
    /// Residual delta(x) = f(x) - x for m rows of x (m x d) into delta (m x d). Returning the residual
    /// lets callers form z + s * delta, which is bitwise z while the adapter is the identity.
    /// </summary>
    public static void Residual(AdapterShape s, Activation act, ReadOnlySpan<float> theta, ReadOnlySpan<float> phi,
        ReadOnlySpan<float> x, int m, Span<float> delta, AdapterCache cache)
    {
        int d = s.Dim, h = s.Hidden;
        if (m > cache.Capacity) throw new ArgumentException("cache too small");
        var u = cache.U.AsSpan(0, m * h); var v = cache.V.AsSpan(0, m * h); var a = cache.A.AsSpan(0, m * h);
        Gemm.MulABt(x[..(m * d)], m, d, theta.Slice(s.W1, h * d), h, u);
        var c1 = theta.Slice(s.C1, h);
        var gamma = phi.Slice(s.Gamma, h); var beta = phi.Slice(s.Beta, h);
        for (int i = 0; i < m; i++)
        {
            var ui = u.Slice(i * h, h); var vi = v.Slice(i * h, h); var ai = a.Slice(i * h, h);
            for (int j = 0; j < h; j++)
            {
                float uu = ui[j] + c1[j];
                ui[j] = uu;
                float vv = (1f + gamma[j]) * uu + beta[j];
                vi[j] = vv;
                ai[j] = Activate(act, vv);
            }
        }
        Gemm.MulABt(a, m, h, theta.Slice(s.W2, d * h), d, delta[..(m * d)]);
        var c2 = theta.Slice(s.C2, d);
        for (int i = 0; i < m; i++)
        {
            var di = delta.Slice(i * d, d);
            for (int j = 0; j < d; j++) di[j] += c2[j];
        }
    }

    /// <summary>
    /// Adds dL/dtheta and dL/dphi for the last <see cref="Residual"/> call on the same rows, given
    /// gradY = dL/df(x) (m x d). The identity path of f carries no parameters, so gradY is also dL/ddelta.
    /// </summary>
    public static void Backward(AdapterShape s, Activation act, ReadOnlySpan<float> theta, ReadOnlySpan<float> phi,
        ReadOnlySpan<float> x, int m, ReadOnlySpan<float> gradY, AdapterCache cache, Span<float> gradTheta, Span<float> gradPhi)
    {
        int d = s.Dim, h = s.Hidden;
        var u = cache.U.AsSpan(0, m * h); var v = cache.V.AsSpan(0, m * h); var a = cache.A.AsSpan(0, m * h);
        var gA = cache.GradA.AsSpan(0, m * h);
        gradY = gradY[..(m * d)];
        // c2 and W2
        var gc2 = gradTheta.Slice(s.C2, d);
        for (int i = 0; i < m; i++) { var gi = gradY.Slice(i * d, d); for (int j = 0; j < d; j++) gc2[j] += gi[j]; }
        Gemm.AddAtB(gradY, m, d, a, h, gradTheta.Slice(s.W2, d * h));
        // back through W2 to the activations, then through act and FiLM
        Gemm.MulAB(gradY, m, d, theta.Slice(s.W2, d * h), h, gA);
        var gamma = phi.Slice(s.Gamma, h);
        var gGamma = gradPhi.Slice(s.Gamma, h); var gBeta = gradPhi.Slice(s.Beta, h);
        var gc1 = gradTheta.Slice(s.C1, h);
        for (int i = 0; i < m; i++)
        {
            var ui = u.Slice(i * h, h); var vi = v.Slice(i * h, h); var ai = a.Slice(i * h, h); var gi = gA.Slice(i * h, h);
            for (int j = 0; j < h; j++)
            {
                float gv = gi[j] * Derivative(act, vi[j], ai[j]);
                gGamma[j] += gv * ui[j];
                gBeta[j] += gv;
                float gu = gv * (1f + gamma[j]);
                gc1[j] += gu;
                gi[j] = gu; // reuse the buffer: now dL/du
            }
        }
        Gemm.AddAtB(gA, m, h, x[..(m * d)], d, gradTheta.Slice(s.W1, h * d));
    }

    static float Activate(Activation act, float v) => act switch
    {
        Activation.SiLU => v / (1f + MathF.Exp(-v)),
        _ => MathF.Tanh(v),
    };

    static float Derivative(Activation act, float v, float a)
    {
        if (act == Activation.Tanh) return 1f - a * a;
        float sig = 1f / (1f + MathF.Exp(-v));
        return sig * (1f + v * (1f - sig));
    }
}
