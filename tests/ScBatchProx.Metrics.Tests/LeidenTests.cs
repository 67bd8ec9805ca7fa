using System.Globalization;
using System.Text;
using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Clustering;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace ScBatchProx.Metrics.Tests;

public class LeidenTests(ITestOutputHelper output)
{
    // ---------------------------------------------------------------- graph builders

    /// <summary>Symmetric CSR from an undirected edge list (i != j; duplicate pairs are summed).</summary>
    static SparseMatrix FromEdges(int n, IEnumerable<(int I, int J, double W)> edges)
    {
        var rows = new Dictionary<int, double>[n];
        for (int i = 0; i < n; i++) rows[i] = [];
        foreach (var (i, j, w) in edges)
        {
            rows[i][j] = rows[i].GetValueOrDefault(j) + w;
            rows[j][i] = rows[j].GetValueOrDefault(i) + w;
        }
        return SparseMatrix.FromRows(n, n, rows.Select(r => (IReadOnlyList<(int, double)>)r.Select(kv => (kv.Key, kv.Value)).ToList()).ToArray());
    }

    /// <summary>cliques of the given size in a ring, consecutive cliques joined by a single edge.</summary>
    static (SparseMatrix A, int[] Truth) RingOfCliques(int cliques, int size)
    {
        var edges = new List<(int, int, double)>();
        var truth = new int[cliques * size];
        for (int c = 0; c < cliques; c++)
        {
            for (int a = 0; a < size; a++)
            {
                truth[c * size + a] = c;
                for (int b = a + 1; b < size; b++) edges.Add((c * size + a, c * size + b, 1.0));
            }
            edges.Add((c * size, ((c + 1) % cliques) * size + size - 1, 1.0));
        }
        return (FromEdges(cliques * size, edges), truth);
    }

    /// <summary>Stochastic block model with weights uniform in (0.5, 1].</summary>
    static (SparseMatrix A, int[] Truth) Sbm(int[] sizes, double pIn, double pOut, ulong seed)
    {
        var rng = new NumpyRandom(seed);
        int n = sizes.Sum();
        var truth = new int[n];
        for (int b = 0, at = 0; b < sizes.Length; at += sizes[b], b++)
            for (int t = 0; t < sizes[b]; t++) truth[at + t] = b;
        var edges = new List<(int, int, double)>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double u = rng.NextDouble(), w = 0.5 + 0.5 * rng.NextDouble();
                if (u < (truth[i] == truth[j] ? pIn : pOut)) edges.Add((i, j, w));
            }
        return (FromEdges(n, edges), truth);
    }

    static SparseMatrix RandomGraph(int n, double p, ulong seed, bool loops = false)
    {
        var rng = new NumpyRandom(seed);
        var rows = new Dictionary<int, double>[n];
        for (int i = 0; i < n; i++) rows[i] = [];
        for (int i = 0; i < n; i++)
            for (int j = loops ? i : i + 1; j < n; j++)
            {
                double u = rng.NextDouble(), w = 0.1 + 0.9 * rng.NextDouble();
                if (u >= p) continue;
                rows[i][j] = w; rows[j][i] = w;
            }
        return SparseMatrix.FromRows(n, n, rows.Select(r => (IReadOnlyList<(int, double)>)r.Select(kv => (kv.Key, kv.Value)).ToList()).ToArray());
    }

    /// <summary>A = 2C of the 15-NN UMAP connectivities of a small simulated embedding (the graph Leiden NMI/ARI uses).</summary>
    static (SparseMatrix A, SparseMatrix C) SimulatedKnnGraph(int cells, ulong seed)
    {
        var sim = Simulator.Generate(new SimulationOptions { Cells = cells, Batches = 2, CellTypes = 5, Dims = 10, Seed = seed });
        var c = UmapConnectivities.Compute(ExactNeighbors.Search(sim.Embedding, 15, threads: 1), 15);
        return (LeidenNmiAri.DoubleEdges(c), c);
    }

    // ---------------------------------------------------------------- helpers

    static double LiteralModularity(SparseMatrix a, int[] c, double gamma)
    {
        int n = a.Rows;
        var k = new double[n];
        double twoM = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { k[i] += a[i, j]; twoM += a[i, j]; }
        double q = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (c[i] == c[j]) q += a[i, j] - gamma * k[i] * k[j] / twoM;
        return q / twoM;
    }

    /// <summary>Best modularity over every set partition (restricted growth strings), n &lt;= 8.</summary>
    static double BruteForceOptimum(SparseMatrix a, double gamma)
    {
        int n = a.Rows;
        var c = new int[n];
        double best = double.NegativeInfinity;
        void Rec(int i, int max)
        {
            if (i == n) { best = Math.Max(best, Leiden.Modularity(a, c, gamma)); return; }
            for (int v = 0; v <= max + 1; v++) { c[i] = v; Rec(i + 1, Math.Max(max, v)); }
        }
        c[0] = 0;
        Rec(1, 0);
        return best;
    }

    static int Count(int[] membership) => membership.Length == 0 ? 0 : membership.Max() + 1;

    /// <summary>Each community induces a connected subgraph (BFS restricted to the community).</summary>
    static void AssertCommunitiesConnected(SparseMatrix a, int[] m)
    {
        int n = a.Rows;
        var seen = new bool[n];
        var rootOf = new Dictionary<int, int>();
        for (int s = 0; s < n; s++)
        {
            if (seen[s]) continue;
            Assert.False(rootOf.ContainsKey(m[s]), $"community {m[s]} is disconnected (nodes {rootOf.GetValueOrDefault(m[s])} and {s}).");
            rootOf[m[s]] = s;
            var stack = new Stack<int>();
            stack.Push(s); seen[s] = true;
            while (stack.Count > 0)
            {
                int v = stack.Pop();
                foreach (var u in a.RowIndices(v).ToArray())
                    if (!seen[u] && m[u] == m[s]) { seen[u] = true; stack.Push(u); }
            }
        }
    }

    // ---------------------------------------------------------------- tests

    [Fact]
    public void ModularityMatchesLiteralFormula()
    {
        for (ulong seed = 1; seed <= 6; seed++)
        {
            var a = RandomGraph(12, 0.4, seed, loops: seed % 2 == 0);
            var rng = new NumpyRandom(seed + 100);
            foreach (var gamma in new[] { 0.3, 1.0, 1.7 })
            {
                var m = Enumerable.Range(0, a.Rows).Select(_ => rng.Integers(4)).ToArray();
                Assert.Equal(LiteralModularity(a, m, gamma), Leiden.Modularity(a, m, gamma), 1e-12);
            }
        }
        // Everything in one community at gamma = 1: Q = 0.
        var g = RandomGraph(10, 0.5, 9);
        Assert.Equal(0.0, Leiden.Modularity(g, new int[10], 1.0), 1e-14);
        // Scaling the weights (A = 2C) leaves modularity unchanged.
        var m2 = Enumerable.Range(0, 10).Select(i => i % 3).ToArray();
        Assert.Equal(Leiden.Modularity(g, m2, 1.2), Leiden.Modularity(LeidenNmiAri.DoubleEdges(g), m2, 1.2), 1e-14);
    }

    [Fact]
    public void RecoversRingOfCliquesExactly()
    {
        var (a, truth) = RingOfCliques(8, 6);
        for (ulong seed = 0; seed < 5; seed++)
        {
            var m = Leiden.Cluster(a, 1.0, seed);
            Assert.Equal(1.0, ClusterAgreement.Ari(m, truth));
            AssertCommunitiesConnected(a, m);
        }
    }

    [Fact]
    public void RecoversStochasticBlockModelExactly()
    {
        var (a, truth) = Sbm([40, 60, 50, 30], 0.3, 0.01, 11);
        foreach (var gamma in new[] { 0.6, 1.0, 1.4 })
            for (ulong seed = 0; seed < 3; seed++)
            {
                var m = Leiden.Cluster(a, gamma, seed);
                Assert.Equal(1.0, ClusterAgreement.Ari(m, truth));
            }
    }

    /// <summary>
    /// Leiden is a heuristic: with n_iterations = 2 it does not always reach the global optimum, and
    /// neither does igraph (on 540 random 5..8-node graphs like these, igraph's community_leiden
    /// missed the brute-force optimum in 29 runs, worst gap 0.053; best of 5 seeds or
    /// n_iterations = -1 still missed 4 of 180). On graph seed 1 below (6 nodes, gamma = 1) igraph
    /// misses the optimum for 20 of 20 seeds by exactly the gap seen here (0.0519): a local optimum of
    /// the algorithm, not of this port. So: never above the optimum, the optimum in most runs, and
    /// a bounded gap.
    /// </summary>
    [Fact]
    public void ReachesBruteForceOptimumOnTinyGraphs()
    {
        int optimal = 0, total = 0, cases = 0, casesOptimal = 0;
        double worstGap = 0, worstBestOfSeeds = 0;
        for (ulong seed = 1; seed <= 12; seed++)
        {
            int n = 5 + (int)(seed % 4); // 5..8 nodes
            var a = RandomGraph(n, 0.45, seed);
            if (a.NonZeros == 0) continue;
            foreach (var gamma in new[] { 0.5, 1.0, 1.5 })
            {
                double best = BruteForceOptimum(a, gamma), bestOfSeeds = double.NegativeInfinity;
                foreach (var s in new ulong[] { 42, 1, 2 })
                {
                    double q = Leiden.Modularity(a, Leiden.Cluster(a, gamma, s), gamma);
                    Assert.True(q <= best + 1e-12, $"graph {seed} gamma {gamma}: Q {q} above the optimum {best}");
                    total++;
                    if (q >= best - 1e-12) optimal++;
                    worstGap = Math.Max(worstGap, best - q);
                    bestOfSeeds = Math.Max(bestOfSeeds, q);
                }
                cases++;
                if (bestOfSeeds >= best - 1e-12) casesOptimal++;
                worstBestOfSeeds = Math.Max(worstBestOfSeeds, best - bestOfSeeds);
            }
        }
        output.WriteLine($"optimum reached in {optimal} of {total} runs (worst gap {worstGap:G3}); best of 3 seeds optimal in {casesOptimal} of {cases} (worst gap {worstBestOfSeeds:G3})");
        Assert.True(optimal >= 0.85 * total, $"{optimal} of {total}");
        Assert.True(casesOptimal >= 0.9 * cases, $"{casesOptimal} of {cases}");
        Assert.True(worstGap < 0.06, $"{worstGap} {worstBestOfSeeds}");
    }

    /// <summary>
    /// Guarantee of every Leiden iteration (Traag et al., table 1): communities are gamma-separated,
    /// i.e. merging any two communities does not increase the quality.
    /// </summary>
    [Fact]
    public void NoMergeOfTwoCommunitiesImprovesModularity()
    {
        var graphs = new List<SparseMatrix> { Sbm([30, 30, 30], 0.15, 0.03, 3).A, RandomGraph(80, 0.06, 5), SimulatedKnnGraph(300, 3).A };
        foreach (var a in graphs)
            foreach (var gamma in new[] { 0.4, 1.0, 2.0 })
            {
                var m = Leiden.Cluster(a, gamma, 42);
                double q = Leiden.Modularity(a, m, gamma);
                int k = Count(m);
                for (int c1 = 0; c1 < k; c1++)
                    for (int c2 = c1 + 1; c2 < k; c2++)
                    {
                        var merged = m.Select(x => x == c2 ? c1 : x).ToArray();
                        Assert.True(Leiden.Modularity(a, merged, gamma) <= q + 1e-12, $"merging {c1} and {c2} at gamma {gamma} improves Q");
                    }
            }
    }

    [Fact]
    public void CommunitiesAreConnected()
    {
        var graphs = new List<SparseMatrix>
        {
            Sbm([30, 30, 30], 0.15, 0.03, 3).A,
            RandomGraph(120, 0.04, 5),
            SimulatedKnnGraph(400, 3).A,
        };
        foreach (var a in graphs)
            foreach (var gamma in new[] { 0.2, 1.0, 2.0 })
                for (ulong seed = 0; seed < 3; seed++)
                    AssertCommunitiesConnected(a, Leiden.Cluster(a, gamma, seed));
    }

    [Fact]
    public void MoreCommunitiesAtHigherResolution()
    {
        var (a, _) = Sbm([25, 25, 25, 25, 25, 25, 25, 25], 0.25, 0.02, 21);
        var counts = LeidenNmiAri.Resolutions.Select(r => Count(Leiden.Cluster(a, r, 42))).ToArray();
        output.WriteLine("communities at 0.2..2.0: " + string.Join(" ", counts));
        for (int i = 1; i < counts.Length; i++) Assert.True(counts[i] >= counts[i - 1], string.Join(" ", counts));
        Assert.True(Count(Leiden.Cluster(a, 0.05, 42)) < Count(Leiden.Cluster(a, 5.0, 42)));
        Assert.True(counts[^1] > counts[0], string.Join(" ", counts));
    }

    [Fact]
    public void DeterministicAndValid()
    {
        var (a, _) = SimulatedKnnGraph(300, 8);
        var m1 = Leiden.Cluster(a, 1.0, 42);
        Assert.Equal(m1, Leiden.Cluster(a, 1.0, 42));
        Assert.Equal(Enumerable.Range(0, Count(m1)), m1.Distinct().Order()); // ids 0..C-1
        Assert.True(Leiden.Modularity(a, m1, 1.0) > 0.5);
        // More iterations never hurt much and stay connected.
        var m5 = Leiden.Cluster(a, 1.0, 42, iterations: 5);
        AssertCommunitiesConnected(a, m5);
        // Edge cases: empty graph, no edges.
        Assert.Empty(Leiden.Cluster(new SparseMatrix(0, 0, [0], [], []), 1.0, 0));
        var none = Leiden.Cluster(new SparseMatrix(3, 3, [0, 0, 0, 0], [], []), 1.0, 0);
        Assert.Equal([0, 1, 2], none);
        Assert.Throws<ArgumentException>(() => Leiden.Cluster(new SparseMatrix(2, 2, [0, 1, 1], [1], [1.0]), 1.0, 0));
    }

    // ---------------------------------------------------------------- igraph

    /// <summary>
    /// Runs python-igraph's community_leiden (modularity, n_iterations = 2, beta = 0.01) on the
    /// graph igraph builds from connectivities C (directed edges both ways, to_undirected "each");
    /// returns per resolution the memberships and igraph's modularity for the given seeds.
    /// </summary>
    static List<(double Resolution, ulong Seed, int[] Membership, double Q)> IgraphLeiden(SparseMatrix c, double[] resolutions, ulong[] seeds)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "edges.txt");
        var sb = new StringBuilder();
        sb.Append(c.Rows).Append('\n');
        for (int i = 0; i < c.Rows; i++)
        {
            var cols = c.RowIndices(i); var vals = c.RowValues(i);
            for (int p = 0; p < cols.Length; p++)
                sb.Append(i).Append(' ').Append(cols[p]).Append(' ').Append(vals[p].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        File.WriteAllText(path, sb.ToString());
        const string script = """
import sys, random, igraph
lines = open(sys.argv[1]).read().split("\n")
n = int(lines[0]); edges = []; w = []
for l in lines[1:]:
    if l:
        i, j, x = l.split(); edges.append((int(i), int(j))); w.append(float(x))
g = igraph.Graph(n=n, edges=edges, directed=True, edge_attrs={"weight": w})
g.to_undirected(mode="each", combine_edges=None)
for r in [float(x) for x in sys.argv[2].split(",")]:
    for s in [int(x) for x in sys.argv[3].split(",")]:
        random.seed(s)
        try:
            cl = g.community_leiden(objective_function="modularity", weights="weight", resolution=r)
        except TypeError:
            cl = g.community_leiden(objective_function="modularity", weights="weight", resolution_parameter=r)
        # Graph.modularity of python-igraph 0.10.2 ignores resolution: call the C binding.
        q = igraph.GraphBase.modularity(g, cl.membership, weights="weight", resolution=r, directed=False)
        print(r, s, repr(q), ",".join(map(str, cl.membership)))
""";
        var outText = Python.Check(script, path, string.Join(",", resolutions.Select(r => r.ToString("R", CultureInfo.InvariantCulture))), string.Join(",", seeds));
        var result = new List<(double, ulong, int[], double)>();
        foreach (var line in outText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            result.Add((double.Parse(f[0], CultureInfo.InvariantCulture), ulong.Parse(f[1], CultureInfo.InvariantCulture),
                f[3].Split(',').Select(int.Parse).ToArray(), double.Parse(f[2], CultureInfo.InvariantCulture)));
        }
        return result;
    }

    static void CompareWithIgraph(SparseMatrix c, ITestOutputHelper output, string name, int[]? labels = null)
    {
        var a = LeidenNmiAri.DoubleEdges(c);
        double[] resolutions = [0.2, 0.6, 1.0, 1.4, 2.0];
        ulong[] seeds = [42, 1, 2];
        var ig = IgraphLeiden(c, resolutions, seeds);
        Assert.Equal(resolutions.Length * seeds.Length, ig.Count);
        foreach (var r in resolutions)
        {
            var runs = ig.Where(x => x.Resolution == r).ToList();
            // Our modularity of igraph's partitions equals igraph's own value: same graph, same formula.
            foreach (var run in runs)
                Assert.Equal(run.Q, Leiden.Modularity(a, run.Membership, r), 1e-9);
            double igMean = runs.Average(x => x.Q), igMax = runs.Max(x => x.Q);
            var ours = seeds.Select(s => Leiden.Modularity(a, Leiden.Cluster(a, r, s), r)).ToArray();
            output.WriteLine($"{name} r={r}: ours {string.Join(" ", ours.Select(q => q.ToString("F5")))} | igraph {string.Join(" ", runs.Select(x => x.Q.ToString("F5")))}" +
                             $" | communities ours {Count(Leiden.Cluster(a, r, 42))} igraph {Count(runs[0].Membership)}");
            if (labels != null)
            {
                var mine = Leiden.Cluster(a, r, 42);
                var theirs = runs.First(x => x.Seed == 42).Membership;
                output.WriteLine($"{name} r={r} seed 42: NMI ours {ClusterAgreement.Nmi(mine, labels):F4} igraph {ClusterAgreement.Nmi(theirs, labels):F4}; " +
                                 $"ARI ours {ClusterAgreement.Ari(mine, labels):F4} igraph {ClusterAgreement.Ari(theirs, labels):F4}");
            }
            // Within a few percent of igraph's (both are heuristics with different random streams).
            Assert.True(ours.Average() >= igMean - 0.03 * Math.Abs(igMean), $"{name} r={r}: ours {ours.Average()} vs igraph {igMean}");
            Assert.True(ours.Max() >= igMax - 0.05 * Math.Abs(igMax), $"{name} r={r}: ours {ours.Max()} vs igraph {igMax}");
        }
    }

    [SkippableFact]
    public void ModularityCloseToIgraphOnSyntheticGraphs()
    {
        Python.RequireModules("igraph");
        var (sbm, _) = Sbm([40, 60, 50, 30], 0.2, 0.03, 4);
        CompareWithIgraph(sbm, output, "sbm");
        CompareWithIgraph(SimulatedKnnGraph(500, 5).C, output, "knn");
    }

    // ---------------------------------------------------------------- real data

    static (NeighborGraph Graph, Categorical Labels) Pbmc()
    {
        var path = SharedData.Require("pbmc_symphony.h5ad");
        using var file = AnnDataFile.Open(path);
        var x = file.ReadObsm("X_pca");
        var labels = file.ReadObsColumn("cell_type").Normalized();
        return (ExactNeighbors.Search(x, 90, threads: 1), labels);
    }

    [SkippableFact]
    public void PbmcLeidenNmiAriIsPlausible()
    {
        var (graph, labels) = Pbmc();
        var (nmi, ari, best, runs) = LeidenNmiAri.ScoreAll(graph, labels);
        foreach (var (r, n, a, k) in runs) output.WriteLine($"resolution {r:F1}: {k} clusters, NMI {n:F4}, ARI {a:F4}");
        output.WriteLine($"pbmc_symphony X_pca Leiden NMI {nmi:F4} ARI {ari:F4} at resolution {best:F1}");
        Assert.InRange(nmi, 0.5, 0.9);
        Assert.InRange(ari, 0.2, 1.0);
        Assert.Equal(runs.Max(x => x.Nmi), nmi);
        Assert.Equal(runs.First(x => x.Nmi == nmi).Resolution, best);
        Assert.Equal(runs.First(x => x.Nmi == nmi).Ari, ari);
        Assert.Equal((nmi, ari, best), LeidenNmiAri.Score(graph.Slice(15), labels)); // 15 columns suffice, same result
        var a2 = LeidenNmiAri.DoubleEdges(UmapConnectivities.Compute(graph, 15));
        AssertCommunitiesConnected(a2, Leiden.Cluster(a2, best, 42));
    }

    [SkippableFact]
    public void PbmcModularityCloseToIgraph()
    {
        var (graph, labels) = Pbmc();
        Python.RequireModules("igraph");
        CompareWithIgraph(UmapConnectivities.Compute(graph, 15), output, "pbmc", labels.Codes);
    }

    // ---------------------------------------------------------------- Benchmarker wiring

    [Fact]
    public void BenchmarkerReportsLeidenOnlyOnRequestAndNeverAggregates()
    {
        Assert.DoesNotContain(MetricSet.LeidenNmi, MetricSet.All);
        Assert.DoesNotContain(MetricSet.LeidenAri, MetricSet.Current);
        Assert.Equal(["leiden_nmi", "leiden_ari"], MetricSet.Optional);
        Assert.True(MetricSet.IsKnown("leiden_nmi") && MetricSet.IsKnown("leiden_ari"));

        var sim = Simulator.Generate(new SimulationOptions { Cells = 300, Batches = 2, CellTypes = 4, Dims = 8, Seed = 3 });
        var result = Benchmarker.Evaluate(sim.Embedding, sim.CellType, sim.Batch, null,
            new BenchmarkOptions { Metrics = [MetricSet.LeidenNmi, MetricSet.LeidenAri, MetricSet.SilhouetteLabel], Threads = 1 });
        var graph = Neighbors.Neighbors.Build(sim.Embedding, 90, threads: 1);
        var expected = LeidenNmiAri.Score(graph, sim.CellType.Normalized());
        Assert.Equal(expected.Nmi, result[MetricSet.LeidenNmi]);
        Assert.Equal(expected.Ari, result[MetricSet.LeidenAri]);
        Assert.InRange(result[MetricSet.LeidenNmi], 0, 1);
        // Aggregates see only the silhouette.
        Assert.Equal(result[MetricSet.SilhouetteLabel], result.Current.BioConservation);
        Assert.Contains("\"leiden_nmi\"", result.ToJson());

        var defaults = Benchmarker.Evaluate(sim.Embedding, sim.CellType, sim.Batch, null,
            new BenchmarkOptions { Metrics = [MetricSet.SilhouetteLabel], Threads = 1 });
        Assert.False(defaults.Metrics.ContainsKey(MetricSet.LeidenNmi));
        Assert.DoesNotContain(MetricSet.LeidenNmi, new BenchmarkOptions().Metrics);
    }
}
