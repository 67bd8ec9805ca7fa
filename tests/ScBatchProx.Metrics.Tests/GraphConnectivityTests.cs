using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;
using Xunit;
using Xunit.Abstractions;

namespace ScBatchProx.Metrics.Tests;

public class GraphConnectivityTests(ITestOutputHelper output)
{
    static NeighborGraph Hand(int[][] rows)
    {
        int n = rows.Length, k = rows[0].Length;
        return new NeighborGraph(n, k, rows.SelectMany(r => r).ToArray(), new double[n * k]);
    }

    static Categorical Cat(params string[] v) => Categorical.FromStrings("label", v);

    [Fact]
    public void DirectedCycleIsOneComponent()
    {
        // 0 -> 1 -> 2 -> 3 -> 0 (column 0 is self)
        var g = Hand([[0, 1], [1, 2], [2, 3], [3, 0]]);
        Assert.Equal(1.0, GraphConnectivity.Compute(g, Cat("a", "a", "a", "a")));
    }

    [Fact]
    public void DirectedChainCountsStrongComponentsOnly()
    {
        // chain 0 -> 1 -> 2 -> 3 -> 3: weakly connected, but every SCC is a single cell
        var g = Hand([[0, 1], [1, 2], [2, 3], [3, 3]]);
        Assert.Equal(0.25, GraphConnectivity.Compute(g, Cat("a", "a", "a", "a")));
    }

    [Fact]
    public void LabelsAreScoredOnTheirInducedSubgraphAndAveragedUnweighted()
    {
        // label a = {0,1,2}: 0 <-> 1, 2 -> 0 (2 alone) -> 2/3; edges to label b are cut.
        // label b = {3,4}: 3 -> 0 (cut), 4 -> 3 -> 1/2. Label c = {5}: 1.
        var g = Hand([[0, 1, 3], [1, 0, 4], [2, 0, 3], [3, 0, 1], [4, 3, 2], [5, 0, 1]]);
        var labels = Cat("a", "a", "a", "b", "b", "c");
        var per = GraphConnectivity.PerLabel(g, labels);
        Assert.Equal(2.0 / 3, per["a"], 15);
        Assert.Equal(0.5, per["b"], 15);
        Assert.Equal(1.0, per["c"]);
        Assert.Equal((2.0 / 3 + 0.5 + 1) / 3, GraphConnectivity.Compute(g, labels), 15);
    }

    [Fact]
    public void UsesOnlyTheFirstKColumns()
    {
        // column 2 would close the cycle; with k = 2 it is ignored
        var g = Hand([[0, 1, 2], [1, 2, 0], [2, 2, 0]]);
        Assert.Equal(1.0 / 3, GraphConnectivity.Compute(g, Cat("a", "a", "a"), k: 2), 15);
        Assert.Equal(1.0, GraphConnectivity.Compute(g, Cat("a", "a", "a"), k: 3));
    }

    [Fact]
    public void DeepGraphDoesNotOverflowTheStack()
    {
        int n = 200_000;
        var rows = Enumerable.Range(0, n).Select(i => new[] { i, (i + 1) % n }).ToArray(); // one long cycle
        Assert.Equal(1.0, GraphConnectivity.Compute(Hand(rows), Categorical.FromStrings("l", Enumerable.Repeat("a", n).ToList())));
    }

    public static IEnumerable<object[]> Embeddings() => SharedDatasets.Embeddings();

    /// <summary>graph_connectivity on every shared embedding equals reference_metrics.json (exact up to the mean's rounding, 1e-12).</summary>
    [SkippableTheory]
    [MemberData(nameof(Embeddings))]
    public void MatchesReferenceMetrics(string dataset, string key)
    {
        var ds = SharedDatasets.Load(dataset);
        var gc = GraphConnectivity.Compute(SharedDatasets.Graph(dataset, key), ds.Labels);
        double r = SharedDatasets.Reference(dataset, key, "graph_connectivity");
        output.WriteLine($"{dataset}/{key}: gc {gc:R} ref {r:R} diff {gc - r:E2}");
        Assert.True(Math.Abs(gc - r) <= 1e-12, $"{gc} vs {r}");
    }
}
