using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// Cells as a user hands them over: an AnnData .h5ad file (obsm embeddings, obs columns, the run
/// record under uns/scbatchprox), or a plain embedding (.csv/.tsv/.npy) with a file of batch labels.
/// Reads only what is asked for. <see cref="Save"/> writes a copy with one embedding added,
/// everything else kept, atomically.
/// </summary>
public sealed class Dataset : IDisposable
{
    /// <summary>The obsm key under which a plain embedding file appears.</summary>
    public const string PlainKey = "X";

    readonly AnnDataFile? _file;
    readonly NamedEmbedding? _plain;
    readonly Categorical? _plainLabels;

    public string Path { get; }
    public bool IsAnnData => _file is not null;
    public int CellCount => _file?.NObs ?? _plain!.Embedding.Rows;
    public IReadOnlyList<string> ObsmKeys => _file?.ObsmKeys ?? [PlainKey];
    public IReadOnlyList<string> ObsColumns => _file?.ObsColumns ?? [_plainLabels!.Name];
    /// <summary>Cell ids: the obs index, the plain file's first column, or 0, 1, 2, ...</summary>
    public string[] ObsNames => _file?.ObsNames ?? _plain!.ObsNames
        ?? Enumerable.Range(0, CellCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    Dataset(string path, AnnDataFile? file, NamedEmbedding? plain, Categorical? labels)
    { Path = path; _file = file; _plain = plain; _plainLabels = labels; }

    public static bool IsAnnDataPath(string path) =>
        path.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens an .h5ad file.</summary>
    public static Dataset Open(string path)
    {
        RequireFile(path);
        if (!IsAnnDataPath(path)) throw new InputError($"{path}: not an .h5ad file; a plain embedding (.csv, .tsv, .npy) needs a file of batch labels.");
        return new Dataset(path, AnnDataFile.Open(path), null, null);
    }

    /// <summary>A plain embedding and a file with one batch label per cell (or a csv/tsv whose <paramref name="labelColumn"/> holds them).</summary>
    public static Dataset OpenPlain(string path, string labelFile, string? labelColumn)
    {
        RequireFile(path);
        RequireFile(labelFile);
        var plain = PlainEmbedding.Read(path);
        var labels = LabelFile.Read(labelFile, labelColumn);
        if (labels.Length != plain.Embedding.Rows)
            throw new InputError($"{labelFile}: {labels.Length} labels for the {plain.Embedding.Rows} rows of {path}.");
        return new Dataset(path, null, plain, labels);
    }

    static void RequireFile(string path)
    {
        if (Directory.Exists(path)) throw new InputError($"{path}: is a folder; expected a file.");
        if (!File.Exists(path)) throw new InputError($"{path}: file not found.");
    }

    public Embedding Obsm(string key)
    {
        if (_file is not null) return _file.ReadObsm(key);
        if (key != PlainKey) throw InputError.For(Path, key, $"a plain embedding file has one embedding, '{PlainKey}'.");
        return _plain!.Embedding;
    }

    public bool HasObsm(string key) => ObsmKeys.Contains(key);

    /// <summary>True when obsm[key] is float64, so an output can keep the input's dtype.</summary>
    public bool ObsmIsFloat64(string key) => _file?.ObsmIsFloat64(key) ?? false;

    public Categorical Obs(string column)
    {
        if (_file is not null) return _file.ReadObsColumn(column);
        if (column != _plainLabels!.Name) throw InputError.For(Path, column, $"the label file has column '{_plainLabels.Name}' only.");
        return _plainLabels;
    }

    /// <summary>The record a previous run of this tool left under uns/scbatchprox (empty when none).</summary>
    public IReadOnlyDictionary<string, string> RunRecord =>
        _file?.ReadUnsStrings(AnnDataWriter.UnsGroup) ?? new Dictionary<string, string>();

    /// <summary>
    /// Writes <paramref name="outPath"/>: for an .h5ad input a copy of the file with obsm[<paramref name="key"/>]
    /// set and <paramref name="runRecord"/> under uns/scbatchprox (float64 when the input embedding
    /// <paramref name="sourceKey"/> was); for a plain input an .h5ad with obs names, the batch labels and the
    /// embedding, or a plain file of the embedding alone. Atomic: a temporary file, then a rename.
    /// </summary>
    public void Save(string outPath, string key, Embedding embedding, IReadOnlyDictionary<string, string> runRecord, string? sourceKey = null)
    {
        if (embedding.Rows != CellCount) throw new ArgumentException($"the embedding has {embedding.Rows} rows for {CellCount} cells.", nameof(embedding));
        if (IsAnnDataPath(outPath))
        {
            if (_file is not null)
                AnnDataWriter.WriteWithObsm(Path, outPath, key, embedding, sourceKey is not null && ObsmIsFloat64(sourceKey), runRecord);
            else
                AnnDataWriter.WriteNew(outPath, new Dictionary<string, Embedding> { [key] = embedding }, ObsNames, [_plainLabels!], runRecord);
            return;
        }
        if (_file is not null)
            throw new InputError($"{outPath}: an .h5ad input is written to an .h5ad output; give the output the .h5ad extension.");
        PlainEmbedding.Write(outPath, embedding, _plain!.ObsNames);
    }

    public void Dispose() => _file?.Dispose();
}
