using System.Reflection;
using System.Text.Json.Serialization;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Data;

namespace ScBatchProx.Core.Model;

/// <summary>How a batch's parameters were trained.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchTraining>))]
public enum BatchTraining
{
    /// <summary>In the federated rounds: its output uses the global shared parameters and its own FiLM.</summary>
    Federated,
    /// <summary>Added to a frozen model by extension: its own shared parameters (anchored to the global ones) and FiLM.</summary>
    Extension,
}

/// <summary>The per-batch part of a trained model.</summary>
public sealed record BatchParameters
{
    public required string Batch { get; init; }
    public required long Cells { get; init; }
    public required BatchTraining Training { get; init; }
    /// <summary>FiLM parameters phi_b (gamma, beta); null where they stayed at the site (a coordinator's model).</summary>
    public float[]? Film { get; init; }
    /// <summary>The batch's own shared parameters (extension only); null means the global ones.</summary>
    public float[]? Theta { get; init; }
}

/// <summary>
/// A trained refinement: the normalisation, the global shared adapter parameters, the prototypes
/// and their masses, each batch's parameters, the options and the input key names. It transforms
/// cells of the batches it knows without training, takes new batches by extension, and is saved
/// as a versioned file (docs/file-formats.md) that round-trips bitwise.
/// </summary>
public sealed record RefinementModel
{
    public const string FormatName = "scbatchprox-model";
    public const int CurrentVersion = 2;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;
    /// <summary>The version of the tool that wrote the model.</summary>
    public string ToolVersion { get; init; } = CurrentToolVersion;
    /// <summary>obsm key and obs column the model was trained on (null when not known, e.g. plain files).</summary>
    public string? EmbedKey { get; init; }
    public string? BatchKey { get; init; }
    public required RefineOptions Options { get; init; }
    public required Normalisation Normalisation { get; init; }
    /// <summary>Global shared parameters theta_bar.</summary>
    public required float[] Theta { get; init; }
    /// <summary>Global prototypes (K x d, normalised space), their masses and whether enough batches share each.</summary>
    public required float[] Prototypes { get; init; }
    public required double[] Masses { get; init; }
    public required bool[] SharedPrototypes { get; init; }
    /// <summary>Federated rounds run so far (an update continues the numbering).</summary>
    public required int RoundsRun { get; init; }
    public required IReadOnlyList<BatchParameters> Batches { get; init; }

    [JsonIgnore] public int Dim => Normalisation.Dim;
    [JsonIgnore] public AdapterShape Shape => new(Dim, Options.Hidden);

    public static string CurrentToolVersion { get; } =
        typeof(RefinementModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The model of a finished run, from its final broadcast plus the batch parameters that are known here.</summary>
    public static RefinementModel FromRun(RefineOptions options, Normalisation normalisation, FinalBroadcast final, IEnumerable<BatchParameters> batches) => new()
    {
        Options = options, Normalisation = normalisation, Theta = (float[])final.Theta.Clone(), Prototypes = (float[])final.Prototypes.Clone(),
        Masses = (double[])final.Masses.Clone(), SharedPrototypes = (bool[])final.SharedPrototypes.Clone(), RoundsRun = final.RoundsRun,
        Batches = batches.OrderBy(b => b.Batch, StringComparer.Ordinal).ToList(),
    };

    public BatchParameters? Find(string batch) => Batches.FirstOrDefault(b => b.Batch == batch);

    /// <summary>The adapter a batch's cells are transformed with.</summary>
    public BatchAdapter AdapterOf(BatchParameters b)
    {
        var film = b.Film ?? throw new InputError(
            $"the model holds no FiLM parameters for batch '{b.Batch}': a coordinator's model keeps them at the sites; use the model the site wrote when it joined.");
        return new BatchAdapter(Shape, Options.Activation, b.Theta ?? Theta, film);
    }

    /// <summary>
    /// The refined embedding of cells of batches the model knows, without training: bitwise what
    /// the refinement gave those cells. Every batch in <paramref name="batches"/> must be known.
    /// </summary>
    public Embedding Transform(Embedding z, Categorical batches, string source = "input", int threads = 1)
    {
        RequireKnown(Check(z, batches, source), source);
        Embedding? output = null;   // one block: the whole input
        TransformBlocks(z.Rows, (_, _) => z, batches, (_, block) => output = block, Math.Max(1, z.Rows), threads);
        return output ?? new Embedding(0, z.Cols);
    }

    /// <summary>Throws the input error that names every batch of <paramref name="parts"/> the model does not know.</summary>
    public void RequireKnown(BatchPartition parts, string source)
    {
        var unknown = parts.Batches.Where(b => Find(b) is null).ToList();
        if (unknown.Count > 0)
            throw new InputError($"{source}: {Quote(unknown)} of column '{parts.Column.Name}' {(unknown.Count == 1 ? "is" : "are")} not in the model, which knows {Quote(Batches.Select(b => b.Batch))}; " +
                                 "new batches join a model by extension (extend).");
    }

    /// <summary>
    /// The transform block by block, for inputs and outputs that do not fit in memory twice:
    /// <paramref name="rowsOf"/>(start, count) gives rows [start, start + count) of the input,
    /// <paramref name="sink"/>(start, refined) receives their refined rows. Every batch must be known
    /// (<see cref="RequireKnown"/>). Returns each batch's mean shift ||z' - z||.
    /// </summary>
    public IReadOnlyDictionary<string, double> TransformBlocks(int rows, Func<int, int, Embedding> rowsOf, Categorical batches,
        Action<int, Embedding> sink, int blockRows, int threads)
    {
        var adapters = new BatchAdapter?[batches.CategoryCount];
        var shiftSums = new double[batches.CategoryCount];
        var counts = new long[batches.CategoryCount];
        for (int start = 0; start < rows; start += blockRows)
        {
            int count = Math.Min(blockRows, rows - start);
            var block = rowsOf(start, count);
            var output = new Embedding(count, Dim);
            var codes = batches.Codes.AsSpan(start, count);
            for (int b = 0; b < batches.CategoryCount; b++)
            {
                var local = new List<int>();
                for (int i = 0; i < count; i++) if (codes[i] == b) local.Add(i);
                if (local.Count == 0) continue;
                adapters[b] ??= AdapterOf(Find(batches.Categories[b]) ?? throw new InputError($"batch '{batches.Categories[b]}' is not in the model."));
                shiftSums[b] += adapters[b]!.Apply(block, local.ToArray(), Normalisation, output, threads);
                counts[b] += local.Count;
            }
            sink(start, output);
        }
        var shifts = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int b = 0; b < shiftSums.Length; b++) if (counts[b] > 0) shifts[batches.Categories[b]] = shiftSums[b] / counts[b];
        return shifts;
    }

    /// <summary>Checks the embedding's width and the batch column, and splits the rows by batch.</summary>
    internal BatchPartition Check(Embedding z, Categorical batches, string source)
    {
        if (z.Cols != Dim)
            throw new InputError($"{source}: the embedding has {z.Cols} dimensions but the model was trained on {Dim}{(EmbedKey is null ? "" : $" (obsm '{EmbedKey}')")}.");
        if (z.Rows != batches.Length)
            throw new InputError($"{source}: the embedding has {z.Rows} rows but batch column '{batches.Name}' has {batches.Length} values.");
        int missing = batches.MissingCount();
        if (missing > 0)
            throw new InputError($"{source}: batch column '{batches.Name}' is missing for {missing} cell(s) (first row {Array.IndexOf(batches.Codes, -1)}); every cell needs a batch.");
        var bad = z.NonFiniteRows();
        if (bad.Count > 0)
            throw new InputError($"{source}: the embedding has NaN or Inf values in {bad.Count} row(s), first rows (0-based): {string.Join(", ", bad.Take(10))}.");
        return BatchPartition.Of(batches);
    }

    internal static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => "'" + n + "'"));

    public void Save(string path) => ModelFile.Save(this, path);
    public static RefinementModel Load(string path) => ModelFile.Load(path);
    public string ToJson() => ModelFile.ToJson(this);
    public static RefinementModel FromJson(string json, string source) => ModelFile.FromJson(json, source);

    /// <summary>
    /// Adds the batches of <paramref name="batches"/> that the model does not know, each trained on
    /// its own against the frozen model (no server, no other site's data); cells of known batches
    /// are transformed, not retrained. With <see cref="ExtendSettings.Update"/> every batch trains
    /// further rounds together instead, and the known batches' output changes.
    /// </summary>
    public Task<Extension> ExtendAsync(Embedding z, Categorical batches, ExtendSettings? settings = null, string source = "input") =>
        ModelExtension.RunAsync(this, z, batches, settings ?? new ExtendSettings(), source);
}
