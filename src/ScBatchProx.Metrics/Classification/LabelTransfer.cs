using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Metrics.Classification;

/// <summary>
/// Cell-type label transfer across batches, scored with <see cref="KnnClassifier"/>: every queried
/// cell is predicted from the labelled cells of other batches, then the predictions are scored
/// against the true labels (<see cref="ClassificationScores"/>). Cells with a missing label or batch
/// are neither queried nor used as reference. A queried cell whose true type is absent from its
/// reference is still predicted (necessarily wrongly) and counts as an error for its type.
/// Pure functions of the embedding, labels and batches; results do not depend on the thread count.
/// </summary>
public static class LabelTransfer
{
    /// <summary>
    /// Each batch in turn is the query and the labelled cells of all other batches the reference;
    /// every labelled cell is predicted once and the scores pool all batches.
    /// </summary>
    public static ClassificationResult LeaveOneBatchOut(Embedding embedding, Categorical labels, Categorical batches,
        int k = KnnClassifier.DefaultK, int threads = 0, string name = "")
    {
        var run = new Run(embedding, labels, batches, k, threads);
        for (int b = 0; b < run.Batches.CategoryCount; b++)
            run.Predict(inQuery: c => c == b, $"batch '{run.Batches.Categories[b]}'");
        return run.Result(TransferProtocol.LeaveOneBatchOut, [], name);
    }

    /// <summary>
    /// The label-transfer case: the labelled cells of <paramref name="referenceBatches"/> (a reference
    /// atlas) are the reference, the labelled cells of every other batch (the query study) are predicted.
    /// </summary>
    public static ClassificationResult FixedReference(Embedding embedding, Categorical labels, Categorical batches,
        IReadOnlyCollection<string> referenceBatches, int k = KnnClassifier.DefaultK, int threads = 0, string name = "")
    {
        if (referenceBatches.Count == 0) throw InputError.For(null, batches.Name, "no reference batch given.");
        var run = new Run(embedding, labels, batches, k, threads);
        var known = run.Batches.Categories;
        var isReference = new bool[known.Length];
        foreach (var r in referenceBatches)
        {
            int code = Array.IndexOf(known, r);
            if (code < 0) throw InputError.For(null, batches.Name, $"reference batch '{r}' does not occur among the labelled cells (batches: {string.Join(", ", known)}).");
            isReference[code] = true;
        }
        if (isReference.All(x => x)) throw InputError.For(null, batches.Name, "every batch is a reference batch: no cells are left to predict.");
        run.Predict(inQuery: c => !isReference[c], "the batches outside the reference");
        return run.Result(TransferProtocol.FixedReference, known.Where((_, c) => isReference[c]).ToArray(), name);
    }

    /// <summary>The labelled cells of one run and the predictions made so far.</summary>
    sealed class Run
    {
        readonly double[] _data;
        readonly int _d, _k, _threads;
        readonly Categorical _labels;
        /// <summary>Input cell of every labelled cell with a batch, ascending.</summary>
        readonly int[] _cells;
        readonly int[] _predictions;
        readonly int _excluded;
        /// <summary>Batches of the labelled cells (categories sorted, unused ones dropped).</summary>
        public readonly Categorical Batches;

        public Run(Embedding embedding, Categorical labels, Categorical batches, int k, int threads)
        {
            int n = embedding.Rows;
            if (labels.Length != n || batches.Length != n)
                throw new ArgumentException($"embedding has {n} cells, labels {labels.Length}, batches {batches.Length}.");
            ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
            _cells = Enumerable.Range(0, n).Where(i => labels.Codes[i] >= 0 && batches.Codes[i] >= 0).ToArray();
            _excluded = n - _cells.Length;
            if (_cells.Length == 0) throw InputError.For(null, labels.Name, "no cell has both a label and a batch.");
            // Categories sorted, unused ones dropped: the classifier breaks vote ties by this order, as sklearn does.
            _labels = Categorical.FromStrings(labels.Name, _cells.Select(labels.ValueAt).ToList());
            Batches = Categorical.FromStrings(batches.Name, _cells.Select(batches.ValueAt).ToList());
            var kept = embedding.SelectRows(_cells);
            var bad = kept.FirstNonFiniteRow();
            if (bad >= 0) throw new ArgumentException($"embedding row {_cells[bad]} holds NaN or infinity.");
            _data = ExactNeighbors.Widen(kept);
            _d = embedding.Cols; _k = k; _threads = threads;
            _predictions = new int[_cells.Length];
            Array.Fill(_predictions, -1);
        }

        /// <summary>Predicts the cells whose batch satisfies <paramref name="inQuery"/> from all other cells.</summary>
        public void Predict(Func<int, bool> inQuery, string what)
        {
            var query = new List<int>();
            var reference = new List<int>();
            for (int i = 0; i < _cells.Length; i++) (inQuery(Batches.Codes[i]) ? query : reference).Add(i);
            if (reference.Count < _k)
                throw InputError.For(null, Batches.Name, $"the reference for {what} holds {reference.Count} labelled cells, fewer than k = {_k} neighbours.");
            var predicted = KnnClassifier.Predict(Rows(query), query.Count, Rows(reference), reference.Count, _d,
                reference.Select(i => _labels.Codes[i]).ToArray(), _labels.CategoryCount, _k, _threads);
            for (int q = 0; q < query.Count; q++) _predictions[query[q]] = predicted[q];
        }

        double[] Rows(List<int> rows)
        {
            var x = new double[(long)rows.Count * _d];
            for (int r = 0; r < rows.Count; r++) Array.Copy(_data, (long)rows[r] * _d, x, (long)r * _d, _d);
            return x;
        }

        public ClassificationResult Result(TransferProtocol protocol, IReadOnlyList<string> referenceBatches, string name)
        {
            var scored = Enumerable.Range(0, _cells.Length).Where(i => _predictions[i] >= 0).ToArray();
            var perCell = new int[_cells.Length + _excluded];
            Array.Fill(perCell, -1);
            foreach (var i in scored) perCell[_cells[i]] = _predictions[i];
            return new ClassificationResult
            {
                Embedding = name,
                Protocol = protocol,
                ReferenceBatches = referenceBatches,
                K = _k,
                ExcludedCells = _excluded,
                CellTypeCategories = _labels.Categories,
                Predictions = perCell,
                Scores = ClassificationScores.From(scored.Select(i => _labels.Codes[i]).ToArray(), scored.Select(i => _predictions[i]).ToArray(), _labels.Categories),
            };
        }
    }
}
