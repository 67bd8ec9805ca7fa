using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Clustering;

/// <summary>
/// Optional Leiden NMI / ARI (METRICS.md 4.11; scib-metrics <c>nmi_ari_cluster_labels_leiden</c>,
/// off by default): Leiden with the modularity objective on the 15-NN UMAP connectivities, over the
/// resolutions 0.2, 0.4, ..., 2.0, each run seeded afresh with the same seed; the result is the NMI
/// at the resolution with the highest NMI (first maximum) and the ARI at that same resolution.
/// <para>
/// The graph is igraph's <c>Weighted_Adjacency(C, mode="directed").to_undirected(mode="each")</c>:
/// each symmetric pair (i, j) gives two parallel edges of weight C_ij, i.e. the undirected adjacency
/// A = 2C. Modularity itself does not change under that scaling, but the refinement's randomness
/// (beta = 0.01 on raw weight gains) does, so the doubling is kept.
/// </para>
/// <para>
/// Indicative only: igraph's random stream cannot be reproduced (see <see cref="Leiden"/>), so the
/// partitions are not igraph's. They are reproducible and independent of the thread count.
/// </para>
/// </summary>
public static class LeidenNmiAri
{
    /// <summary>scib-metrics: 15-NN connectivities.</summary>
    public const int NeighborCount = 15;

    /// <summary>The resolution sweep of METRICS.md 4.11: 0.2, 0.4, ..., 2.0.</summary>
    public static IReadOnlyList<double> Resolutions { get; } = Enumerable.Range(1, 10).Select(i => Math.Round(0.2 * i, 1)).ToArray();

    /// <param name="graph90or15">k-NN graph with self at column 0 and at least 15 columns (the Benchmarker's 90-NN graph is sliced).</param>
    /// <param name="labels">cell types, no missing codes.</param>
    public static (double Nmi, double Ari, double Resolution) Score(NeighborGraph graph90or15, Categorical labels, ulong seed = 42)
    {
        var (nmi, ari, resolution, _) = ScoreAll(graph90or15, labels, seed);
        return (nmi, ari, resolution);
    }

    /// <summary>As <see cref="Score"/>, plus the (resolution, NMI, ARI, clusters) of every run.</summary>
    public static (double Nmi, double Ari, double Resolution, IReadOnlyList<(double Resolution, double Nmi, double Ari, int Clusters)> Runs)
        ScoreAll(NeighborGraph graph90or15, Categorical labels, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(graph90or15);
        ArgumentNullException.ThrowIfNull(labels);
        if (graph90or15.K < NeighborCount)
            throw new ArgumentException($"Leiden NMI/ARI needs a k-NN graph with at least {NeighborCount} columns, got {graph90or15.K}.");
        if (labels.Length != graph90or15.N)
            throw new ArgumentException($"{labels.Length} labels for {graph90or15.N} cells.");
        if (labels.Codes.Any(c => c < 0)) throw new ArgumentException("labels must not be missing.");
        var adjacency = DoubleEdges(UmapConnectivities.Compute(graph90or15, NeighborCount));

        var runs = new List<(double, double, double, int)>();
        double bestNmi = double.NegativeInfinity, bestAri = double.NaN, bestRes = double.NaN;
        foreach (var r in Resolutions)
        {
            var clusters = Leiden.Cluster(adjacency, r, seed);
            double nmi = ClusterAgreement.Nmi(clusters, labels.Codes);
            double ari = ClusterAgreement.Ari(clusters, labels.Codes);
            runs.Add((r, nmi, ari, clusters.Length == 0 ? 0 : clusters.Max() + 1));
            if (nmi > bestNmi) { bestNmi = nmi; bestAri = ari; bestRes = r; }
        }
        return (bestNmi, bestAri, bestRes, runs);
    }

    /// <summary>The undirected adjacency igraph builds from connectivities C: A = 2C (two parallel edges of weight C_ij per symmetric pair, merged).</summary>
    public static SparseMatrix DoubleEdges(SparseMatrix c)
    {
        var values = new double[c.NonZeros];
        for (int p = 0; p < values.Length; p++) values[p] = 2 * c.Values[p];
        return new SparseMatrix(c.Rows, c.Cols, (int[])c.RowPtr.Clone(), c.ColIdx[..c.NonZeros], values);
    }
}
