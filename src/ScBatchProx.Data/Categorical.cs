namespace ScBatchProx.Data;

/// <summary>
/// A categorical per-cell annotation (obs column): integer codes into a category list.
/// Code -1 marks a missing value (NaN / empty), as pandas does. Categories are kept in ordinal
/// sorted order so that every loop over them matches np.unique / pd.Categorical ordering.
/// </summary>
public sealed class Categorical
{
    public string Name { get; }
    public string[] Categories { get; }
    public int[] Codes { get; }
    public int Length => Codes.Length;
    public int CategoryCount => Categories.Length;

    public Categorical(string name, string[] categories, int[] codes)
    {
        Name = name; Categories = categories; Codes = codes;
        foreach (var c in codes)
            if (c < -1 || c >= categories.Length)
                throw new ArgumentException($"column '{name}': code {c} is outside 0..{categories.Length - 1}.");
    }

    /// <summary>Builds a categorical from raw strings; null or empty strings become missing (-1).</summary>
    public static Categorical FromStrings(string name, IReadOnlyList<string?> values)
    {
        var distinct = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var v in values) if (!string.IsNullOrEmpty(v)) distinct.Add(v);
        var cats = distinct.ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < cats.Length; i++) index[cats[i]] = i;
        var codes = new int[values.Count];
        for (int i = 0; i < codes.Length; i++)
            codes[i] = string.IsNullOrEmpty(values[i]) ? -1 : index[values[i]!];
        return new Categorical(name, cats, codes);
    }

    /// <summary>
    /// Same values with categories in ordinal sorted order and unused categories dropped
    /// (files may store categories in any order or keep unused ones).
    /// </summary>
    public Categorical Normalized()
    {
        var values = new string?[Codes.Length];
        for (int i = 0; i < values.Length; i++) values[i] = Codes[i] < 0 ? null : Categories[Codes[i]];
        return FromStrings(Name, values);
    }

    public string? ValueAt(int i) => Codes[i] < 0 ? null : Categories[Codes[i]];

    public int MissingCount() => Codes.Count(c => c < 0);

    /// <summary>Number of cells per category code.</summary>
    public int[] Counts()
    {
        var counts = new int[Categories.Length];
        foreach (var c in Codes) if (c >= 0) counts[c]++;
        return counts;
    }
}
