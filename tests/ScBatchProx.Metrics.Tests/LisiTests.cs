using System.Globalization;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace ScBatchProx.Metrics.Tests;

public class LisiTests(ITestOutputHelper output)
{
    static Categorical Cat(string name, IEnumerable<string> values) => Categorical.FromStrings(name, values.ToList());

    /// <summary>
    /// Per-cell LISI equals harmonypy.compute_lisi (Debian's version: 90 kd-tree neighbours, self
    /// dropped, perplexity 30) to 1e-10 on continuous simulated data, for a 3-category and a
    /// 7-category variable.
    /// </summary>
    [SkippableFact]
    public void MatchesHarmonypyComputeLisi()
    {
        Python.RequireModules("harmonypy", "numpy", "pandas");
        int n = 700, d = 8;
        var x = NeighborsExactTests.Simulate(n, d, 21, clusters: 4, ties: false);
        var rng = new Random(2);
        var batch = Enumerable.Range(0, n).Select(i => "b" + rng.Next(3)).ToArray();
        var label = Enumerable.Range(0, n).Select(i => "l" + (i % 7)).ToArray();
        var g = ExactNeighbors.Search(x, n, d, 90);
        var lb = Lisi.PerCell(g, Cat("batch", batch).Codes);
        var ll = Lisi.PerCell(g, Cat("label", label).Codes);
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("x.bin"), x.SelectMany(BitConverter.GetBytes).ToArray());
        File.WriteAllLines(tmp.File("meta.tsv"), new[] { "batch\tlabel" }.Concat(batch.Zip(label, (b, l) => b + "\t" + l)));
        var outText = Python.Check($"""
            import numpy as np, pandas as pd, sys, harmonypy
            X = np.fromfile(sys.argv[1]).reshape({n}, {d})
            meta = pd.read_csv(sys.argv[2], sep="\t")
            res = harmonypy.compute_lisi(X, meta, ["batch", "label"], perplexity=30)
            for row in res: print(repr(float(row[0])), repr(float(row[1])))
            """, tmp.File("x.bin"), tmp.File("meta.tsv"));
        var rows = outText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            var p = rows[i].Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            worst = Math.Max(worst, Math.Max(Math.Abs(p[0] - lb[i]), Math.Abs(p[1] - ll[i])));
        }
        output.WriteLine($"max |LISI - harmonypy| = {worst:E2}");
        Assert.True(worst < 1e-10, $"max deviation {worst}");
    }

    /// <summary>
    /// Closed forms on a hand-built 91-NN graph (90 non-self neighbours, perplexity floor(91/3) = 30):
    /// neighbours come in pairs at equal distance 1 + 0.05 m. If both cells of every pair share the
    /// cell's batch, LISI = 1 (iLISI 0, cLISI 1); if each pair has one cell of each batch, the kernel
    /// mass splits exactly in half, LISI = 2 (iLISI 1, cLISI 0). Equal distances for all neighbours
    /// drive beta to 2^50, the kernel underflows and scib-metrics' H == 0 branch gives LISI = -1.
    /// </summary>
    [Fact]
    public void ClosedFormsMixedAndSeparated()
    {
        int n = 182, k = 91;
        NeighborGraph Build(Func<int, int, int> neighbour, Func<int, double> distance)
        {
            var idx = new int[n * k];
            var dist = new double[n * k];
            for (int i = 0; i < n; i++)
            {
                idx[i * k] = i;
                for (int j = 1; j < k; j++) { idx[i * k + j] = neighbour(i, j); dist[i * k + j] = distance(j); }
            }
            return new NeighborGraph(n, k, idx, dist);
        }
        var batch = Cat("batch", Enumerable.Range(0, n).Select(i => (i % 2).ToString()));
        double Paired(int j) => 1 + 0.05 * ((j + 1) / 2);
        // same parity as i: i + 2j (j = 1..90 gives 90 distinct cells, none equal to i since 2*91 = n)
        var separated = Build((i, j) => (i + 2 * j) % n, Paired);
        Assert.All(Lisi.PerCell(separated, batch.Codes), v => Assert.Equal(1.0, v, 14));
        Assert.Equal(0.0, Lisi.IlisiKnn(separated, batch), 14);
        Assert.Equal(1.0, Lisi.ClisiKnn(separated, batch), 14);
        // pair m = (j = 2m-1, 2m) -> cells i + 2m - 1 (other parity) and i + 2m (same parity)
        var mixed = Build((i, j) => (i + j) % n, Paired);
        Assert.All(Lisi.PerCell(mixed, batch.Codes), v => Assert.Equal(2.0, v, 14));
        Assert.Equal(1.0, Lisi.IlisiKnn(mixed, batch), 14);
        Assert.Equal(0.0, Lisi.ClisiKnn(mixed, batch), 14);
        var flat = Build((i, j) => (i + j) % n, _ => 1.5);
        Assert.All(Lisi.PerCell(flat, batch.Codes), v => Assert.Equal(-1.0, v));
    }

    [Fact]
    public void NanMedianFollowsNumpy()
    {
        Assert.Equal(2.5, Lisi.NanMedian([4, 1, double.NaN, 2, 3]));
        Assert.Equal(2.0, Lisi.NanMedian([3, 1, 2]));
        Assert.True(double.IsNaN(Lisi.NanMedian([double.NaN])));
    }

    [Fact]
    public void ThreadCountDoesNotChangeValues()
    {
        int n = 900, d = 6;
        var x = NeighborsExactTests.Simulate(n, d, 4);
        var g = ExactNeighbors.Search(x, n, d, 90);
        var codes = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        Assert.Equal(Lisi.PerCell(g, codes, threads: 1), Lisi.PerCell(g, codes, threads: 2));
    }

    public static IEnumerable<object[]> Embeddings() => SharedDatasets.Embeddings();

    /// <summary>cLISI and iLISI on every shared embedding against reference_metrics.json: 1e-9 absolute (float64 distances).</summary>
    [SkippableTheory]
    [MemberData(nameof(Embeddings))]
    public void MatchesReferenceMetrics(string dataset, string key)
    {
        var ds = SharedDatasets.Load(dataset);
        var g = SharedDatasets.Graph(dataset, key);
        double clisi = Lisi.ClisiKnn(g, ds.Labels), ilisi = Lisi.IlisiKnn(g, ds.Batches);
        double rc = SharedDatasets.Reference(dataset, key, "clisi_knn"), ri = SharedDatasets.Reference(dataset, key, "ilisi_knn");
        output.WriteLine($"{dataset}/{key} ({ds.Source}): clisi {clisi:R} ref {rc:R} diff {clisi - rc:E2}; ilisi {ilisi:R} ref {ri:R} diff {ilisi - ri:E2}");
        Assert.True(Math.Abs(clisi - rc) <= 1e-9, $"clisi {clisi} vs {rc}");
        Assert.True(Math.Abs(ilisi - ri) <= 1e-9, $"ilisi {ilisi} vs {ri}");
    }
}
