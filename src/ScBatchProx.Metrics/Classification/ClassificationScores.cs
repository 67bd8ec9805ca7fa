namespace ScBatchProx.Metrics.Classification;

/// <summary>
/// Scores of one cell type over all predicted cells: <see cref="Support"/> cells truly of the type,
/// <see cref="Predicted"/> cells predicted as it, <see cref="TruePositives"/> both.
/// </summary>
public sealed record CellTypeScore(string CellType, int Support, int Predicted, int TruePositives, double Precision, double Recall, double F1);

/// <summary>
/// Per-cell-type precision, recall and F1, their macro F1, and the accuracy of predicted against
/// true labels, as sklearn's precision_recall_fscore_support(..., zero_division=0) and
/// accuracy_score compute them.
/// </summary>
public sealed class ClassificationScores
{
    /// <summary>Cells scored (every predicted cell).</summary>
    public int Cells { get; }
    /// <summary>Share of cells predicted as their true type; NaN without cells.</summary>
    public double Accuracy { get; }
    /// <summary>
    /// Unweighted mean F1 over the cell types present among the true labels, i.e. sklearn's
    /// f1_score(y_true, y_pred, average="macro", labels=np.unique(y_true), zero_division=0): a type
    /// only ever predicted does not count, a true type never predicted counts with F1 = 0. NaN without cells.
    /// </summary>
    public double MacroF1 { get; }
    /// <summary>Every type among the true or predicted labels, in category order.</summary>
    public IReadOnlyList<CellTypeScore> CellTypes { get; }

    ClassificationScores(int cells, double accuracy, double macroF1, IReadOnlyList<CellTypeScore> cellTypes)
    {
        Cells = cells; Accuracy = accuracy; MacroF1 = macroF1; CellTypes = cellTypes;
    }

    /// <param name="truth">true label code of every scored cell (0..categories-1).</param>
    /// <param name="predicted">predicted label code of the same cells.</param>
    /// <param name="categories">names of the label codes.</param>
    public static ClassificationScores From(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, IReadOnlyList<string> categories)
    {
        if (truth.Length != predicted.Length) throw new ArgumentException($"{truth.Length} true labels but {predicted.Length} predictions.");
        int c = categories.Count;
        var support = new int[c];
        var predictedCount = new int[c];
        var hits = new int[c];
        for (int i = 0; i < truth.Length; i++)
        {
            if ((uint)truth[i] >= (uint)c || (uint)predicted[i] >= (uint)c)
                throw new ArgumentOutOfRangeException(nameof(truth), $"cell {i}: label code outside 0..{c - 1}.");
            support[truth[i]]++;
            predictedCount[predicted[i]]++;
            if (truth[i] == predicted[i]) hits[truth[i]]++;
        }
        var types = new List<CellTypeScore>();
        double f1Sum = 0;
        int present = 0;
        for (int t = 0; t < c; t++)
        {
            if (support[t] == 0 && predictedCount[t] == 0) continue;
            // zero_division=0: an undefined precision (never predicted) or recall (no support) is 0.
            double precision = predictedCount[t] == 0 ? 0 : (double)hits[t] / predictedCount[t];
            double recall = support[t] == 0 ? 0 : (double)hits[t] / support[t];
            // 2 TP / (2 TP + FP + FN) equals 2 P R / (P + R), and is 0 where that is 0 / 0.
            double f1 = 2.0 * hits[t] / (support[t] + predictedCount[t]);
            types.Add(new CellTypeScore(categories[t], support[t], predictedCount[t], hits[t], precision, recall, f1));
            if (support[t] > 0) { f1Sum += f1; present++; }
        }
        int correct = hits.Sum();
        return new ClassificationScores(truth.Length, truth.Length == 0 ? double.NaN : (double)correct / truth.Length,
            present == 0 ? double.NaN : f1Sum / present, types);
    }
}
