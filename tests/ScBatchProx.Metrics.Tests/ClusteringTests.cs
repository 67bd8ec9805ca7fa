using System.Text;
using System.Text.Json;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Clustering;
using ScBatchProx.TestSupport;
using Xunit;

namespace ScBatchProx.Metrics.Tests;

public class ClusteringTests
{
    /// <summary>METRICS.md 4.4 Lloyd loop as a plain scalar transcription (same FMA distance chain).</summary>
    static (int[] Labels, double[] Centroids, int Iterations, double Inertia) BruteLloyd(Embedding x, double[] init, int maxIter = 300, double tol = 1e-4)
    {
        int n = x.Rows, d = x.Cols, k = init.Length / d;
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int t = 0; t < d; t++) mean[t] += x[i, t];
        for (int t = 0; t < d; t++) mean[t] /= n;
        var z = new double[n * d];
        for (int i = 0; i < n; i++) for (int t = 0; t < d; t++) z[i * d + t] = x[i, t] - mean[t];
        double varSum = 0;
        for (int t = 0; t < d; t++) { double ss = 0; for (int i = 0; i < n; i++) ss += z[i * d + t] * z[i * d + t]; varSum += ss / n; }
        double tolAbs = varSum / d * tol;
        var c = new double[k * d];
        for (int j = 0; j < k * d; j++) c[j] = init[j] - mean[j % d];
        var labels = new int[n];
        var best = new double[n];
        void Assign()
        {
            for (int i = 0; i < n; i++)
            {
                best[i] = double.PositiveInfinity;
                for (int j = 0; j < k; j++)
                {
                    double acc = 0;
                    for (int t = 0; t < d; t++) { double e = c[j * d + t] - z[i * d + t]; acc = Math.FusedMultiplyAdd(e, e, acc); }
                    if (acc < best[i]) { best[i] = acc; labels[i] = j; }
                }
            }
        }
        double inertia = double.PositiveInfinity, prev = double.PositiveInfinity;
        int iter = 0;
        while (Math.Abs(prev - inertia) > tolAbs || iter < maxIter)
        {
            prev = inertia;
            Assign();
            inertia = 0;
            for (int i = 0; i < n; i++) inertia += best[i];
            var sums = new double[k * d];
            var counts = new int[k];
            for (int i = 0; i < n; i++) { counts[labels[i]]++; for (int t = 0; t < d; t++) sums[labels[i] * d + t] += z[i * d + t]; }
            for (int j = 0; j < k; j++) for (int t = 0; t < d; t++) c[j * d + t] = sums[j * d + t] / Math.Max(counts[j], 1);
            iter++;
        }
        Assign();
        for (int j = 0; j < k * d; j++) c[j] += mean[j % d];
        return (labels, c, iter, inertia);
    }

    static double[] InitFromRows(Embedding x, params int[] rows) => rows.SelectMany(r => x.RowReadOnly(r).ToArray().Select(v => (double)v)).ToArray();

    [Fact]
    public void LloydMatchesScalarTranscriptionExactly()
    {
        var (x, _) = SilhouetteOracle.Blobs(3000, 11, 6, 31, spread: 1.6);
        var init = InitFromRows(x, 0, 1, 2, 3, 4, 5, 6);
        var expected = BruteLloyd(x, init);
        foreach (var threads in new[] { 1, 2 })
        {
            var actual = KMeans.Lloyd(x, init, threads: threads);
            Assert.Equal(expected.Labels, actual.Labels);
            Assert.Equal(expected.Centroids, actual.Centroids);
            Assert.Equal(expected.Iterations, actual.Iterations);
            Assert.Equal(expected.Inertia, actual.Inertia);
        }
        Assert.True(expected.Iterations >= 300, "quirk Q2: at least max_iter iterations");
    }

    [Fact]
    public void EmptyClusterCollapsesToTheDataMean()
    {
        // Two tight groups at -10 and +10 and a third centroid far away: its cluster is empty, so it
        // becomes the zero vector of the centred data, i.e. the data mean, and stays empty there.
        var rng = new SeededRng(1);
        var v = Enumerable.Range(0, 40).Select(i => (float)((i < 20 ? -10 : 10) + 0.1 * rng.NextNormal())).ToArray();
        var x = new Embedding(40, 1, v);
        var r = KMeans.Lloyd(x, [-10, 10, 1000]);
        double mean = v.Sum(f => (double)f) / 40;
        Assert.DoesNotContain(2, r.Labels);
        Assert.Equal(mean, r.Centroids[2], 12);
        Assert.Equal(BruteLloyd(x, [-10, 10, 1000]).Centroids, r.Centroids);
    }

    [SkippableFact]
    public void LloydLabelsMatchSklearn()
    {
        Python.RequireModules("sklearn", "numpy");
        var (x, _) = SilhouetteOracle.Blobs(2000, 8, 5, 77, spread: 0.8);
        var init = InitFromRows(x, 10, 20, 30, 40, 50);
        using var dir = new TempDir();
        SilhouetteOracle.WriteF64(dir.File("x.f64"), x.Data);
        using (var w = new BinaryWriter(File.Create(dir.File("c.f64")))) foreach (var v in init) w.Write(v);
        var output = Python.Check("""
            import sys, numpy as np
            from sklearn.cluster import KMeans
            d = int(sys.argv[3])
            x = np.fromfile(sys.argv[1], dtype="<f8").reshape(-1, d)
            c = np.fromfile(sys.argv[2], dtype="<f8").reshape(-1, d)
            km = KMeans(n_clusters=c.shape[0], init=c, n_init=1, algorithm="lloyd", max_iter=1000, tol=0.0).fit(x)
            print(" ".join(str(int(v)) for v in km.labels_))
            """, dir.File("x.f64"), dir.File("c.f64"), x.Cols.ToString());
        var expected = output.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(expected, KMeans.Lloyd(x, init).Labels);
    }

    [Fact]
    public void FitIsSeededAndThreadIndependentAndFindsSeparatedBlobs()
    {
        var (x, truth) = SilhouetteOracle.Blobs(1500, 10, 4, 5, spread: 0.15);
        var a = KMeans.Fit(x, 4, seed: 3, threads: 1);
        var b = KMeans.Fit(x, 4, seed: 3, threads: 2);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Centroids, b.Centroids);
        Assert.Equal(1.0, ClusterAgreement.Ari(truth, a.Labels), 12);
    }

    [Fact]
    public void PlusPlusPicksDistinctPointsEvenWithDuplicates()
    {
        // 3 distinct points, k = 3: after two picks only one point has positive weight, so the
        // remaining candidates must come from the zero-weight points without failing.
        var x = new Embedding(6, 1, [0, 0, 5, 5, 9, 9]);
        var r = KMeans.Fit(x, 3, seed: 0);
        Assert.Equal(3, r.Labels.Distinct().Count());
    }

    [SkippableFact]
    public void NumpyRandomReproducesDefaultRng()
    {
        Python.RequireModules("numpy");
        var output = Python.Check("""
            import numpy as np
            for seed in [0, 1, 42, 2**40 + 7]:
                r = np.random.default_rng(seed)
                vals = [r.integers(1021), r.integers(9478)] + list(r.random(3))
                w = np.arange(1, 201, dtype=np.float64) ** 2
                vals += list(r.choice(200, 5, replace=False, p=w / w.sum()))
                vals += [r.integers(2**31 - 1)]
                print(" ".join(repr(float(v)) for v in vals))
            """);
        var expected = SilhouetteOracle.ParseDoubles(output);
        var weights = Enumerable.Range(1, 200).Select(i => (double)i * i).ToArray();
        var actual = new List<double>();
        foreach (var seed in new ulong[] { 0, 1, 42, (1UL << 40) + 7 })
        {
            var r = new NumpyRandom(seed);
            actual.Add(r.Integers(1021));
            actual.Add(r.Integers(9478));
            for (int i = 0; i < 3; i++) actual.Add(r.NextDouble());
            actual.AddRange(r.ChoiceWithoutReplacement(weights, 5).Select(v => (double)v));
            actual.Add(r.Integers(int.MaxValue));
        }
        Assert.Equal(expected, actual.ToArray());
    }

    static IEnumerable<(string Name, int[] A, int[] B)> Labelings()
    {
        var rng = new SeededRng(99);
        int[] Random(int n, int k) => Enumerable.Range(0, n).Select(_ => rng.NextInt(k)).ToArray();
        var r1000 = Random(1000, 5);
        yield return ("random 5 vs 7", r1000, Random(1000, 7));
        yield return ("identical", r1000, r1000);
        yield return ("relabelled", r1000, r1000.Select(v => 10 - 2 * v).ToArray());
        yield return ("one cluster each", new int[50], new int[50]);
        yield return ("one vs random", new int[200], Random(200, 3));
        yield return ("random vs one", Random(200, 3), new int[200]);
        yield return ("singletons vs random", Enumerable.Range(0, 300).ToArray(), Random(300, 4));
        yield return ("singletons vs singletons", Enumerable.Range(0, 30).ToArray(), Enumerable.Range(0, 30).ToArray());
        yield return ("single cell", [3], [8]);
        yield return ("two cells split", [0, 1], [0, 0]);
        yield return ("negative ids", [-1, -1, 2, 2, 5], [7, 7, 7, 1, 1]);
        var noisy = r1000.Select(v => rng.NextDouble() < 0.2 ? rng.NextInt(5) : v).ToArray();
        yield return ("noisy copy", r1000, noisy);
        yield return ("large n (Int128 pair counts)", Random(120_000, 20), Random(120_000, 20));
    }

    [SkippableFact]
    public void NmiAndAriMatchSklearn()
    {
        Python.RequireModules("sklearn", "numpy");
        var cases = Labelings().ToList();
        var input = new StringBuilder();
        foreach (var (_, a, b) in cases) input.Append(string.Join(',', a)).Append(';').Append(string.Join(',', b)).Append('\n');
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cases.txt"), input.ToString());
        var output = Python.Check("""
            import sys
            from sklearn.metrics import normalized_mutual_info_score as nmi, adjusted_rand_score as ari
            for line in open(sys.argv[1]):
                a, b = line.strip().split(";")
                a = [int(v) for v in a.split(",")]; b = [int(v) for v in b.split(",")]
                print(repr(float(nmi(a, b, average_method="arithmetic"))), repr(float(ari(a, b))))
            """, dir.File("cases.txt"));
        var values = SilhouetteOracle.ParseDoubles(output);
        Assert.Equal(2 * cases.Count, values.Length);
        for (int i = 0; i < cases.Count; i++)
        {
            var (name, a, b) = cases[i];
            double nmi = ClusterAgreement.Nmi(a, b), ari = ClusterAgreement.Ari(a, b);
            Assert.True(Math.Abs(values[2 * i] - nmi) <= 1e-12, $"{name}: NMI {nmi} vs sklearn {values[2 * i]}");
            Assert.True(Math.Abs(values[2 * i + 1] - ari) <= 1e-12, $"{name}: ARI {ari} vs sklearn {values[2 * i + 1]}");
        }
    }

    [Fact]
    public void DegenerateConventions()
    {
        Assert.Equal(1.0, ClusterAgreement.Nmi(new int[10], new int[10]));
        Assert.Equal(1.0, ClusterAgreement.Ari(new int[10], new int[10]));
        Assert.Equal(1.0, ClusterAgreement.Ari([0, 0, 1], [5, 5, 2]));
        Assert.Equal(0.0, ClusterAgreement.Nmi(new int[4], [0, 1, 2, 3]));
    }

    internal static (double[] Nmi, double[] Ari) Spread(string dataset, string key)
    {
        var path = SharedData.Require("reference_metrics.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var s = doc.RootElement.GetProperty("datasets").GetProperty(dataset).GetProperty("embeddings").GetProperty(key).GetProperty("kmeans_spread");
        return (s.GetProperty("kmeans_nmi_all_seeds").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
                s.GetProperty("kmeans_ari_all_seeds").EnumerateArray().Select(v => v.GetDouble()).ToArray());
    }

    [SkippableTheory]
    [MemberData(nameof(SharedDatasets.Embeddings), MemberType = typeof(SharedDatasets))]
    public void KmeansNmiAriWithinReferenceSeedSpread(string dataset, string key)
    {
        var ds = SharedDatasets.Load(dataset);
        var (nmiSpread, ariSpread) = Spread(dataset, key);
        // Every seed of the spread: with numpy's stream, seed s is the oracle's seed s.
        for (int seed = 0; seed < nmiSpread.Length; seed++)
        {
            var (nmi, ari) = KmeansNmiAri.Score(ds.Obsm[key], ds.Labels, seed: (ulong)seed);
            Assert.InRange(nmi, nmiSpread.Min() - 0.02, nmiSpread.Max() + 0.02);
            Assert.InRange(ari, ariSpread.Min() - 0.02, ariSpread.Max() + 0.02);
            Assert.True(Math.Abs(nmi - nmiSpread[seed]) <= 1e-9 && Math.Abs(ari - ariSpread[seed]) <= 1e-9,
                $"seed {seed}: NMI {nmi} / ARI {ari} vs oracle {nmiSpread[seed]} / {ariSpread[seed]}");
        }
    }
}
