using PureHDF;
using PureHDF.VOL.Native;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// Decodes one obs column, whichever way anndata stored it, into per-cell strings (null = missing):
/// <list type="bullet">
/// <item>anndata >= 0.8: a group with encoding-type categorical holding <c>codes</c> and <c>categories</c>;</item>
/// <item>anndata 0.7: a codes dataset whose <c>categories</c> attribute is an object reference to the
/// category strings (obs/__categories/NAME, or uns/NAME_categories in some writers), or without the
/// attribute but with obs/__categories/NAME present;</item>
/// <item>nullable-integer / nullable-boolean groups (anndata >= 0.9): <c>values</c> plus a <c>mask</c> of missing;</item>
/// <item>a plain dataset of strings, integers, booleans or floats (NaN = missing).</item>
/// </list>
/// </summary>
internal static class ObsColumnDecoder
{
    /// <summary>
    /// The column as a <see cref="Categorical"/> (ordinally sorted categories, unused ones dropped,
    /// missing = -1), the same as <see cref="Categorical.FromStrings"/> of <see cref="Values"/>.
    /// Categorical groups are mapped code by code without building a string per cell.
    /// </summary>
    public static Categorical Column(NativeFile root, IH5Group obs, string name)
    {
        if (obs.Get(name) is IH5Group group && group.LinkExists("codes") && group.LinkExists("categories"))
            return FromCodes(name, group.Dataset("codes"), Strings(group.Dataset("categories")));
        return Categorical.FromStrings(name, Values(root, obs, name));
    }

    public static string?[] Values(NativeFile root, IH5Group obs, string name)
    {
        var item = obs.Get(name);
        if (item is IH5Group group)
        {
            if (group.LinkExists("codes") && group.LinkExists("categories"))
                return FromCodes(group.Dataset("codes"), Strings(group.Dataset("categories")));
            if (group.LinkExists("values") && group.LinkExists("mask"))
                return Masked(Strings(group.Dataset("values")), Strings(group.Dataset("mask")));
            throw new NotSupportedException($"obs column group with members {string.Join(", ", group.Children().Select(c => c.Name))}");
        }
        var dataset = (IH5Dataset)item;
        if (dataset.AttributeExists("categories") && dataset.Attribute("categories").Type.Class == H5DataTypeClass.Reference)
        {
            var target = root.Get(dataset.Attribute("categories").Read<NativeObjectReference1>());
            return FromCodes(dataset, Strings((IH5Dataset)target));
        }
        if (obs.LinkExists("__categories") && obs.Group("__categories").LinkExists(name))
            return FromCodes(dataset, Strings(obs.Group("__categories").Dataset(name)));
        return Strings(dataset);
    }

    /// <summary>A dataset's values as strings (see <see cref="H5Values.ToStrings"/>).</summary>
    public static string?[] Strings(IH5Dataset dataset) => H5Values.ToStrings(ToArray(H5Values.Read(H5Values.Of(dataset))));

    static object ToArray(object value) => value is Array ? value : throw new NotSupportedException("a scalar where one value per cell was expected");

    /// <summary>
    /// Codes into <paramref name="categories"/> recoded to the present, non-missing category values in
    /// ordinal order (categories that are null/empty count as missing; equal strings merge).
    /// </summary>
    static Categorical FromCodes(string name, IH5Dataset codesDataset, string?[] categories)
    {
        var codes = ValidCodes(codesDataset, categories.Length);
        var used = new bool[categories.Length];
        foreach (var c in codes) if (c >= 0) used[c] = true;
        var present = new SortedSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < categories.Length; c++)
            if (used[c] && !string.IsNullOrEmpty(categories[c])) present.Add(categories[c]!);
        var sorted = present.ToArray();
        var recode = new int[categories.Length];
        for (int c = 0; c < categories.Length; c++)
            recode[c] = string.IsNullOrEmpty(categories[c]) ? -1 : Array.BinarySearch(sorted, categories[c], StringComparer.Ordinal) is var p && p >= 0 ? p : -1;
        var result = new int[codes.Length];
        for (int i = 0; i < codes.Length; i++) result[i] = codes[i] < 0 ? -1 : recode[codes[i]];
        return new Categorical(name, sorted, result);
    }

    static string?[] FromCodes(IH5Dataset codesDataset, string?[] categories)
    {
        var codes = ValidCodes(codesDataset, categories.Length);
        var values = new string?[codes.Length];
        for (int i = 0; i < codes.Length; i++) values[i] = codes[i] < 0 ? null : categories[codes[i]];
        return values;
    }

    /// <summary>The codes as ints, each checked to be in -1..count-1.</summary>
    static int[] ValidCodes(IH5Dataset codesDataset, int count)
    {
        var codes = H5Values.ToLongs(H5Values.Read(H5Values.Of(codesDataset)));
        var result = new int[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            if (codes[i] < -1 || codes[i] >= count)
                throw new InvalidDataException($"categorical code {codes[i]} at row {i} is outside -1..{count - 1}");
            result[i] = (int)codes[i];
        }
        return result;
    }

    // The mask is true where the value is missing.
    static string?[] Masked(string?[] values, string?[] mask) =>
        values.Select((v, i) => mask[i] == "True" ? null : v).ToArray();
}
