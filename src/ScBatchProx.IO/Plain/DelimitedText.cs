using System.Globalization;
using System.Text;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// Minimal CSV/TSV handling shared by embeddings and label files: the delimiter comes from the
/// extension, fields may be double-quoted (with "" for a quote), as pandas and R write them.
/// </summary>
internal static class DelimitedText
{
    /// <summary>',' for .csv, tab for .tsv/.tab, null for other extensions.</summary>
    public static char? DelimiterFor(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => ',',
        ".tsv" or ".tab" => '\t',
        _ => null,
    };

    /// <summary>All lines, without trailing blank lines (a final newline is not an empty record).</summary>
    public static List<string> ReadLines(string path)
    {
        if (!File.Exists(path)) throw InputError.For(path, null, "file not found.");
        var lines = File.ReadAllLines(path).ToList();
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    public static string[] Split(string line, char delimiter)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == delimiter) { fields.Add(field.ToString().Trim()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString().Trim());
        return fields.ToArray();
    }

    /// <summary>Quotes a field when it holds the delimiter, a quote or surrounding spaces.</summary>
    public static string Quote(string field, char delimiter) =>
        field.IndexOfAny([delimiter, '"', '\n', '\r']) >= 0 || field.Trim().Length != field.Length
            ? "\"" + field.Replace("\"", "\"\"") + "\""
            : field;

    /// <summary>Parses a number as numpy and R print them, including nan, inf and -inf.</summary>
    public static bool TryParseFloat(string s, out float value)
    {
        if (float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        switch (s.ToLowerInvariant())
        {
            case "nan" or "na" or "-nan": value = float.NaN; return true;
            case "inf" or "+inf" or "infinity" or "+infinity": value = float.PositiveInfinity; return true;
            case "-inf" or "-infinity": value = float.NegativeInfinity; return true;
            default: return false;
        }
    }
}
