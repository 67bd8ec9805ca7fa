using PureHDF;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>Writes .h5ad files, always atomically (see <see cref="AtomicFile"/>).</summary>
public static class AnnDataWriter
{
    /// <summary>Group under uns holding <c>unsStrings</c>: uns/scbatchprox/NAME.</summary>
    public const string UnsGroup = "scbatchprox";

    /// <summary>
    /// Writes <paramref name="outputPath"/> as a copy of <paramref name="inputPath"/> with
    /// obsm[<paramref name="key"/>] set to <paramref name="embedding"/> (float64 when
    /// <paramref name="asFloat64"/>, else float32) and <paramref name="unsStrings"/> stored as string
    /// scalars under uns/scbatchprox. Every other group, dataset and attribute is kept with its values.
    /// </summary>
    public static void WriteWithObsm(string inputPath, string outputPath, string key, Embedding embedding, bool asFloat64,
        IReadOnlyDictionary<string, string>? unsStrings = null)
    {
        CheckName(key, outputPath);
        H5File root;
        // Everything is read into memory before writing, so the output may replace the input.
        using (var input = AnnDataFile.Open(inputPath))
        {
            if (embedding.Rows != input.NObs)
                throw InputError.For(inputPath, key, $"the embedding has {embedding.Rows} rows but the file has {input.NObs} cells.");
            root = input.ReadAll();
        }
        Child(root, "obsm", inputPath)[key] = AnnDataEncoding.DenseArray(embedding, asFloat64);
        AddUnsStrings(root, unsStrings, outputPath);
        AtomicFile.Write(outputPath, temp => root.Write(temp));
    }

    /// <summary>
    /// Writes a new minimal AnnData file: the given obs index, categorical obs columns and obsm
    /// embeddings, no X (n_vars = 0, an empty var), and <paramref name="unsStrings"/> under uns/scbatchprox.
    /// </summary>
    public static void WriteNew(string outputPath, IReadOnlyDictionary<string, Embedding> obsm, string[] obsNames,
        IReadOnlyList<Categorical> obsColumns, IReadOnlyDictionary<string, string>? unsStrings = null)
    {
        var obsmGroup = AnnDataEncoding.Dict();
        foreach (var (key, embedding) in obsm)
        {
            CheckName(key, outputPath);
            if (embedding.Rows != obsNames.Length)
                throw new ArgumentException($"obsm['{key}'] has {embedding.Rows} rows for {obsNames.Length} cells.", nameof(obsm));
            obsmGroup[key] = AnnDataEncoding.DenseArray(embedding, asFloat64: false);
        }
        var root = new H5File
        {
            ["obs"] = AnnDataEncoding.DataFrame(obsNames, obsColumns),
            ["var"] = AnnDataEncoding.DataFrame([], []),
            ["obsm"] = obsmGroup,
            ["uns"] = AnnDataEncoding.Dict(),
            ["layers"] = AnnDataEncoding.Dict(),
            ["obsp"] = AnnDataEncoding.Dict(),
            ["varm"] = AnnDataEncoding.Dict(),
            ["varp"] = AnnDataEncoding.Dict(),
        };
        root.Attributes["encoding-type"] = "anndata";
        root.Attributes["encoding-version"] = "0.1.0";
        AddUnsStrings(root, unsStrings, outputPath);
        AtomicFile.Write(outputPath, temp => root.Write(temp));
    }

    static void AddUnsStrings(H5Group root, IReadOnlyDictionary<string, string>? unsStrings, string outputPath)
    {
        if (unsStrings is null || unsStrings.Count == 0) return;
        var group = Child(Child(root, "uns", outputPath), UnsGroup, outputPath);
        foreach (var (name, value) in unsStrings)
        {
            CheckName(name, outputPath);
            group[name] = AnnDataEncoding.StringScalar(value);
        }
    }

    /// <summary>The dict group <paramref name="name"/> under <paramref name="parent"/>, created when absent.</summary>
    static H5Group Child(H5Group parent, string name, string file)
    {
        if (parent.TryGetValue(name, out var existing))
            return existing as H5Group ?? throw InputError.For(file, name, "exists but is not a group.");
        var group = AnnDataEncoding.Dict();
        parent[name] = group;
        return group;
    }

    static void CheckName(string name, string outputPath)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/') || name is "." or "..")
            throw InputError.For(outputPath, name, "is not a valid HDF5 member name (empty, '/', '.' or '..').");
    }
}
