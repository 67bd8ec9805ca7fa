using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Classification;

/// <summary>
/// k-nearest-neighbour classifier with distance-weighted votes, deciding as sklearn's
/// <c>KNeighborsClassifier(n_neighbors=k, weights="distance", algorithm="brute")</c> does:
/// <list type="bullet">
/// <item>neighbours: the k reference rows with the smallest exact Euclidean distance
/// (<see cref="ExactNeighbors.SearchReference"/>); at equal distances the lower reference index
/// wins, as sklearn's brute-force heap keeps the first row it met;</item>
/// <item>weights 1/d; a query with a neighbour whose 1/d is infinite (distance 0) counts only those
/// neighbours, with weight 1 each (sklearn's _get_weights);</item>
/// <item>the prediction is the class with the largest summed weight; on a tie the first class in
/// sorted order wins (sklearn's weighted_mode / argmax over classes_, which np.unique sorts).</item>
/// </list>
/// sklearn computes distances by the Gram formula and sums weights in another order, so its sums
/// can differ from these in the last bits; a prediction differs only when two classes' sums agree
/// to about 1e-15 relative without being exactly equal.
/// </summary>
public static class KnnClassifier
{
    /// <summary>Neighbours per query.</summary>
    public const int DefaultK = 15;

    /// <summary>Predicted class (a code in 0..classCount-1) of every query row.</summary>
    /// <param name="queries">row-major queryCount x d values.</param>
    /// <param name="references">row-major referenceCount x d values (at least k rows).</param>
    /// <param name="referenceLabels">class code of every reference row, in 0..classCount-1; codes are
    /// ranked as sklearn sorts the class names (ordinal order, as <see cref="Data.Categorical"/> keeps them).</param>
    public static int[] Predict(double[] queries, int queryCount, double[] references, int referenceCount, int d,
        int[] referenceLabels, int classCount, int k = DefaultK, int threads = 0)
    {
        if (referenceLabels.Length != referenceCount) throw new ArgumentException($"{referenceLabels.Length} reference labels for {referenceCount} reference rows.");
        foreach (var c in referenceLabels)
            if (c < 0 || c >= classCount) throw new ArgumentOutOfRangeException(nameof(referenceLabels), $"class code {c} is outside 0..{classCount - 1}.");
        var neighbors = ExactNeighbors.SearchReference(queries, queryCount, references, referenceCount, d, k, threads);
        var predicted = new int[queryCount];
        var votes = new double[classCount];
        for (int q = 0; q < queryCount; q++)
            predicted[q] = Vote(neighbors.DistancesOf(q), neighbors.IndicesOf(q), referenceLabels, votes);
        return predicted;
    }

    /// <summary>The winning class of one query; <paramref name="votes"/> is scratch of classCount entries.</summary>
    static int Vote(ReadOnlySpan<double> distances, ReadOnlySpan<int> neighbors, int[] referenceLabels, double[] votes)
    {
        Array.Clear(votes);
        // Distances ascend, so the first neighbour tells whether any weight 1/d is infinite.
        bool atZero = double.IsInfinity(1.0 / distances[0]);
        for (int t = 0; t < neighbors.Length; t++)
        {
            double w = 1.0 / distances[t];
            if (atZero) w = double.IsInfinity(w) ? 1 : 0;
            votes[referenceLabels[neighbors[t]]] += w;
        }
        int best = 0;
        for (int c = 1; c < votes.Length; c++)
            if (votes[c] > votes[best]) best = c; // strict: a tie keeps the earlier class
        return best;
    }
}
