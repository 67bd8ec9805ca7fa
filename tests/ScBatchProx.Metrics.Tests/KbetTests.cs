using System.Diagnostics;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Kbet;
using ScBatchProx.Metrics.Neighbors;
using Xunit;
using Xunit.Abstractions;

namespace ScBatchProx.Metrics.Tests;

public class KbetTests(ITestOutputHelper output)
{
    static Categorical Cat(string name, IEnumerable<string> v) => Categorical.FromStrings(name, v.ToList());

    /// <summary>Two labels far apart, each a blob of cells; batches assigned at random (mixed) or by a shift (separated).</summary>
    static (double[] X, Categorical Batches, Categorical Labels) Blobs(int perLabel, bool separated, int seed)
    {
        int d = 5, n = 2 * perLabel;
        var rng = new Random(seed);
        var x = new double[n * d];
        var batches = new string[n];
        var labels = new string[n];
        for (int i = 0; i < n; i++)
        {
            int l = i / perLabel, b = rng.Next(2);
            labels[i] = "L" + l;
            batches[i] = "B" + b;
            for (int t = 0; t < d; t++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                x[i * d + t] = (float)(g + 100 * l + (separated && t == 0 ? 30 * b : 0));
            }
        }
        return (x, Cat("batch", batches), Cat("label", labels));
    }

    [Fact]
    public void MixedBatchesAcceptAndSeparatedBatchesReject()
    {
        var (xm, bm, lm) = Blobs(400, separated: false, seed: 1);
        var mixed = KbetPerLabel.Compute(ExactNeighbors.Search(xm, 800, 5, 90), bm, lm);
        var (xs, bs, ls) = Blobs(400, separated: true, seed: 1);
        var sep = KbetPerLabel.Compute(ExactNeighbors.Search(xs, 800, 5, 90), bs, ls);
        output.WriteLine($"mixed {mixed.Score}, separated {sep.Score}");
        Assert.True(mixed.Score > 0.8, $"mixed {mixed.Score}");
        // separated batches are disconnected inside each label: two components of ~200 >= 3 k0, kBET on both rejects
        Assert.True(sep.Score < 0.05, $"separated {sep.Score}");
        Assert.All(mixed.Labels, r => Assert.Equal(KbetBranch.OneComponent, r.Branch));
    }

    /// <summary>
    /// Skips (NaN, Q7), the carried diffusion_n_comps (Q1) and the Q4 padding: label "a" has
    /// exactly 10 cells in 2 batches (k0 = 10, 11 neighbours among 10 cells), so every later label
    /// runs with at most 9 components; label "b" is a single batch and "c" has 9 cells.
    /// </summary>
    [Fact]
    public void SkipsCarriedComponentsAndPadding()
    {
        var rng = new Random(5);
        var sizes = new (string Label, int N, int Batches)[] { ("a", 10, 2), ("b", 60, 1), ("c", 9, 2), ("d", 200, 2) };
        int n = sizes.Sum(s => s.N), d = 3;
        var x = new double[n * d];
        var labels = new List<string>(); var batches = new List<string>();
        int row = 0;
        foreach (var (lab, cnt, nb) in sizes)
            for (int t = 0; t < cnt; t++, row++)
            {
                labels.Add(lab); batches.Add("B" + (t % nb));
                for (int u = 0; u < d; u++) x[row * d + u] = (float)(rng.NextDouble() + 50 * (lab[0] - 'a'));
            }
        var res = KbetPerLabel.Compute(ExactNeighbors.Search(x, n, d, 90), Cat("b", batches), Cat("l", labels));
        var a = res.Labels.Single(r => r.Label == "a");
        Assert.Equal((KbetBranch.OneComponent, 10, 9), (a.Branch, a.K0, a.DiffusionNComps));
        Assert.Equal(KbetBranch.SingleBatch, res.Labels.Single(r => r.Label == "b").Branch);
        Assert.Equal(KbetBranch.TooSmall, res.Labels.Single(r => r.Label == "c").Branch);
        var dl = res.Labels.Single(r => r.Label == "d");
        Assert.Equal(9, dl.DiffusionNComps); // carried from label a (Q1)
        Assert.Equal(new[] { a.Score, dl.Score }.Average(), res.Score, 15);
        // Q4: the 11th neighbour is the last cell (index 9) for every cell of "a"
        var sub = UmapConnectivities.Compute(ExactNeighbors.Search(x, n, d, 90), 50).Submatrix(Enumerable.Range(0, 10).ToArray());
        var nn = DiffusionNeighbors.Search(sub, 10, 9);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(i, nn[i * 11]);
            Assert.Equal(9, nn[i * 11 + 10]);
            Assert.Equal(10, nn.Skip(i * 11).Take(10).Distinct().Count());
        }
    }

    [Fact]
    public void AcceptanceFollowsTheChiSquareTest()
    {
        // 4 cells, 2 batches (f = 1/2), k' = 4: cell 0 sees 2/2 (stat 0, p = 1), cell 1 sees 4/0 and cell 3
        // 0/4 (stat 4, p = 0.0455 < 0.05), cell 2 sees 1/3 (stat 1, p = 0.317).
        int[] batches = [0, 0, 1, 1];
        int[] nn = [0, 1, 2, 3, /**/ 1, 0, 0, 1, /**/ 2, 3, 0, 2, /**/ 3, 2, 3, 2];
        Assert.Equal(0.5, KbetPerLabel.Acceptance(nn, 4, batches, 0.05));
        Assert.Equal(0.25, KbetPerLabel.Acceptance(nn, 4, batches, 0.32));
    }

    public static IEnumerable<object[]> Embeddings() => SharedDatasets.Embeddings();

    /// <summary>kbet_per_label on every shared embedding against reference_metrics.json, 1e-2 absolute (METRICS.md section 6).</summary>
    [SkippableTheory]
    [MemberData(nameof(Embeddings))]
    public void MatchesReferenceMetrics(string dataset, string key)
    {
        var ds = SharedDatasets.Load(dataset);
        var g = SharedDatasets.Graph(dataset, key);
        var sw = Stopwatch.StartNew();
        var res = KbetPerLabel.Compute(g, ds.Batches, ds.Labels);
        sw.Stop();
        double r = SharedDatasets.Reference(dataset, key, "kbet_per_label");
        output.WriteLine($"{dataset}/{key}: kbet {res.Score:R} ref {r:R} diff {res.Score - r:E2} ({sw.Elapsed.TotalSeconds:F2} s)");
        foreach (var row in res.Labels) output.WriteLine($"  {row}");
        if (dataset == "pbmc_symphony")
        {
            // Q1 in practice (METRICS.md section 9): DC (28 cells) caps every later label at 27 components
            Assert.Equal(27, res.Labels.Single(x => x.Label == "DC").DiffusionNComps);
            Assert.All(res.Labels.Where(x => string.CompareOrdinal(x.Label, "DC") > 0), x => Assert.True(x.DiffusionNComps <= 27));
        }
        Assert.True(Math.Abs(res.Score - r) <= 1e-2, $"{res.Score} vs {r}");
    }
}
