using ScBatchProx.Data;
using ScBatchProx.Metrics.Pcr;
using ScBatchProx.TestSupport;
using Xunit;

namespace ScBatchProx.Metrics.Tests;

public class PcrTests
{
    static (Embedding X, Categorical Batches) BatchShifted(int n, int d, int batches, double shift, ulong seed)
    {
        var rng = new SeededRng(seed);
        var x = new float[n * d];
        var b = new List<string?>();
        for (int i = 0; i < n; i++)
        {
            int k = rng.NextInt(batches);
            b.Add("batch" + k);
            // Anisotropic noise so that the PCs differ in variance, plus a batch offset.
            for (int t = 0; t < d; t++) x[i * d + t] = (float)(rng.NextNormal() * (1 + t) + shift * k * Math.Cos(t + k) + 5);
        }
        return (new Embedding(n, d, x), Categorical.FromStrings("batch", b));
    }

    [SkippableFact]
    public void ClosedFormMatchesExplicitPcaAndRegression()
    {
        Python.RequireModules("numpy");
        var (x, batches) = BatchShifted(700, 12, 4, 1.3, 2);
        using var dir = new TempDir();
        SilhouetteOracle.WriteF64(dir.File("x.f64"), x.Data);
        SilhouetteOracle.WriteI64(dir.File("b.i64"), batches.Codes);
        // scib-metrics utils/_pcr.py: full PCA (SVD of the centred data), each PC score regressed
        // on the centred one-hot batch matrix by least squares, R^2 weighted by PC variance.
        var output = Python.Check("""
            import sys, numpy as np
            x = np.fromfile(sys.argv[1], dtype="<f8").reshape(-1, int(sys.argv[3]))
            b = np.fromfile(sys.argv[2], dtype="<i8")
            xc = x - x.mean(axis=0)
            u, s, vt = np.linalg.svd(xc, full_matrices=False)
            scores = u * s
            var = s ** 2 / (x.shape[0] - 1)
            onehot = np.eye(b.max() + 1)[b]
            onehot = onehot - onehot.mean(axis=0)
            r2 = []
            for j in range(scores.shape[1]):
                y = scores[:, j]
                coef, *_ = np.linalg.lstsq(onehot, y, rcond=None)
                rss = np.sum((y - onehot @ coef) ** 2); tss = np.sum((y - y.mean()) ** 2)
                r2.append(max(0.0, 1 - rss / tss))
            print(repr(float(np.sum(np.array(r2) * var) / np.sum(var))))
            """, dir.File("x.f64"), dir.File("b.i64"), x.Cols.ToString());
        double expected = SilhouetteOracle.ParseDoubles(output)[0];
        Assert.Equal(expected, PcrComparison.Pcr(x, batches), 1e-9);
    }

    [Fact]
    public void HandComputedAndLimits()
    {
        // 1-D: batch a = {0, 2}, batch b = {4, 6}; batch means 1 and 5, overall 3;
        // SSB = 2*(1-3)^2 + 2*(5-3)^2 = 16, SST = 9 + 1 + 1 + 9 = 20.
        var x = new Embedding(4, 1, [0, 2, 4, 6]);
        var b = Categorical.FromStrings("b", ["a", "a", "b", "b"]);
        Assert.Equal(0.8, PcrComparison.Pcr(x, b), 15);
        Assert.Equal(0.0, PcrComparison.Score(x, x, b));
        // Batch effect removed entirely: post has equal batch means.
        var post = new Embedding(4, 1, [0, 6, 2, 4]);
        Assert.Equal(1.0, PcrComparison.Score(x, post, b), 15);
        // Worse than before: clipped to 0.
        Assert.Equal(0.0, PcrComparison.Score(post, x, b));
    }

    [SkippableTheory]
    [MemberData(nameof(SharedDatasets.Embeddings), MemberType = typeof(SharedDatasets))]
    public void MatchesReferenceMetrics(string dataset, string key)
    {
        var ds = SharedDatasets.Load(dataset);
        double expected = SharedDatasets.Reference(dataset, key, "pcr_comparison");
        Assert.Equal(expected, PcrComparison.Score(ds.Obsm["X_pca"], ds.Obsm[key], ds.Batches), 1e-9);
    }
}
