using PureHDF;
using PureHDF.Selections;
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

    /// <summary>A string array of <paramref name="length"/> values written later, part by part (<see cref="H5NativeWriter"/>).</summary>
    public static H5Dataset<string[]> DeferredStringArray(int length) => Tag(new H5Dataset<string[]>(fileDims: [(ulong)length]), "string-array", "0.2.0");

    /// <summary>
    /// A cells x dims float32 array written later in row blocks; contiguous and uncompressed, as
    /// anndata writes obsm without a compression argument, so a reader can fetch any rows directly.
    /// </summary>
    public static H5Dataset<float[]> DeferredDenseArray(int rows, int cols) =>
        Tag(new H5Dataset<float[]>(fileDims: [(ulong)rows, (ulong)cols]), "array", "0.2.0");

    /// <summary>
    /// A dense cells x dims array in the requested float width, contiguous and uncompressed like
    /// <see cref="DeferredDenseArray"/> (deflating a million-cell embedding would cost seconds for little gain).
    /// </summary>
    public static H5Dataset DenseArray(Embedding embedding, bool asFloat64)
    {
        object data = asFloat64 ? Array.ConvertAll(embedding.Data, v => (double)v) : embedding.Data;
        return Tag(new H5Dataset(data, fileDims: [(ulong)embedding.Rows, (ulong)embedding.Cols]), "array", "0.2.0");
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
        return CategoricalGroup(column.Categories, Tag(H5Storage.Dataset(codes, [(ulong)column.Length]), "array", "0.2.0"));
    }

    /// <summary>A categorical column whose codes are written later, block by block (<see cref="DeferredCodes"/>).</summary>
    public static (H5Group Group, DeferredCodes Codes) DeferredCategorical(string[] categories, int length)
    {
        var codes = new DeferredCodes(categories.Length, length);
        return (CategoricalGroup(categories, Tag(codes.Dataset, "array", "0.2.0")), codes);
    }

    static H5Group CategoricalGroup(string[] categories, H5Dataset codes)
    {
        var group = Tag(new H5Group { ["categories"] = StringArray(categories), ["codes"] = codes }, "categorical", "0.2.0");
        group.Attributes["ordered"] = H5Bool.FALSE;
        return group;
    }

    /// <summary>A data frame of categorical columns with a string index stored as <c>_index</c>.</summary>
    public static H5Group DataFrame(string[] index, IReadOnlyList<Categorical> columns)
    {
        foreach (var column in columns)
            if (column.Length != index.Length)
                throw new ArgumentException($"obs column '{column.Name}' has {column.Length} values for {index.Length} cells.", nameof(columns));
        return DataFrame(StringArray(index), columns.Select(c => (c.Name, Categorical(c))).ToList());
    }

    /// <summary>A data frame with the index dataset <paramref name="index"/> and the given (name, encoded column) pairs, in order.</summary>
    public static H5Group DataFrame(H5Dataset index, IReadOnlyList<(string Name, H5Group Column)> columns)
    {
        var group = Tag(new H5Group { ["_index"] = index }, "dataframe", "0.2.0");
        foreach (var (name, column) in columns)
        {
            if (name is "_index" || group.ContainsKey(name))
                throw new ArgumentException($"obs column name '{name}' is reserved or repeated.", nameof(columns));
            group[name] = column;
        }
        group.Attributes["_index"] = "_index";
        group.Attributes["column-order"] = columns.Select(c => c.Name).ToArray();
        return group;
    }
}

/// <summary>
/// The codes dataset of a categorical column written block by block, in the narrowest signed
/// integer type (as <see cref="AnnDataEncoding.Categorical"/> chooses it).
/// </summary>
internal sealed class DeferredCodes
{
    readonly int _categories;
    public H5Dataset Dataset { get; }

    public DeferredCodes(int categories, int length)
    {
        _categories = categories;
        ulong[] dims = [(ulong)length];
        Dataset = categories switch
        {
            < sbyte.MaxValue => new H5Dataset<sbyte[]>(fileDims: dims),
            < short.MaxValue => new H5Dataset<short[]>(fileDims: dims),
            _ => new H5Dataset<int[]>(fileDims: dims),
        };
    }

    public void Write(H5NativeWriter writer, int start, int[] codes)
    {
        foreach (var c in codes)
            if (c < -1 || c >= _categories) throw new ArgumentException($"categorical code {c} is outside -1..{_categories - 1}.", nameof(codes));
        var selection = new HyperslabSelection((ulong)start, (ulong)codes.Length);
        switch (Dataset)
        {
            case H5Dataset<sbyte[]> d8: writer.Write(d8, Array.ConvertAll(codes, c => (sbyte)c), fileSelection: selection); break;
            case H5Dataset<short[]> d16: writer.Write(d16, Array.ConvertAll(codes, c => (short)c), fileSelection: selection); break;
            case H5Dataset<int[]> d32: writer.Write(d32, codes, fileSelection: selection); break;
        }
    }
}
