namespace ScBatchProx.Data;

/// <summary>
/// A dense cell embedding: <see cref="Rows"/> cells by <see cref="Cols"/> dimensions, row-major float32.
/// float32 is what every upstream tool (scanpy, scVI, Harmony) stores in obsm; metrics widen to double.
/// </summary>
public sealed class Embedding
{
    public int Rows { get; }
    public int Cols { get; }
    /// <summary>Row-major values, length Rows * Cols.</summary>
    public float[] Data { get; }

    public Embedding(int rows, int cols, float[] data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (data.Length != (long)rows * cols)
            throw new ArgumentException($"data has {data.Length} values, expected {rows} x {cols} = {(long)rows * cols}.", nameof(data));
        Rows = rows; Cols = cols; Data = data;
    }

    public Embedding(int rows, int cols) : this(rows, cols, new float[checked(rows * cols)]) { }

    public Span<float> Row(int i) => Data.AsSpan(i * Cols, Cols);
    public ReadOnlySpan<float> RowReadOnly(int i) => new(Data, i * Cols, Cols);

    public float this[int i, int j]
    {
        get => Data[i * Cols + j];
        set => Data[i * Cols + j] = value;
    }

    public Embedding Clone() => new(Rows, Cols, (float[])Data.Clone());

    /// <summary>Rows listed in <paramref name="rows"/>, in that order.</summary>
    public Embedding SelectRows(ReadOnlySpan<int> rows)
    {
        var result = new Embedding(rows.Length, Cols);
        for (int r = 0; r < rows.Length; r++) RowReadOnly(rows[r]).CopyTo(result.Row(r));
        return result;
    }

    /// <summary>Index of the first row holding NaN or +-Inf, or -1 when every value is finite.</summary>
    public int FirstNonFiniteRow()
    {
        for (int i = 0; i < Rows; i++)
            foreach (var v in RowReadOnly(i))
                if (!float.IsFinite(v)) return i;
        return -1;
    }

    /// <summary>All rows holding NaN or +-Inf.</summary>
    public List<int> NonFiniteRows()
    {
        var bad = new List<int>();
        for (int i = 0; i < Rows; i++)
            foreach (var v in RowReadOnly(i))
                if (!float.IsFinite(v)) { bad.Add(i); break; }
        return bad;
    }
}
