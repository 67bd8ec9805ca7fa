using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// Per-cell labels (e.g. batch) from a plain file: either one value per line, or a .csv/.tsv table
/// with a header row where <c>column</c> names the column to use. In a one-value-per-line file a
/// first line equal to <c>column</c> is taken as a header. Empty values are missing (code -1).
/// </summary>
public static class LabelFile
{
    public static Categorical Read(string path, string? column)
    {
        var lines = DelimitedText.ReadLines(path);
        if (lines.Count == 0) throw InputError.For(path, column, "the label file is empty.");
        // Tab-separated content is recognised in any file; commas only in .csv (labels may contain them).
        var delimiter = DelimitedText.DelimiterFor(path) ?? (lines[0].Contains('\t') ? '\t' : null);
        var header = delimiter is char d ? DelimitedText.Split(lines[0], d) : [lines[0].Trim()];
        var name = column ?? System.IO.Path.GetFileNameWithoutExtension(path);
        if (header.Length == 1)
        {
            var values = lines.Select(l => delimiter is char dd ? DelimitedText.Split(l, dd)[0] : l.Trim()).ToList();
            if (column is not null && values[0] == column) values.RemoveAt(0);
            if (values.Count == 0) throw InputError.For(path, column, "has a header but no labels.");
            return Categorical.FromStrings(name, values);
        }
        if (column is null)
            throw InputError.For(path, null, $"has several columns ({string.Join(", ", header)}); name the one holding the labels.");
        int index = Array.IndexOf(header, column);
        if (index < 0)
            throw InputError.For(path, column, $"no such column; columns present: {string.Join(", ", header)}.");
        var labels = new string?[lines.Count - 1];
        for (int i = 1; i < lines.Count; i++)
        {
            var fields = DelimitedText.Split(lines[i], delimiter!.Value);
            if (fields.Length != header.Length)
                throw InputError.For(path, column, $"line {i + 1} has {fields.Length} fields, expected {header.Length} like the header.");
            labels[i - 1] = fields[index];
        }
        if (labels.Length == 0) throw InputError.For(path, column, "has a header but no labels.");
        return Categorical.FromStrings(column, labels);
    }
}
