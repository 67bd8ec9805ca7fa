using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScBatchProx.Metrics.Benchmark;

namespace ScBatchProx.Metrics.Classification;

/// <summary>How queries and references are chosen (<see cref="LabelTransfer"/>).</summary>
public enum TransferProtocol
{
    /// <summary>Each batch in turn is predicted from all other batches.</summary>
    LeaveOneBatchOut,
    /// <summary>Fixed reference batches; every other batch is predicted from them.</summary>
    FixedReference,
}

/// <summary>Label-transfer scores of one embedding under one protocol, and every cell's prediction.</summary>
public sealed class ClassificationResult
{
    public string Embedding { get; init; } = "";
    public TransferProtocol Protocol { get; init; }
    /// <summary>Reference batches of <see cref="TransferProtocol.FixedReference"/>; empty for leave-one-batch-out.</summary>
    public IReadOnlyList<string> ReferenceBatches { get; init; } = [];
    /// <summary>Neighbours per vote.</summary>
    public int K { get; init; }
    /// <summary>Cells left out up front because their label or batch was missing.</summary>
    public int ExcludedCells { get; init; }
    public required ClassificationScores Scores { get; init; }
    /// <summary>Cell-type names the codes in <see cref="Predictions"/> refer to (sorted).</summary>
    public IReadOnlyList<string> CellTypeCategories { get; init; } = [];
    /// <summary>Per input cell: the predicted cell-type code, or -1 for a cell that was not predicted
    /// (excluded, or in a reference batch).</summary>
    public int[] Predictions { get; init; } = [];

    /// <summary>"leave_one_batch_out" or "fixed_reference", as written to JSON and CSV.</summary>
    public string ProtocolName => Protocol == TransferProtocol.LeaveOneBatchOut ? "leave_one_batch_out" : "fixed_reference";

    /// <summary>
    /// {"embedding", "protocol", "reference_batches", "k", "cells", "excluded_cells", "accuracy",
    /// "macro_f1", "cell_types": [{"cell_type", "support", "predicted", "true_positives", "precision",
    /// "recall", "f1"}]}; NaN is written as null (JSON has no NaN), as in BenchmarkResult.
    /// </summary>
    public JsonObject ToJsonNode()
    {
        var types = new JsonArray();
        foreach (var t in Scores.CellTypes)
            types.Add(new JsonObject
            {
                ["cell_type"] = t.CellType, ["support"] = t.Support, ["predicted"] = t.Predicted, ["true_positives"] = t.TruePositives,
                ["precision"] = BenchmarkJson.Number(t.Precision), ["recall"] = BenchmarkJson.Number(t.Recall), ["f1"] = BenchmarkJson.Number(t.F1),
            });
        return new JsonObject
        {
            ["embedding"] = Embedding,
            ["protocol"] = ProtocolName,
            ["reference_batches"] = new JsonArray(ReferenceBatches.Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
            ["k"] = K,
            ["cells"] = Scores.Cells,
            ["excluded_cells"] = ExcludedCells,
            ["accuracy"] = BenchmarkJson.Number(Scores.Accuracy),
            ["macro_f1"] = BenchmarkJson.Number(Scores.MacroF1),
            ["cell_types"] = types,
        };
    }

    public string ToJson(bool indented = true) => ToJsonNode().ToJsonString(new JsonSerializerOptions { WriteIndented = indented });

    /// <summary>Columns of <see cref="SummaryCsvRow"/>.</summary>
    public static IReadOnlyList<string> SummaryCsvHeader { get; } =
        ["embedding", "protocol", "reference_batches", "k", "cells", "excluded_cells", "accuracy", "macro_f1"];

    /// <summary>
    /// One row of unquoted fields for a one-row-per-embedding table (numbers invariant, round-trip;
    /// reference batches joined by ';'). The caller quotes and joins the fields: names may hold commas.
    /// </summary>
    public string[] SummaryCsvRow() =>
        [Embedding, ProtocolName, string.Join(';', ReferenceBatches), I(K), I(Scores.Cells), I(ExcludedCells), N(Scores.Accuracy), N(Scores.MacroF1)];

    /// <summary>Columns of <see cref="CellTypeCsvRows"/>.</summary>
    public static IReadOnlyList<string> CellTypeCsvHeader { get; } =
        ["embedding", "protocol", "cell_type", "support", "predicted", "true_positives", "precision", "recall", "f1"];

    /// <summary>One row of unquoted fields per cell type, in category order (see <see cref="SummaryCsvRow"/>).</summary>
    public IEnumerable<string[]> CellTypeCsvRows() =>
        Scores.CellTypes.Select(t => new[] { Embedding, ProtocolName, t.CellType, I(t.Support), I(t.Predicted), I(t.TruePositives), N(t.Precision), N(t.Recall), N(t.F1) });

    static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
