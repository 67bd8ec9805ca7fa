using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics;

/// <summary>
/// Graph connectivity (METRICS.md 4.9, quirk Q3): for every label, the share of its cells in the
/// largest <em>strongly</em> connected component of the directed k-NN graph (edges i -> indices[i, j],
/// j &lt; 15, zero distances included) restricted to that label; unweighted mean over labels.
/// </summary>
public static class GraphConnectivity
{
    /// <summary>Score from the first <paramref name="k"/> columns of <paramref name="graph"/> (default 15).</summary>
    public static double Compute(NeighborGraph graph, Categorical labels, int k = 15)
    {
        var per = PerLabel(graph, labels, k);
        return per.Count == 0 ? double.NaN : per.Values.Average();
    }

    /// <summary>Largest-SCC fraction of every label present, keyed by label name.</summary>
    public static IReadOnlyDictionary<string, double> PerLabel(NeighborGraph graph, Categorical labels, int k = 15)
    {
        if (labels.Length != graph.N) throw new ArgumentException($"{labels.Length} labels for {graph.N} cells.");
        if (labels.MissingCount() > 0) throw new ArgumentException("graph connectivity needs a label for every cell.");
        k = Math.Min(k, graph.K);
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var counts = labels.Counts();
        for (int l = 0; l < labels.CategoryCount; l++)
        {
            if (counts[l] == 0) continue;
            var members = new List<int>(counts[l]);
            for (int i = 0; i < graph.N; i++) if (labels.Codes[i] == l) members.Add(i);
            result[labels.Categories[l]] = (double)LargestScc(graph, k, members, labels.Codes, l) / members.Count;
        }
        return result;
    }

    /// <summary>Size of the largest strongly connected component of the label-induced subgraph (iterative Tarjan).</summary>
    static int LargestScc(NeighborGraph g, int k, List<int> members, int[] codes, int label)
    {
        int m = members.Count;
        var local = new Dictionary<int, int>(m);
        for (int t = 0; t < m; t++) local[members[t]] = t;
        // adjacency of the induced subgraph in local numbering
        var adj = new List<int>[m];
        for (int t = 0; t < m; t++)
        {
            adj[t] = [];
            var idx = g.IndicesOf(members[t]);
            for (int j = 0; j < k; j++)
                if (codes[idx[j]] == label) adj[t].Add(local[idx[j]]);
        }
        var index = new int[m];
        var low = new int[m];
        Array.Fill(index, -1);
        var onStack = new bool[m];
        var stack = new Stack<int>();
        var call = new Stack<(int Node, int Edge)>();
        int counter = 0, best = 0;
        for (int root = 0; root < m; root++)
        {
            if (index[root] >= 0) continue;
            call.Push((root, 0));
            index[root] = low[root] = counter++;
            stack.Push(root); onStack[root] = true;
            while (call.Count > 0)
            {
                var (v, e) = call.Pop();
                if (e < adj[v].Count)
                {
                    call.Push((v, e + 1));
                    int w = adj[v][e];
                    if (index[w] < 0)
                    {
                        index[w] = low[w] = counter++;
                        stack.Push(w); onStack[w] = true;
                        call.Push((w, 0));
                    }
                    else if (onStack[w]) low[v] = Math.Min(low[v], index[w]);
                    continue;
                }
                // v finished: pop its component if it is a root, then report low to the parent
                if (low[v] == index[v])
                {
                    int size = 0, w;
                    do { w = stack.Pop(); onStack[w] = false; size++; } while (w != v);
                    best = Math.Max(best, size);
                }
                if (call.Count > 0)
                {
                    int parent = call.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[v]);
                }
            }
        }
        return best;
    }
}
