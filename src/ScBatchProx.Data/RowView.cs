namespace ScBatchProx.Data;

/// <summary>Some rows of an embedding, in a given order, without copying them (a batch's cells inside the whole input).</summary>
public readonly record struct RowView(Embedding Source, int[] Rows)
{
    /// <summary>Every row of <paramref name="source"/>.</summary>
    public static RowView All(Embedding source) => new(source, Enumerable.Range(0, source.Rows).ToArray());

    public int Count => Rows.Length;
    public int Cols => Source.Cols;
    public ReadOnlySpan<float> Row(int i) => Source.RowReadOnly(Rows[i]);

    /// <summary>The rows as a new embedding (a copy).</summary>
    public Embedding Copy() => Source.SelectRows(Rows);
}
