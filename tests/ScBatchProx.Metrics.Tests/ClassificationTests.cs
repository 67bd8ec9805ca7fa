using System.Collections.Concurrent;
using System.Text.Json;
using ScBatchProx.Data;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Classification;
using ScBatchProx.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace ScBatchProx.Metrics.Tests;

public class ClassificationTests(ITestOutputHelper output)
{
    // ------------------------------------------------------------------ against sklearn on the shared data

    /// <summary>A protocol run on one dataset, mirrored in the python reference.</summary>
    sealed record Case(string Name, string[]? Reference, int MissingEvery, int MissingOffset);

    /// <summary>Leave-one-batch-out, the same with every 29th label removed, and a fixed reference lacking some query types.</summary>
    static Case[] CasesOf(string dataset) =>
    [
        new("lobo", null, 0, 0),
        new("lobo_missing", null, 29, 3),
        new("fixed", dataset switch
        {
            "cell_lines_harmony" => ["half"],
            "cellbench_lung5" => ["CELseq2_3cl"],   // 3 of the 5 cell lines: A549 and H838 queries are absent from it
            _ => ["3pv2"],                          // no HSC in 3pv2
        }, 0, 0),
    ];

    static string[] KeysOf(string dataset) => dataset == "cell_lines_harmony"
        ? ["X_pca", "X_harmony"]
        : ["X_pca", "X_harmony", "X_seurat", "X_seurat_rpca", "X_combat", "X_limma"];

    public static IEnumerable<object[]> SharedCases()
    {
        foreach (var ds in new[] { "cell_lines_harmony", "cellbench_lung5", "pbmc_symphony" })
            foreach (var key in KeysOf(ds))
                foreach (var c in CasesOf(ds))
                    yield return [ds, key, c.Name];
    }

    /// <summary>
    /// sklearn 1.2+ reference for every (obsm key, case) of one file: KNeighborsClassifier(15,
    /// weights="distance", algorithm="brute") per round on float64 copies of the float32 obsm,
    /// precision_recall_fscore_support over the true and predicted types, macro f1_score over the
    /// true types, accuracy_score. Also the smallest top-two vote gap (predict_proba) and the
    /// number of queries whose 15th and 16th neighbour distances nearly tie, to judge the margins.
    /// </summary>
    const string SklearnScript = """
        import sys, json, numpy as np, anndata
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.metrics import precision_recall_fscore_support, f1_score, accuracy_score
        a = anndata.read_h5ad(sys.argv[1], backed="r")  # obs and obsm only: X stays on disk
        batch = a.obs["batch"].astype(str).to_numpy()
        label = a.obs["cell_type"].astype(str).to_numpy()
        out = {}
        for c in json.loads(sys.argv[2]):
            X = np.asarray(a.obsm[c["key"]], dtype=np.float64)
            valid = np.ones(len(X), dtype=bool)
            if c["every"]:
                valid[c["offset"]::c["every"]] = False
            if c["reference"] is None:
                rounds = [batch == b for b in np.unique(batch[valid])]
            else:
                rounds = [~np.isin(batch, c["reference"])]
            pred = np.full(len(X), None, dtype=object)
            gap, ties = np.inf, 0
            for q in rounds:
                qm, rm = valid & q, valid & ~q
                clf = KNeighborsClassifier(n_neighbors=15, weights="distance", algorithm="brute").fit(X[rm], label[rm])
                pred[qm] = clf.predict(X[qm])
                proba = np.sort(clf.predict_proba(X[qm]), axis=1)
                if proba.shape[1] > 1:
                    gap = min(gap, float(np.min(proba[:, -1] - proba[:, -2])))
                if rm.sum() > 15:
                    d, _ = clf.kneighbors(X[qm], n_neighbors=16)
                    ties += int(np.sum(d[:, 15] - d[:, 14] <= 1e-9 * np.maximum(d[:, 14], 1e-300)))
            done = np.array([p is not None for p in pred])
            yt, yp = label[done], pred[done].astype(str)
            types = sorted(set(yt) | set(yp))
            p, r, f, s = precision_recall_fscore_support(yt, yp, labels=types, zero_division=0)
            out[c["key"] + "/" + c["name"]] = {
                "predictions": [None if v is None else str(v) for v in pred],
                "types": types, "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist(),
                "macro_f1": float(f1_score(yt, yp, average="macro", labels=np.unique(yt), zero_division=0)),
                "accuracy": float(accuracy_score(yt, yp)), "min_vote_gap": gap, "boundary_ties": ties,
            }
        print(json.dumps(out))
        """;

    static readonly ConcurrentDictionary<string, Lazy<JsonDocument>> Sklearn = new();

    static JsonElement SklearnResult(string dataset, string key, string caseName)
    {
        var doc = Sklearn.GetOrAdd(dataset, ds => new Lazy<JsonDocument>(() =>
        {
            Python.RequireModules("anndata", "sklearn"); // once per file: importing them takes seconds
            var cases = KeysOf(ds).SelectMany(k => CasesOf(ds).Select(c => new
            { key = k, name = c.Name, reference = c.Reference, every = c.MissingEvery, offset = c.MissingOffset }));
            return JsonDocument.Parse(Python.Check(SklearnScript, SharedData.Require(ds + ".h5ad"), JsonSerializer.Serialize(cases)));
        })).Value;
        return doc.RootElement.GetProperty(key + "/" + caseName);
    }

    [SkippableTheory]
    [MemberData(nameof(SharedCases))]
    public void MatchesSklearnOnSharedData(string dataset, string key, string caseName)
    {
        var path = SharedData.Require(dataset + ".h5ad");
        var py = SklearnResult(dataset, key, caseName);
        var c = CasesOf(dataset).Single(x => x.Name == caseName);
        Embedding emb;
        Categorical labels, batches;
        using (var file = AnnDataFile.Open(path))
        {
            emb = file.ReadObsm(key);
            labels = file.ReadObsColumn("cell_type");
            batches = file.ReadObsColumn("batch");
        }
        if (c.MissingEvery > 0)
        {
            var codes = (int[])labels.Codes.Clone();
            for (int i = c.MissingOffset; i < codes.Length; i += c.MissingEvery) codes[i] = -1;
            labels = new Categorical(labels.Name, labels.Categories, codes);
        }
        var result = c.Reference == null
            ? LabelTransfer.LeaveOneBatchOut(emb, labels, batches, threads: 2, name: key)
            : LabelTransfer.FixedReference(emb, labels, batches, c.Reference, threads: 2, name: key);

        // identical prediction for every cell (null: not predicted)
        var expected = py.GetProperty("predictions").EnumerateArray().Select(v => v.GetString()).ToArray();
        var actual = result.Predictions.Select(p => p < 0 ? null : result.CellTypeCategories[p]).ToArray();
        int mismatches = expected.Zip(actual).Count(p => p.First != p.Second);
        Assert.True(mismatches == 0, $"{mismatches} of {expected.Length} predictions differ from sklearn");
        Assert.Equal(expected.Count(v => v != null), result.Scores.Cells);
        Assert.Equal(c.MissingEvery == 0 ? 0 : (emb.Rows - 1 - c.MissingOffset) / c.MissingEvery + 1, result.ExcludedCells);

        // scores within 1e-12
        var types = py.GetProperty("types").EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.Equal(types, result.Scores.CellTypes.Select(t => t.CellType));
        double[] Column(string name) => py.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var (precision, recall, f1, support) = (Column("precision"), Column("recall"), Column("f1"), Column("support"));
        double maxDiff = 0;
        for (int t = 0; t < types.Length; t++)
        {
            var s = result.Scores.CellTypes[t];
            Assert.Equal((int)support[t], s.Support);
            maxDiff = Math.Max(maxDiff, Math.Max(Math.Abs(precision[t] - s.Precision), Math.Max(Math.Abs(recall[t] - s.Recall), Math.Abs(f1[t] - s.F1))));
        }
        double macroDiff = Math.Abs(py.GetProperty("macro_f1").GetDouble() - result.Scores.MacroF1);
        double accuracyDiff = Math.Abs(py.GetProperty("accuracy").GetDouble() - result.Scores.Accuracy);
        output.WriteLine($"{dataset}/{key}/{caseName}: {result.Scores.Cells} cells, accuracy {result.Scores.Accuracy:F4}, macro F1 {result.Scores.MacroF1:F4}; " +
            $"max |diff| per type {maxDiff:E2}, macro {macroDiff:E2}, accuracy {accuracyDiff:E2}; sklearn min vote gap {py.GetProperty("min_vote_gap").GetDouble():E2}, " +
            $"near ties at rank 15/16: {py.GetProperty("boundary_ties").GetInt32()}");
        Assert.True(maxDiff <= 1e-12, $"per-type scores differ by {maxDiff}");
        Assert.True(macroDiff <= 1e-12, $"macro F1 differs by {macroDiff}");
        Assert.True(accuracyDiff <= 1e-12, $"accuracy differs by {accuracyDiff}");
    }

    // ------------------------------------------------------------------ hand-made cases with closed-form answers

    /// <summary>The class name predicted for one query; class codes follow the sorted names, as in a Categorical.</summary>
    static string PredictName(double[][] refs, string[] refLabels, double[] query, int k)
    {
        var names = refLabels.Distinct().Order(StringComparer.Ordinal).ToArray();
        var codes = refLabels.Select(l => Array.IndexOf(names, l)).ToArray();
        var p = KnnClassifier.Predict(query, 1, refs.SelectMany(r => r).ToArray(), refs.Length, query.Length, codes, names.Length, k, threads: 1);
        return names[p[0]];
    }

    [Fact]
    public void ZeroDistanceNeighboursAloneDecide()
    {
        // sklearn: when a query has neighbours at distance 0, only they vote, with weight 1 each.
        // Two "b" on the query, thirteen "a" at distance 1e-3 (weight 1000 each): the zero-distance
        // neighbours must not be dropped.
        double[][] refs = [[0, 0], [0, 0], .. Enumerable.Repeat(new double[] { 1e-3, 0 }, 13)];
        string[] labels = ["b", "b", .. Enumerable.Repeat("a", 13)];
        Assert.Equal("b", PredictName(refs, labels, [0, 0], 15));
        // one "b" and one "a" on the query: counts 1 : 1, a tie the first class in sorted order wins;
        // the "b" at 1e-3 does not count.
        Assert.Equal("a", PredictName([[0, 0], [0, 0], [1e-3, 0]], ["b", "a", "b"], [0, 0], 3));
        // two "b" and one "a" on the query: 2 : 1 for "b" (plain 1/d sums would be infinite for both
        // and tie towards "a"); the two "a" at 1e-9 do not count.
        Assert.Equal("b", PredictName([[0, 0], [0, 0], [0, 0], [1e-9, 0], [1e-9, 0]], ["b", "a", "b", "a", "a"], [0, 0], 5));
    }

    [Fact]
    public void VoteTieGoesToTheFirstClassInSortedOrder()
    {
        // "x" at distance 0.5 (weight 2) against two "y" at distance 1 (weights 1 + 1): an exact tie.
        double[][] refs = [[0, 0.5], [1, 0], [-1, 0], [10, 0]];
        Assert.Equal("x", PredictName(refs, ["x", "y", "y", "z"], [0, 0], 3));
        Assert.Equal("a", PredictName(refs, ["b", "a", "a", "z"], [0, 0], 3));
        // k = 4 adds "z" at distance 10 (weight 0.1) to its own class: the tie between "a" and "b" stays
        Assert.Equal("a", PredictName(refs, ["b", "a", "a", "z"], [0, 0], 4));
    }

    [Fact]
    public void EqualDistancesAtTheLastRankKeepTheLowerReferenceIndex()
    {
        // Two references at distance 1, k = 1: the first row wins whatever its class name (sklearn's heap
        // keeps the first row it met).
        Assert.Equal("b", PredictName([[1, 0], [-1, 0]], ["b", "a"], [0, 0], 1));
        Assert.Equal("a", PredictName([[-1, 0], [1, 0]], ["a", "b"], [0, 0], 1));
    }

    /// <summary>
    /// Batch X: 20 "a" near (0, 0), 20 "b" near (10, 0), 5 "t" near (10, 3); batch Y: 20 "a", 20 "b"
    /// at the same places. "t" exists only in X, so predicting X from Y must call the five "t" cells
    /// "b"; everything else is unambiguous. Two extra cells sit exactly on a "t" cell: one without a
    /// label (in Y) and one labelled "t" without a batch; if either served as reference, the
    /// zero-distance rule would make that "t" cell a "t".
    /// </summary>
    static (Embedding Emb, Categorical Labels, Categorical Batches) AbsentTypeData()
    {
        var rows = new List<(float X, float Y, string? Label, string? Batch)>();
        for (int i = 0; i < 20; i++)
        {
            float jitter = 0.02f * i;
            rows.Add((jitter, 0.01f * (i % 5), "a", "X"));
            rows.Add((10 + jitter, 0.01f * (i % 7), "b", "X"));
            rows.Add((0.013f + jitter, 0.011f * (i % 3), "a", "Y"));
            rows.Add((10.007f + jitter, 0.009f * (i % 4), "b", "Y"));
        }
        for (int i = 0; i < 5; i++) rows.Add((10 + 0.25f * i, 3, "t", "X"));
        rows.Add((10.5f, 3, null, "Y"));
        rows.Add((10.5f, 3, "t", null));
        var emb = new Embedding(rows.Count, 2, rows.SelectMany(r => new[] { r.X, r.Y }).ToArray());
        return (emb, Categorical.FromStrings("cell_type", rows.Select(r => r.Label).ToList()),
            Categorical.FromStrings("batch", rows.Select(r => r.Batch).ToList()));
    }

    [Fact]
    public void TypeAbsentFromTheReferenceCountsAsErrorsAndMissingLabelsAreLeftOut()
    {
        var (emb, labels, batches) = AbsentTypeData();
        var r = LabelTransfer.LeaveOneBatchOut(emb, labels, batches, k: 15, threads: 1);
        Assert.Equal(2, r.ExcludedCells);
        Assert.Equal(85, r.Scores.Cells);
        Assert.Equal(-1, r.Predictions[^1]);
        Assert.Equal(-1, r.Predictions[^2]);
        Assert.Equal(["a", "b", "t"], r.CellTypeCategories);
        for (int i = emb.Rows - 7; i < emb.Rows - 2; i++) Assert.Equal(1, r.Predictions[i]); // the "t" cells become "b"
        var s = r.Scores.CellTypes;
        Assert.Equal(new CellTypeScore("a", 40, 40, 40, 1, 1, 1), s[0]);
        Assert.Equal(new CellTypeScore("b", 40, 45, 40, 40.0 / 45, 1, 80.0 / 85), s[1]);
        Assert.Equal(new CellTypeScore("t", 5, 0, 0, 0, 0, 0), s[2]);
        Assert.Equal((1 + 80.0 / 85 + 0) / 3, r.Scores.MacroF1, 15);
        Assert.Equal(80.0 / 85, r.Scores.Accuracy, 15);
    }

    [Fact]
    public void FixedReferencePredictsOnlyTheOtherBatches()
    {
        var (emb, labels, batches) = AbsentTypeData();
        // Y as reference: X's 45 labelled cells are queried, the "t" ones are wrong.
        var r = LabelTransfer.FixedReference(emb, labels, batches, ["Y"], k: 15, threads: 1);
        Assert.Equal(["Y"], r.ReferenceBatches);
        Assert.Equal(45, r.Scores.Cells);
        Assert.Equal(40.0 / 45, r.Scores.Accuracy, 15);
        Assert.Equal([new CellTypeScore("a", 20, 20, 20, 1, 1, 1), new CellTypeScore("b", 20, 25, 20, 0.8, 1, 40.0 / 45), new CellTypeScore("t", 5, 0, 0, 0, 0, 0)],
            r.Scores.CellTypes);
        Assert.Equal((1 + 40.0 / 45) / 3, r.Scores.MacroF1, 15);
        // X as reference: Y's 40 cells are all right; "t" is never true nor predicted, so it is not reported.
        var back = LabelTransfer.FixedReference(emb, labels, batches, ["X"], k: 15, threads: 1);
        Assert.Equal(1.0, back.Scores.Accuracy);
        Assert.Equal(1.0, back.Scores.MacroF1);
        Assert.Equal(["a", "b"], back.Scores.CellTypes.Select(t => t.CellType));
    }

    [Fact]
    public void MacroF1IgnoresTypesOnlyPredicted()
    {
        // truth a a b b, predicted a c b b: c is predicted but never true (sklearn labels=unique(y_true)).
        var s = ClassificationScores.From([0, 0, 1, 1], [0, 2, 1, 1], ["a", "b", "c"]);
        Assert.Equal(new CellTypeScore("a", 2, 1, 1, 1, 0.5, 2.0 / 3), s.CellTypes[0]);
        Assert.Equal(new CellTypeScore("b", 2, 2, 2, 1, 1, 1), s.CellTypes[1]);
        Assert.Equal(new CellTypeScore("c", 0, 1, 0, 0, 0, 0), s.CellTypes[2]);
        Assert.Equal((2.0 / 3 + 1) / 2, s.MacroF1, 15);
        Assert.Equal(0.75, s.Accuracy);
    }

    [Fact]
    public void BadProtocolInputIsReported()
    {
        var (emb, labels, batches) = AbsentTypeData();
        var unknown = Assert.Throws<InputError>(() => LabelTransfer.FixedReference(emb, labels, batches, ["Z"]));
        Assert.Contains("'Z'", unknown.Message);
        Assert.Throws<InputError>(() => LabelTransfer.FixedReference(emb, labels, batches, ["X", "Y"]));
        Assert.Throws<InputError>(() => LabelTransfer.FixedReference(emb, labels, batches, []));
        var small = Assert.Throws<InputError>(() => LabelTransfer.LeaveOneBatchOut(emb, labels, batches, k: 41));
        Assert.Contains("batch 'X' holds 40 labelled cells", small.Message); // X's reference is Y's 40 labelled cells
    }

    [Fact]
    public void JsonAndCsvCarryTheScores()
    {
        var (emb, labels, batches) = AbsentTypeData();
        var r = LabelTransfer.FixedReference(emb, labels, batches, ["Y"], threads: 1, name: "X_test");
        var o = r.ToJsonNode();
        Assert.Equal("fixed_reference", (string?)o["protocol"]);
        Assert.Equal(45, (int?)o["cells"]);
        Assert.Equal(2, (int?)o["excluded_cells"]);
        Assert.Equal(40.0 / 45, (double?)o["accuracy"]);
        Assert.Equal("Y", (string?)o["reference_batches"]![0]);
        Assert.Equal(0.8, (double?)o["cell_types"]![1]!["precision"]);
        Assert.Equal(["X_test", "fixed_reference", "Y", "15", "45", "2", (40.0 / 45).ToString("R"), ((1 + 40.0 / 45) / 3).ToString("R")], r.SummaryCsvRow());
        Assert.Equal(ClassificationResult.SummaryCsvHeader.Count, r.SummaryCsvRow().Length);
        var rows = r.CellTypeCsvRows().ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(["X_test", "fixed_reference", "b", "20", "25", "20", "0.8", "1", (40.0 / 45).ToString("R")], rows[1]);
        Assert.All(rows, row => Assert.Equal(ClassificationResult.CellTypeCsvHeader.Count, row.Length));
    }

    // ------------------------------------------------------------------ determinism

    [Fact]
    public void BitwiseIdenticalForOneAndTwoThreads()
    {
        // 6000 cells x 20 dims in 6 batches: every reference holds over 1024 cells, so the Gram-filtered search runs.
        var (emb, b, l) = SimulatedCells(6000, 20, 6, 8);
        var labels = new Categorical("cell_type", Enumerable.Range(0, 8).Select(c => $"type{c}").ToArray(), l);
        var batches = new Categorical("batch", Enumerable.Range(0, 6).Select(c => $"batch{c}").ToArray(), b);
        foreach (var run in new Func<int, ClassificationResult>[]
        {
            t => LabelTransfer.LeaveOneBatchOut(emb, labels, batches, threads: t),
            t => LabelTransfer.FixedReference(emb, labels, batches, ["batch0", "batch3"], threads: t),
        })
        {
            var one = run(1);
            var two = run(2);
            Assert.Equal(one.Predictions, two.Predictions);
            Assert.Equal(one.Scores.CellTypes, two.Scores.CellTypes); // records: exact double equality
            Assert.Equal(BitConverter.DoubleToInt64Bits(one.Scores.MacroF1), BitConverter.DoubleToInt64Bits(two.Scores.MacroF1));
            Assert.InRange(one.Scores.Accuracy, 0.3, 0.999); // a real classification problem, not a trivial one
        }
    }

    /// <summary>Overlapping Gaussian types with batch shifts (float32).</summary>
    static (Embedding Emb, int[] Batch, int[] Label) SimulatedCells(int n, int d, int batches, int labels)
    {
        var rng = new Random(17);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var centre = Enumerable.Range(0, labels * d).Select(_ => 0.4 * Gauss()).ToArray();
        var shift = Enumerable.Range(0, batches * d).Select(_ => 0.5 * Gauss()).ToArray();
        var x = new float[n * d];
        var b = new int[n];
        var l = new int[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = rng.Next(batches); l[i] = rng.Next(labels);
            for (int t = 0; t < d; t++) x[i * d + t] = (float)(centre[l[i] * d + t] + shift[b[i] * d + t] + Gauss());
        }
        return (new Embedding(n, d, x), b, l);
    }
}
