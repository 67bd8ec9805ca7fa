using System.Globalization;
using System.Text;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>An embedding read from a plain file, with its cell names when the file had them.</summary>
public sealed record NamedEmbedding(Embedding Embedding, string[]? ObsNames);

/// <summary>
/// Embeddings as .csv/.tsv (one row per cell; an optional header row and an optional first column of
/// cell names are detected) or .npy (2-D float32/float64).
/// </summary>
public static class PlainEmbedding
{
    public static NamedEmbedding Read(string path)
    {
        if (IsNpy(path)) return new NamedEmbedding(Npy.Read(path), null);
        return ReadDelimited(path, Delimiter(path));
    }

    /// <summary>Writes .csv/.tsv (cell names as first column under a header, when given) or float32 .npy (names dropped).</summary>
    public static void Write(string path, Embedding embedding, string[]? obsNames = null)
    {
        if (obsNames is not null && obsNames.Length != embedding.Rows)
            throw new ArgumentException($"{obsNames.Length} cell names for {embedding.Rows} rows.", nameof(obsNames));
        if (IsNpy(path)) { AtomicFile.Write(path, temp => Npy.Write(temp, embedding)); return; }
        var delimiter = Delimiter(path);
        AtomicFile.Write(path, temp => WriteDelimited(temp, embedding, obsNames, delimiter));
    }

    static bool IsNpy(string path) => System.IO.Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase);

    static char Delimiter(string path) => DelimitedText.DelimiterFor(path)
        ?? throw InputError.For(path, null, "unknown embedding format; use .h5ad, .csv, .tsv or .npy.");

    static NamedEmbedding ReadDelimited(string path, char delimiter)
    {
        var rows = DelimitedText.ReadLines(path).Select(l => DelimitedText.Split(l, delimiter)).ToList();
        if (rows.Count == 0) throw InputError.For(path, null, "the file is empty.");
        // A names column holds non-numbers in the data rows; with only one row, judge by that row.
        var probe = rows.Count > 1 ? rows[1] : rows[0];
        bool hasNames = !IsNumber(probe[0]);
        // A header has a non-number after the names column, or an empty corner cell (pandas' to_csv
        // writes ",0,1,..." when the columns are numbered).
        bool hasHeader = rows[0].Skip(hasNames ? 1 : 0).Any(c => !IsNumber(c)) || (hasNames && rows[0][0].Length == 0 && rows.Count > 1);
        int first = hasHeader ? 1 : 0, skip = hasNames ? 1 : 0;
        if (rows.Count == first) throw InputError.For(path, null, "has a header but no data rows.");
        int cols = rows[first].Length - skip;
        if (cols <= 0) throw InputError.For(path, null, $"line {first + 1} has no numeric columns.");
        var data = new float[(rows.Count - first) * cols];
        var names = hasNames ? new string[rows.Count - first] : null;
        for (int r = first; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Length - skip != cols)
                throw InputError.For(path, null, $"line {r + 1} has {row.Length} fields, expected {cols + skip} like line {first + 1}.");
            if (names is not null) names[r - first] = row[0];
            for (int c = 0; c < cols; c++)
                if (!DelimitedText.TryParseFloat(row[c + skip], out data[(r - first) * cols + c]))
                    throw InputError.For(path, null, $"line {r + 1}, column {c + skip + 1}: '{row[c + skip]}' is not a number.");
        }
        return new NamedEmbedding(new Embedding(rows.Count - first, cols, data), names);
    }

    static bool IsNumber(string s) => DelimitedText.TryParseFloat(s, out _);

    static void WriteDelimited(string path, Embedding embedding, string[]? obsNames, char delimiter)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.NewLine = "\n";
        var line = new StringBuilder();
        if (obsNames is not null)
        {
            line.Append("cell");
            for (int c = 0; c < embedding.Cols; c++) line.Append(delimiter).Append("dim").Append(c.ToString(CultureInfo.InvariantCulture));
            writer.WriteLine(line);
        }
        for (int r = 0; r < embedding.Rows; r++)
        {
            line.Clear();
            if (obsNames is not null) line.Append(DelimitedText.Quote(obsNames[r], delimiter)).Append(delimiter);
            var row = embedding.RowReadOnly(r);
            for (int c = 0; c < row.Length; c++)
            {
                if (c > 0) line.Append(delimiter);
                // Shortest text that parses back to the same float32.
                line.Append(row[c].ToString(CultureInfo.InvariantCulture));
            }
            writer.WriteLine(line);
        }
    }
}
