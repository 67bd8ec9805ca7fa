using ScBatchProx.Data;
using ScBatchProx.Core.Method;

namespace ScBatchProx.Core.Tests;

/// <summary>Hand-written backward pass against central finite differences of the forward pass.</summary>
public class AdapterGradientTests
{
    [Theory]
    [InlineData(Activation.SiLU)]
    [InlineData(Activation.Tanh)]
    public void EveryParameterMatchesFiniteDifferences(Activation act)
    {
        const int d = 5, h = 7, m = 4;
        var shape = new AdapterShape(d, h);
        var rng = new SeededRng(7);
        float[] Rand(int n, double sd) => Enumerable.Range(0, n).Select(_ => (float)(sd * rng.NextNormal())).ToArray();
        var theta = Rand(shape.ThetaLength, 0.5);   // non-zero W2 so every path carries gradient
        var phi = Rand(shape.PhiLength, 0.3);
        var x = Rand(m * d, 1.0);
        var weights = Rand(m * d, 1.0);            // L = sum w .* f(x), so dL/df = w

        double Loss(float[] th, float[] ph)
        {
            var delta = new float[m * d];
            Adapter.Residual(shape, act, th, ph, x, m, delta, new AdapterCache(m, shape));
            double sum = 0;
            for (int t = 0; t < m * d; t++) sum += (double)weights[t] * (x[t] + delta[t]);
            return sum;
        }

        var cache = new AdapterCache(m, shape);
        Adapter.Residual(shape, act, theta, phi, x, m, new float[m * d], cache);
        var gTheta = new float[shape.ThetaLength];
        var gPhi = new float[shape.PhiLength];
        Adapter.Backward(shape, act, theta, phi, x, m, weights, cache, gTheta, gPhi);

        const float eps = 1e-2f;
        void CheckAll(float[] p, float[] grad, string name)
        {
            for (int i = 0; i < p.Length; i++)
            {
                float keep = p[i];
                p[i] = keep + eps; double up = Loss(theta, phi);
                p[i] = keep - eps; double down = Loss(theta, phi);
                p[i] = keep;
                double fd = (up - down) / (2 * eps);
                // float32 forward + O(eps^2) truncation: 2e-3 absolute plus 1e-2 relative
                Assert.True(Math.Abs(fd - grad[i]) <= 2e-3 + 1e-2 * Math.Abs(fd),
                    $"{name}[{i}]: analytic {grad[i]} vs finite difference {fd}");
            }
        }
        CheckAll(theta, gTheta, "theta");
        CheckAll(phi, gPhi, "phi");
        Assert.Contains(gTheta, g => Math.Abs(g) > 1e-3f);
        Assert.Contains(gPhi, g => Math.Abs(g) > 1e-3f);
    }

    [Fact]
    public void InitialAdapterIsExactlyTheIdentity()
    {
        var shape = new AdapterShape(6, 9);
        var theta = shape.InitialTheta(3);
        var x = Enumerable.Range(0, 18).Select(i => (float)Math.Sin(i)).ToArray();
        var delta = new float[18];
        Adapter.Residual(shape, Activation.SiLU, theta, new float[shape.PhiLength], x, 3, delta, new AdapterCache(3, shape));
        Assert.All(delta, v => Assert.Equal(0f, v));
        // W1 ~ N(0, 1/d): sample variance of the 54 draws within a loose band around 1/6
        double var = theta.Take(54).Select(v => (double)v * v).Average();
        Assert.InRange(var, 0.05, 0.4);
    }
}
