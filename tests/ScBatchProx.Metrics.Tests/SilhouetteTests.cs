using System.Globalization;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Silhouette;
using ScBatchProx.TestSupport;
using Xunit;

namespace ScBatchProx.Metrics.Tests;

/// <summary>Literal O(n^2) transcriptions and random data shared by the silhouette tests.</summary>
internal static class SilhouetteOracle
{
    public static double Distance(float[] x, int d, int i, int j, SilhouetteMetric metric)
    {
        double dot = 0, ni = 0, nj = 0, ss = 0;
        for (int t = 0; t < d; t++)
        {
            double a = x[i * d + t], b = x[j * d + t];
            dot += a * b; ni += a * a; nj += b * b; ss += (a - b) * (a - b);
        }
        if (metric == SilhouetteMetric.Euclidean) return Math.Sqrt(ss);
        if (i == j) return 0;
        double denom = Math.Sqrt(ni) * Math.Sqrt(nj);
        return Math.Clamp(1 - (denom == 0 ? 0 : dot / denom), 0, 2);
    }

    /// <summary>METRICS.md 4.1 written out with the full distance matrix.</summary>
    public static double[] Samples(float[] x, int n, int d, int[] c, SilhouetteMetric metric, BetweenClusterDistance between)
    {
        var ids = c.Distinct().OrderBy(v => v).ToArray();
        var s = new double[n];
        for (int i = 0; i < n; i++)
        {
            var sum = ids.ToDictionary(k => k, _ => 0.0);
            var size = ids.ToDictionary(k => k, _ => 0);
            for (int j = 0; j < n; j++) { sum[c[j]] += Distance(x, d, i, j, metric); size[c[j]]++; }
            double a = sum[c[i]] / (size[c[i]] - 1);
            var others = ids.Where(k => k != c[i]).ToArray();
            double b = between switch
            {
                BetweenClusterDistance.MeanOther => others.Sum(k => sum[k]) / others.Sum(k => size[k]),
                BetweenClusterDistance.Nearest => others.Length == 0 ? double.PositiveInfinity : others.Min(k => sum[k] / size[k]),
                _ => others.Length == 0 ? double.NegativeInfinity : others.Max(k => sum[k] / size[k]),
            };
            double v = (b - a) / Math.Max(a, b);
            s[i] = double.IsNaN(v) ? 0 : v;
        }
        return s;
    }

    /// <summary>Gaussian blobs per cluster (cluster k centred at k along a random direction) plus noise.</summary>
    public static (Embedding X, int[] Clusters) Blobs(int n, int d, int clusters, ulong seed, double spread = 1.0)
    {
        var rng = new SeededRng(seed);
        var x = new float[n * d];
        var c = new int[n];
        for (int i = 0; i < n; i++)
        {
            c[i] = rng.NextInt(clusters);
            for (int t = 0; t < d; t++) x[i * d + t] = (float)(spread * rng.NextNormal() + (t % clusters == c[i] ? 2.0 : 0.0) + 0.3);
        }
        return (new Embedding(n, d, x), c);
    }

    public static void WriteF64(string path, ReadOnlySpan<float> values)
    {
        using var w = new BinaryWriter(File.Create(path));
        foreach (var v in values) w.Write((double)v);
    }

    public static void WriteI64(string path, ReadOnlySpan<int> values)
    {
        using var w = new BinaryWriter(File.Create(path));
        foreach (var v in values) w.Write((long)v);
    }

    public static double[] ParseDoubles(string text) =>
        text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}

public class SilhouetteTests
{
    [Theory]
    [InlineData(SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest, 600)]
    [InlineData(SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest, 301)]
    [InlineData(SilhouetteMetric.Euclidean, BetweenClusterDistance.MeanOther, 600)]
    [InlineData(SilhouetteMetric.Euclidean, BetweenClusterDistance.MeanOther, 301)]
    [InlineData(SilhouetteMetric.Euclidean, BetweenClusterDistance.Furthest, 600)]
    [InlineData(SilhouetteMetric.Euclidean, BetweenClusterDistance.Furthest, 301)]
    [InlineData(SilhouetteMetric.Cosine, BetweenClusterDistance.Nearest, 600)]
    [InlineData(SilhouetteMetric.Cosine, BetweenClusterDistance.Nearest, 301)]
    [InlineData(SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther, 600)]
    [InlineData(SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther, 301)]
    [InlineData(SilhouetteMetric.Cosine, BetweenClusterDistance.Furthest, 600)]
    [InlineData(SilhouetteMetric.Cosine, BetweenClusterDistance.Furthest, 301)]
    public void MatchesBruteForceAcrossBlockBoundaries(SilhouetteMetric metric, BetweenClusterDistance between, int n)
    {
        // 600 and 301 points span several 64-row and 256-column blocks; 301 leaves a last column
        // block of 45 = 32 + 8 + 4 + 1, so every kernel path (16-wide block, 8, 4 lanes, scalar) runs.
        // Cluster 7 is a singleton and the ids are sparse (no 5), which the dense re-coding must handle.
        var (x, c) = SilhouetteOracle.Blobs(n, 13, 5, 11);
        c[17] = 7;
        var expected = SilhouetteOracle.Samples(x.Data, x.Rows, x.Cols, c, metric, between);
        var actual = SilhouetteSamples.Compute(x, c, metric, between);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
        Assert.Equal(0, actual[17]);
    }

    [Fact]
    public void BitwiseIdenticalForAnyThreadCount()
    {
        var (x, c) = SilhouetteOracle.Blobs(1000, 21, 6, 5);
        var one = SilhouetteSamples.Compute(x, c, threads: 1);
        var two = SilhouetteSamples.Compute(x, c, threads: 2);
        var many = SilhouetteSamples.Compute(x, c, threads: 7);
        Assert.Equal(one, two);
        Assert.Equal(one, many);
        var cosOne = SilhouetteSamples.Compute(x, c, SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther, threads: 1);
        var cosTwo = SilhouetteSamples.Compute(x, c, SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther, threads: 3);
        Assert.Equal(cosOne, cosTwo);
    }

    [Fact]
    public void HandComputedLine()
    {
        // Points 0, 1 | 4, 5 on a line. Point 0: a = 1, b = (4 + 5)/2 = 4.5, s = 3.5/4.5.
        // Point 1: a = 1, b = (3 + 4)/2 = 3.5, s = 2.5/3.5. Symmetric for the other cluster.
        var x = new Embedding(4, 1, [0f, 1f, 4f, 5f]);
        var s = SilhouetteSamples.Compute(x, [0, 0, 1, 1]);
        Assert.Equal(3.5 / 4.5, s[0], 15);
        Assert.Equal(2.5 / 3.5, s[1], 15);
        Assert.Equal(2.5 / 3.5, s[2], 15);
        Assert.Equal(3.5 / 4.5, s[3], 15);
        // mean_other with three clusters: point 0 of {0,1} | {4} | {10}: a = 1, b = (4 + 10)/2 = 7.
        var y = new Embedding(4, 1, [0f, 1f, 4f, 10f]);
        var m = SilhouetteSamples.Compute(y, [0, 0, 1, 2], between: BetweenClusterDistance.MeanOther);
        Assert.Equal(6.0 / 7.0, m[0], 15);
        Assert.Equal(0, m[2]); // singleton
        // nearest for the same point: b = min(4, 10) = 4; furthest: 10.
        Assert.Equal(3.0 / 4.0, SilhouetteSamples.Compute(y, [0, 0, 1, 2])[0], 15);
        Assert.Equal(9.0 / 10.0, SilhouetteSamples.Compute(y, [0, 0, 1, 2], between: BetweenClusterDistance.Furthest)[0], 15);
    }

    [Fact]
    public void DegenerateCasesGiveZero()
    {
        var (x, _) = SilhouetteOracle.Blobs(50, 3, 1, 2);
        Assert.All(SilhouetteSamples.Compute(x, new int[50]), v => Assert.Equal(0, v)); // one cluster: inf/inf
        Assert.All(SilhouetteSamples.Compute(x, new int[50], between: BetweenClusterDistance.MeanOther), v => Assert.Equal(0, v));
        var dup = new Embedding(4, 2, [1, 1, 1, 1, 1, 1, 1, 1]);
        Assert.All(SilhouetteSamples.Compute(dup, [0, 0, 1, 1]), v => Assert.Equal(0, v)); // a = b = 0
    }

    [Fact]
    public void CosineHandComputed()
    {
        // (1,0), (2,0) | (0,1), (0,3): own-cluster distance 0, other cluster 1 -> s = 1.
        var x = new Embedding(4, 2, [1, 0, 2, 0, 0, 1, 0, 3]);
        Assert.All(SilhouetteSamples.Compute(x, [0, 0, 1, 1], SilhouetteMetric.Cosine), v => Assert.Equal(1.0, v, 15));
        // A zero row is at cosine distance 1 from everything (sklearn's normalize leaves it zero).
        var z = new Embedding(3, 2, [0, 0, 1, 0, 1, 0]);
        var s = SilhouetteSamples.Compute(z, [0, 1, 1], SilhouetteMetric.Cosine);
        Assert.Equal(0, s[0]); // singleton
        Assert.Equal(1.0, s[1], 15); // a = 0, b = 1
    }

    [SkippableTheory]
    [InlineData("euclidean")]
    [InlineData("cosine")]
    public void MatchesSklearnSilhouetteSamples(string metricName)
    {
        Python.RequireModules("sklearn", "numpy");
        var (x, c) = SilhouetteOracle.Blobs(900, 17, 6, 23, spread: 1.5);
        c[3] = 9; // singleton
        using var dir = new TempDir();
        SilhouetteOracle.WriteF64(dir.File("x.f64"), x.Data);
        SilhouetteOracle.WriteI64(dir.File("c.i64"), c);
        var output = Python.Check("""
            import sys, numpy as np
            from sklearn.metrics import silhouette_samples
            x = np.fromfile(sys.argv[1], dtype="<f8").reshape(-1, int(sys.argv[3]))
            c = np.fromfile(sys.argv[2], dtype="<i8")
            print(" ".join(repr(float(v)) for v in silhouette_samples(x, c, metric=sys.argv[4])))
            """, dir.File("x.f64"), dir.File("c.i64"), x.Cols.ToString(), metricName);
        var expected = SilhouetteOracle.ParseDoubles(output);
        var metric = metricName == "cosine" ? SilhouetteMetric.Cosine : SilhouetteMetric.Euclidean;
        var actual = SilhouetteSamples.Compute(x, c, metric);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }

    [Fact]
    public void SilhouetteLabelRescalesTheMean()
    {
        var (x, c) = SilhouetteOracle.Blobs(300, 5, 3, 8);
        var labels = Categorical.FromStrings("l", c.Select(v => "t" + v).ToList());
        var s = SilhouetteOracle.Samples(x.Data, x.Rows, x.Cols, labels.Codes, SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest);
        Assert.Equal((s.Average() + 1) / 2, SilhouetteLabel.Score(x, labels), 12);
    }

    static (Embedding X, Categorical Labels, Categorical Batches) Twins(int labelsCount, int perBatch, int batches, ulong seed)
    {
        // Every batch holds the same points of each label: perfectly mixed batches.
        var rng = new SeededRng(seed);
        int d = 6, n = labelsCount * perBatch * batches;
        var x = new float[n * d];
        var lab = new List<string?>();
        var bat = new List<string?>();
        int row = 0;
        for (int l = 0; l < labelsCount; l++)
        {
            var pts = Enumerable.Range(0, perBatch * d).Select(_ => (float)(rng.NextNormal() + 3 * l + 1)).ToArray();
            for (int b = 0; b < batches; b++)
                for (int p = 0; p < perBatch; p++, row++)
                {
                    Array.Copy(pts, p * d, x, row * d, d);
                    lab.Add("L" + l); bat.Add("B" + b);
                }
        }
        return (new Embedding(n, d, x), Categorical.FromStrings("cell_type", lab), Categorical.FromStrings("batch", bat));
    }

    [Fact]
    public void BatchSilhouettesOfPerfectlyMixedBatchesAreOneMinusOneOverM()
    {
        // Two batches with identical points, m per batch: own-batch mean distance S/(m-1), other
        // batch (twin at distance 0 included) S/m, so s = -1/m and 1 - |s| = 1 - 1/m for every cell.
        const int m = 40;
        var (x, labels, batches) = Twins(3, m, 2, 4);
        Assert.Equal(1 - 1.0 / m, BatchSilhouette.Bras(x, labels, batches), 12);
        Assert.Equal(1 - 1.0 / m, BatchSilhouette.SilhouetteBatch(x, labels, batches), 12);
    }

    [Fact]
    public void BrasOfSeparatedBatchesIsNearZero()
    {
        // Batch 0 along +e0, batch 1 along +e1 (orthogonal): cosine a ~ 0, b ~ 1, so 1 - |s| ~ 0.
        var rng = new SeededRng(3);
        int n = 200, d = 4;
        var x = new float[n * d];
        var lab = new List<string?>(); var bat = new List<string?>();
        for (int i = 0; i < n; i++)
        {
            int b = i % 2;
            for (int t = 0; t < d; t++) x[i * d + t] = (float)(0.001 * rng.NextNormal());
            x[i * d + b] += 5f;
            lab.Add(i < n / 2 ? "A" : "B"); bat.Add("b" + b);
        }
        var score = BatchSilhouette.Bras(new Embedding(n, d, x), Categorical.FromStrings("l", lab), Categorical.FromStrings("b", bat));
        Assert.InRange(score, 0, 1e-3);
    }

    [Fact]
    public void BatchSilhouetteSkipsLabelsWithOneBatchOrOneCellPerBatch()
    {
        var x = new Embedding(7, 1, [0, 1, 5, 6, 9, 10, 11]);
        // A: two batches, scored. B: one batch, skipped. C: three cells in three batches, skipped.
        var labels = Categorical.FromStrings("l", ["A", "A", "A", "A", "B", "C", "C"]);
        var batches = Categorical.FromStrings("b", ["x", "y", "x", "y", "x", "x", "y"]);
        var r = BatchSilhouette.Compute(x, labels, batches, SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest);
        Assert.Equal(["A"], r.PerLabel.Keys);
        // Label A holds values 0(x) 1(y) 5(x) 6(y). Value 0: a = 5, b = (1 + 6)/2 = 3.5, s = -1.5/5.
        // Value 1: a = 5, b = (1 + 4)/2 = 2.5, s = -0.5. Value 5: a = 5, b = (4 + 1)/2 = 2.5. Value 6: a = 5, b = 3.5.
        double expected = (2 * (1 - 1.5 / 5) + 2 * (1 - 0.5)) / 4;
        Assert.Equal(expected, r.Score, 14);
        var none = Categorical.FromStrings("l", ["B", "B", "B", "B", "B", "B", "B"]);
        Assert.True(double.IsNaN(BatchSilhouette.SilhouetteBatch(x, none, Categorical.FromStrings("b", Enumerable.Repeat("x", 7).ToList()))));
    }

    [Fact]
    public void IsolatedLabelsUseTheFewestBatchLabelsAndTheAllLabelSilhouette()
    {
        var (x, c) = SilhouetteOracle.Blobs(240, 5, 3, 9);
        var labels = Categorical.FromStrings("l", c.Select(v => "t" + v).ToList());
        // t0 only in batch b0; t1 and t2 in both batches.
        var batches = Categorical.FromStrings("b", Enumerable.Range(0, 240).Select(i => c[i] == 0 ? "b0" : "b" + (i % 2)).ToList());
        var s = SilhouetteLabel.Samples(x, labels);
        double t0 = Enumerable.Range(0, 240).Where(i => labels.Codes[i] == 0).Average(i => (s[i] + 1) / 2);
        Assert.Equal([0], IsolatedLabels.Isolated(labels, batches));
        Assert.Equal(t0, IsolatedLabels.Score(x, labels, batches), 14);
        // With threshold 2 every label is isolated: unweighted mean of the per-label means.
        double all = Enumerable.Range(0, 3).Average(l => Enumerable.Range(0, 240).Where(i => labels.Codes[i] == l).Average(i => (s[i] + 1) / 2));
        Assert.Equal(all, IsolatedLabels.Score(x, labels, batches, isoThreshold: 2), 14);
    }

    [Fact]
    public void IsolatedLabelsWhenEveryLabelIsInEveryBatchAveragesAllLabels()
    {
        // Quirk Q8: threshold = B, every label is isolated; scib-metrics gives the label-balanced
        // silhouette where theislab/scib would return NaN.
        var (x, c) = SilhouetteOracle.Blobs(300, 4, 3, 21);
        var labels = Categorical.FromStrings("l", c.Select(v => "t" + v).ToList());
        var batches = Categorical.FromStrings("b", Enumerable.Range(0, 300).Select(i => "b" + (i % 3)).ToList());
        Assert.Equal([0, 1, 2], IsolatedLabels.Isolated(labels, batches));
        var s = SilhouetteLabel.Samples(x, labels);
        double balanced = Enumerable.Range(0, 3).Average(l => Enumerable.Range(0, 300).Where(i => labels.Codes[i] == l).Average(i => (s[i] + 1) / 2));
        double score = IsolatedLabels.Score(x, labels, batches);
        Assert.False(double.IsNaN(score));
        Assert.Equal(balanced, score, 14);
    }

    [SkippableTheory]
    [MemberData(nameof(SharedDatasets.Embeddings), MemberType = typeof(SharedDatasets))]
    public void MatchesReferenceMetrics(string dataset, string key)
    {
        var ds = SharedDatasets.Load(dataset);
        var x = ds.Obsm[key];
        var samples = SilhouetteLabel.Samples(x, ds.Labels);
        Assert.Equal(SharedDatasets.Reference(dataset, key, "silhouette_label"), SilhouetteLabel.FromSamples(samples), 1e-9);
        Assert.Equal(SharedDatasets.Reference(dataset, key, "isolated_labels"), IsolatedLabels.Score(samples, ds.Labels, ds.Batches), 1e-9);
        Assert.Equal(SharedDatasets.Reference(dataset, key, "bras"), BatchSilhouette.Bras(x, ds.Labels, ds.Batches), 1e-9);
        Assert.Equal(SharedDatasets.Reference(dataset, key, "silhouette_batch"), BatchSilhouette.SilhouetteBatch(x, ds.Labels, ds.Batches), 1e-9);
    }
}
