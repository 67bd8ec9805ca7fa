using PureHDF;
using PureHDF.Selections;
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
        // The input stays open while the copy is written (large datasets stream from it); the copy goes
        // to a temporary file renamed at the end, so the output may replace the input.
        using var input = AnnDataFile.Open(inputPath);
        if (embedding.Rows != input.NObs)
            throw InputError.For(inputPath, key, $"the embedding has {embedding.Rows} rows but the file has {input.NObs} cells.");
        var copy = input.ReadAll();
        Child(copy.Root, "obsm", inputPath)[key] = AnnDataEncoding.DenseArray(embedding, asFloat64);
        AddUnsStrings(copy.Root, unsStrings, outputPath);
        AtomicFile.Write(outputPath, copy.Write);
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
        var root = NewRoot(AnnDataEncoding.DataFrame(obsNames, obsColumns), obsmGroup, unsStrings, outputPath);
        AtomicFile.Write(outputPath, temp => root.Write(temp));
    }

    /// <summary>
    /// Writes a new minimal AnnData file like <see cref="WriteNew"/> with one float32 obsm
    /// embedding, whose rows, obs names and categorical codes arrive in consecutive blocks, so only
    /// one block is in memory at a time (an atlas of 1e7 cells x 50 dims holds 2 GB of floats).
    /// The blocks must cover rows 0..n-1 in order and carry one code array per column of
    /// <paramref name="obsColumns"/> (name and categories).
    /// </summary>
    public static void WriteNewStreamed(string outputPath, string obsmKey, int cells, int dims,
        IReadOnlyList<(string Name, string[] Categories)> obsColumns, IEnumerable<ObsBlock> blocks,
        IReadOnlyDictionary<string, string>? unsStrings = null)
    {
        CheckName(obsmKey, outputPath);
        var index = AnnDataEncoding.DeferredStringArray(cells);
        var embedding = AnnDataEncoding.DeferredDenseArray(cells, dims);
        var columns = obsColumns.Select(c => (c.Name, Encoded: AnnDataEncoding.DeferredCategorical(c.Categories, cells))).ToList();
        var obsmGroup = AnnDataEncoding.Dict();
        obsmGroup[obsmKey] = embedding;
        var obs = AnnDataEncoding.DataFrame(index, columns.Select(c => (c.Name, c.Encoded.Group)).ToList());
        var root = NewRoot(obs, obsmGroup, unsStrings, outputPath);
        AtomicFile.Write(outputPath, temp =>
        {
            using var writer = root.BeginWrite(temp);
            int next = 0;
            foreach (var block in blocks)
            {
                int rows = block.Embedding.Rows;
                if (block.Start != next || block.ObsNames.Length != rows || block.Embedding.Cols != dims || next + rows > cells
                    || block.Codes.Count != columns.Count || block.Codes.Any(c => c.Length != rows))
                    throw new ArgumentException($"block at row {block.Start} ({rows} x {block.Embedding.Cols}, {block.ObsNames.Length} names, " +
                        $"{block.Codes.Count} code columns) does not continue rows 0..{next - 1} of {cells} x {dims} with {columns.Count} columns.", nameof(blocks));
                writer.Write(index, block.ObsNames, fileSelection: new HyperslabSelection((ulong)next, (ulong)rows));
                writer.Write(embedding, block.Embedding.Data, fileSelection: new HyperslabSelection(2, [(ulong)next, 0], [(ulong)rows, (ulong)dims]));
                for (int c = 0; c < columns.Count; c++) columns[c].Encoded.Codes.Write(writer, next, block.Codes[c]);
                next += rows;
            }
            if (next != cells) throw new ArgumentException($"the blocks hold {next} rows, expected {cells}.", nameof(blocks));
        });
    }

    /// <summary>The groups of an AnnData file without X: obs, an empty var, obsm, empty uns/layers/obsp/varm/varp.</summary>
    static H5File NewRoot(H5Group obs, H5Group obsm, IReadOnlyDictionary<string, string>? unsStrings, string outputPath)
    {
        var root = new H5File
        {
            ["obs"] = obs,
            ["var"] = AnnDataEncoding.DataFrame([], []),
            ["obsm"] = obsm,
            ["uns"] = AnnDataEncoding.Dict(),
            ["layers"] = AnnDataEncoding.Dict(),
            ["obsp"] = AnnDataEncoding.Dict(),
            ["varm"] = AnnDataEncoding.Dict(),
            ["varp"] = AnnDataEncoding.Dict(),
        };
        root.Attributes["encoding-type"] = "anndata";
        root.Attributes["encoding-version"] = "0.1.0";
        AddUnsStrings(root, unsStrings, outputPath);
        return root;
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

/// <param name="Start">first row of the block.</param>
/// <param name="ObsNames">obs names of its rows.</param>
/// <param name="Embedding">its rows of the obsm embedding.</param>
/// <param name="Codes">per obs column, the category codes of its rows (-1 = missing).</param>
public sealed record ObsBlock(int Start, string[] ObsNames, Embedding Embedding, IReadOnlyList<int[]> Codes);
