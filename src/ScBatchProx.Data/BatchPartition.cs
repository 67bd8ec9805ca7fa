namespace ScBatchProx.Data;

/// <summary>The rows of one batch, in input order.</summary>
public sealed record BatchPart(string Batch, int[] Rows);

/// <summary>
/// The cells of a batch column split by batch: one part per batch that has cells, in the column's
/// (ordinal) category order. Cells with a missing batch belong to no part.
/// </summary>
public sealed class BatchPartition
{
    public Categorical Column { get; }
    public IReadOnlyList<BatchPart> Parts { get; }
    public IEnumerable<string> Batches => Parts.Select(p => p.Batch);

    BatchPartition(Categorical column, IReadOnlyList<BatchPart> parts) { Column = column; Parts = parts; }

    public static BatchPartition Of(Categorical column)
    {
        var rows = new List<int>[column.CategoryCount];
        for (int b = 0; b < rows.Length; b++) rows[b] = [];
        for (int i = 0; i < column.Length; i++) if (column.Codes[i] >= 0) rows[column.Codes[i]].Add(i);
        var parts = new List<BatchPart>();
        for (int b = 0; b < rows.Length; b++)
            if (rows[b].Count > 0) parts.Add(new BatchPart(column.Categories[b], rows[b].ToArray()));
        return new BatchPartition(column, parts);
    }

    /// <summary>The rows of <paramref name="batch"/>, or null when it has no cells.</summary>
    public int[]? RowsOf(string batch) => Parts.FirstOrDefault(p => p.Batch == batch)?.Rows;
}
