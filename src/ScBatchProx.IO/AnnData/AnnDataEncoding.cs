using PureHDF;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// Builds HDF5 objects in the anndata 0.8 on-disk encoding (every element tagged with
/// encoding-type / encoding-version attributes), so anndata reads what we write without guessing.
/// </summary>
internal static class AnnDataEncoding
{
    static T Tag<T>(T element, string type, string version) where T : H5Object
    {
        element.Attributes["encoding-type"] = type;
        element.Attributes["encoding-version"] = version;
        return element;
    }

    public static H5Group Dict() => Tag(new H5Group(), "dict", "0.1.0");

    public static H5Dataset StringScalar(string value) => Tag(new H5Dataset(value), "string", "0.2.0");

    public static H5Dataset StringArray(string[] values) => Tag(H5Storage.Dataset(values, [(ulong)values.Length]), "string-array", "0.2.0");

    /// <summary>A dense cells x dims array in the requested float width.</summary>
    public static H5Dataset DenseArray(Embedding embedding, bool asFloat64)
    {
        object data = asFloat64 ? Array.ConvertAll(embedding.Data, v => (double)v) : embedding.Data;
        return Tag(H5Storage.Dataset(data, [(ulong)embedding.Rows, (ulong)embedding.Cols]), "array", "0.2.0");
    }

    /// <summary>Codes in the narrowest signed integer type, as pandas chooses them; -1 = missing.</summary>
    public static H5Group Categorical(Categorical column)
    {
        object codes = column.CategoryCount switch
        {
            < sbyte.MaxValue => Array.ConvertAll(column.Codes, c => (sbyte)c),
            < short.MaxValue => Array.ConvertAll(column.Codes, c => (short)c),
            _ => column.Codes,
        };
        var group = Tag(new H5Group
        {
            ["categories"] = StringArray(column.Categories),
            ["codes"] = Tag(H5Storage.Dataset(codes, [(ulong)column.Length]), "array", "0.2.0"),
        }, "categorical", "0.2.0");
        group.Attributes["ordered"] = H5Bool.FALSE;
        return group;
    }

    /// <summary>A data frame of categorical columns with a string index stored as <c>_index</c>.</summary>
    public static H5Group DataFrame(string[] index, IReadOnlyList<Categorical> columns)
    {
        var group = Tag(new H5Group { ["_index"] = StringArray(index) }, "dataframe", "0.2.0");
        foreach (var column in columns)
        {
            if (column.Name is "_index" || group.ContainsKey(column.Name))
                throw new ArgumentException($"obs column name '{column.Name}' is reserved or repeated.", nameof(columns));
            if (column.Length != index.Length)
                throw new ArgumentException($"obs column '{column.Name}' has {column.Length} values for {index.Length} cells.", nameof(columns));
            group[column.Name] = Categorical(column);
        }
        group.Attributes["_index"] = "_index";
        group.Attributes["column-order"] = columns.Select(c => c.Name).ToArray();
        return group;
    }
}
