using PureHDF;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// Read-only view of an AnnData .h5ad file: the obs index and columns and the obsm embeddings.
/// Reads only what is asked for (the file is memory-mapped), so opening a large file is cheap:
/// the obs names are decoded on first use of <see cref="ObsNames"/> (a million variable-length
/// strings take PureHDF tens of seconds), and X is never read.
/// </summary>
public sealed class AnnDataFile : IDisposable
{
    readonly H5Input _input;
    readonly IH5Group _obs;
    readonly IH5Group? _obsm;

    readonly Lazy<string[]> _obsNames;

    public string Path => _input.Path;
    /// <summary>Cells: the length of the obs index.</summary>
    public int NObs { get; }
    /// <summary>The obs index (cell ids), from the dataset named by the obs group's <c>_index</c> attribute; read on first use.</summary>
    public string[] ObsNames => _obsNames.Value;
    /// <summary>obs column names in file order (the <c>column-order</c> attribute when present).</summary>
    public IReadOnlyList<string> ObsColumns { get; }
    public IReadOnlyList<string> ObsmKeys { get; }

    AnnDataFile(H5Input input)
    {
        _input = input;
        var root = input.Root;
        _obs = input.Guard("obs", () => root.LinkExists("obs") ? root.Get("obs") as IH5Group : null)
            ?? throw InputError.For(Path, "obs", "is missing or not a group (is this an AnnData .h5ad file written by anndata >= 0.7?).");
        _obsm = input.Guard("obsm", () => root.LinkExists("obsm") ? root.Group("obsm") : null);
        var indexName = input.Guard("obs", () => _obs.AttributeExists("_index") ? _obs.Attribute("_index").Read<string>() : "_index");
        var index = input.Guard("obs", () => _obs.LinkExists(indexName) && _obs.Get(indexName) is IH5Dataset d
            ? d
            : throw InputError.For(Path, "obs", $"has no index dataset '{indexName}'."));
        NObs = input.Guard("obs", () => index.Space.Dimensions is [var length]
            ? checked((int)length)
            : throw InputError.For(Path, "obs", $"index '{indexName}' is not one-dimensional."));
        _obsNames = new Lazy<string[]>(() => input.Guard("obs", () =>
            ObsColumnDecoder.Strings(index).Select(s => s ?? "").ToArray()));
        ObsColumns = input.Guard("obs", () => ColumnOrder(indexName));
        ObsmKeys = input.Guard("obsm", () => _obsm?.Children().Select(c => c.Name).ToArray() ?? []);
    }

    /// <summary>Opens <paramref name="path"/>; throws <see cref="InputError"/> when it is missing or not a readable .h5ad.</summary>
    public static AnnDataFile Open(string path)
    {
        var input = H5Input.Open(path);
        try { return new AnnDataFile(input); }
        catch { input.Dispose(); throw; }
    }

    string[] ColumnOrder(string indexName)
    {
        if (_obs.AttributeExists("column-order"))
        {
            var order = _obs.Attribute("column-order");
            // anndata writes an empty column order as an empty float64 array.
            return order.Space.Dimensions is [0] ? [] : H5Values.ToStrings(H5Values.Read(H5Values.Of(order))).Select(s => s ?? "").ToArray();
        }
        return _obs.Children().Select(c => c.Name).Where(n => n != indexName && n != "__categories").ToArray();
    }

    /// <summary>(rows, cols) of obsm[<paramref name="key"/>].</summary>
    public (int Rows, int Cols) ObsmShape(string key)
    {
        var dims = ObsmDataset(key).Space.Dimensions;
        return ((int)dims[0], (int)dims[1]);
    }

    /// <summary>True when obsm[<paramref name="key"/>] is stored as float64 (so a result can be written back in the same dtype).</summary>
    public bool ObsmIsFloat64(string key) => ObsmDataset(key).Type.Size == 8;

    /// <summary>obsm[<paramref name="key"/>] as float32, checked to be 2-D, floating point and n_obs rows.</summary>
    public Embedding ReadObsm(string key)
    {
        var dataset = ObsmDataset(key);
        var (rows, cols) = ObsmShape(key);
        var data = _input.Guard(key, () => dataset.Type.Size == 8
            ? Array.ConvertAll(dataset.Read<double[]>(), v => (float)v)
            : dataset.Read<float[]>());
        return new Embedding(rows, cols, data);
    }

    IH5Dataset ObsmDataset(string key) => _input.Guard(key, () =>
    {
        if (_obsm is null || !_obsm.LinkExists(key))
            throw InputError.For(Path, key, $"no such obsm entry; obsm keys present: {List(ObsmKeys)}.");
        if (_obsm.Get(key) is not IH5Dataset dataset)
            throw InputError.For(Path, key, "obsm entry is not a dense array (sparse or data frame entries are not embeddings).");
        var dims = dataset.Space.Dimensions;
        if (dims.Length != 2)
            throw InputError.For(Path, key, $"obsm entry has {dims.Length} dimension(s); an embedding must be 2-D (cells x dims).");
        if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size is not (4 or 8))
            throw InputError.For(Path, key, $"obsm entry has HDF5 type {dataset.Type.Class} of {dataset.Type.Size} bytes; expected float32 or float64.");
        if (dims[0] != (ulong)NObs)
            throw InputError.For(Path, key, $"obsm entry has {dims[0]} rows but obs has {NObs} cells.");
        return dataset;
    });

    /// <summary>
    /// obs[<paramref name="name"/>] as a categorical with ordinally sorted categories; non-categorical
    /// columns are stringified, missing values (NaN, empty, code -1) become code -1.
    /// </summary>
    public Categorical ReadObsColumn(string name) => _input.Guard(name, () =>
    {
        if (!ObsColumns.Contains(name) && !_obs.LinkExists(name))
            throw InputError.For(Path, name, $"no such obs column; obs columns present: {List(ObsColumns)}.");
        var column = ObsColumnDecoder.Column(_input.Root, _obs, name);
        if (column.Length != NObs)
            throw InputError.For(Path, name, $"obs column has {column.Length} values but obs has {NObs} cells.");
        return column;
    });

    /// <summary>The string scalars under uns/<paramref name="group"/> (empty when the group is absent); other members are skipped.</summary>
    public IReadOnlyDictionary<string, string> ReadUnsStrings(string group) => _input.Guard("uns/" + group, () =>
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var root = _input.Root;
        if (!root.LinkExists("uns") || root.Get("uns") is not IH5Group uns || !uns.LinkExists(group) || uns.Get(group) is not IH5Group g) return result;
        foreach (var child in g.Children())
            if (child is IH5Dataset ds && H5Values.IsScalar(H5Values.Of(ds)) && H5Values.Read(H5Values.Of(ds)) is string value)
                result[child.Name] = value;
        return result;
    });

    /// <summary>The whole file in PureHDF's writable object model, for rewriting it with changes.</summary>
    /// <summary>The whole file as a writable copy; large datasets are read while the copy is written, so keep this file open until then.</summary>
    internal H5Copy ReadAll() => _input.Guard(null, () => H5TreeCopy.ReadAll(_input));

    static string List(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "(none)";

    public void Dispose() => _input.Dispose();
}
