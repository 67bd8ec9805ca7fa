using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ScBatchProx.Core.Method;
using ScBatchProx.Data;

namespace ScBatchProx.Core.Model;

/// <summary>
/// The model file (docs/file-formats.md): JSON with a format name and version. Floats are written
/// in their shortest round-trip form, so saving and loading gives the same bits. Version 1 files
/// load for transforming known batches; every other problem is an <see cref="InputError"/> that
/// says what is wrong.
/// </summary>
internal static class ModelFile
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // names and versions stay readable ("1.0+abc", not "1.0\u002Babc"); the file is never embedded in HTML
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToJson(RefinementModel model) => JsonSerializer.Serialize(model, Json);

    public static void Save(RefinementModel model, string path) =>
        AtomicFile.Write(path, tmp => File.WriteAllText(tmp, ToJson(model)));

    public static RefinementModel Load(string path)
    {
        if (Directory.Exists(path)) throw new InputError($"{path}: is a folder, not a model file.");
        if (!File.Exists(path)) throw new InputError($"{path}: model file not found.");
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InputError($"{path}: cannot read the model file: {e.Message}", e); }
        return FromJson(json, path);
    }

    public static RefinementModel FromJson(string json, string source)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new InputError($"{source}: not a model file: the JSON is malformed or truncated ({e.Message})", e); }
        if (root is not JsonObject obj || obj["format"] is not JsonValue f || !f.TryGetValue<string>(out var format) || format != RefinementModel.FormatName)
            throw new InputError($"{source}: not a {RefinementModel.FormatName} file (its \"format\" field is missing or different).");
        if (obj["version"] is not JsonValue v || !v.TryGetValue<int>(out var version))
            throw new InputError($"{source}: the model file has no integer \"version\" field.");
        if (version > RefinementModel.CurrentVersion)
            throw new InputError($"{source}: model format version {version} is newer than this tool ({RefinementModel.CurrentToolVersion}) understands (up to {RefinementModel.CurrentVersion}); use a newer scbatchprox.");
        RefinementModel? model;
        try
        {
            model = version switch
            {
                1 => obj.Deserialize<Version1>(Json)?.Upgrade(),
                RefinementModel.CurrentVersion => obj.Deserialize<RefinementModel>(Json),
                _ => throw new InputError($"{source}: model format version {version} is not one this tool knows (1 to {RefinementModel.CurrentVersion})."),
            };
        }
        catch (JsonException e) { throw new InputError($"{source}: not a valid model file: {e.Message}", e); }
        if (model is null) throw new InputError($"{source}: the model file is empty (null).");
        Validate(model, source);
        return model;
    }

    /// <summary>Shapes and values that a model must have before any of it is used.</summary>
    static void Validate(RefinementModel m, string source)
    {
        void Require(bool ok, string problem) { if (!ok) throw new InputError($"{source}: invalid model: {problem}."); }
        try { m.Options.Validate(); }
        catch (InputError e) { throw new InputError($"{source}: invalid model: its options are out of range ({e.Message}).", e); }
        int d = m.Normalisation.Mean.Length;
        Require(d >= 1, "the normalisation mean is empty");
        Require(double.IsFinite(m.Normalisation.Scale) && m.Normalisation.Scale > 0, $"the normalisation scale is {m.Normalisation.Scale}, not a positive number");
        Require(m.Normalisation.Mean.All(double.IsFinite), "the normalisation mean has non-finite values");
        var shape = m.Shape;
        Require(m.Theta.Length == shape.ThetaLength, $"'theta' has {m.Theta.Length} values; dimension {d} and hidden width {shape.Hidden} need {shape.ThetaLength}");
        Require(m.Theta.All(float.IsFinite), "'theta' has non-finite values");
        int k = m.Masses.Length;
        Require(k >= 1, "there are no prototypes");
        Require(m.Prototypes.Length == k * d, $"'prototypes' has {m.Prototypes.Length} values; {k} prototypes of dimension {d} need {k * d}");
        Require(m.Prototypes.All(float.IsFinite) && m.Masses.All(x => double.IsFinite(x) && x >= 0), "the prototypes or their masses have non-finite or negative values");
        Require(m.SharedPrototypes.Length is 0 || m.SharedPrototypes.Length == k, $"'sharedPrototypes' has {m.SharedPrototypes.Length} values for {k} prototypes");
        Require(m.RoundsRun >= 0, "'roundsRun' is negative");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in m.Batches)
        {
            Require(!string.IsNullOrEmpty(b.Batch) && names.Add(b.Batch), $"batch name '{b.Batch}' is empty or repeated");
            Require(b.Film is null || b.Film.Length == shape.PhiLength && b.Film.All(float.IsFinite), $"batch '{b.Batch}': 'film' must hold {shape.PhiLength} finite values");
            Require(b.Theta is null || b.Theta.Length == shape.ThetaLength && b.Theta.All(float.IsFinite), $"batch '{b.Batch}': 'theta' must hold {shape.ThetaLength} finite values");
        }
    }

    /// <summary>The layout of format version 1 (before shared-prototype flags and extension); it loads for transforming known batches.</summary>
    sealed record Version1
    {
        public string? EmbedKey { get; init; }
        public string? BatchKey { get; init; }
        public required RefineOptions Options { get; init; }
        public required double[] Mean { get; init; }
        public required double Scale { get; init; }
        public required float[] Theta { get; init; }
        public required float[] Prototypes { get; init; }
        public required double[] Masses { get; init; }
        public required int RoundsRun { get; init; }
        public required List<Batch1> Batches { get; init; }

        public sealed record Batch1(string Batch, long Cells, float[] Film);

        public RefinementModel Upgrade() => new()
        {
            EmbedKey = EmbedKey, BatchKey = BatchKey, Options = Options, Normalisation = new Normalisation(Mean, Scale),
            Theta = Theta, Prototypes = Prototypes, Masses = Masses, SharedPrototypes = [], RoundsRun = RoundsRun,
            ToolVersion = "format 1",
            // a coordinator's version-1 model wrote empty FiLM arrays for the sites' batches
            Batches = Batches.Select(b => new BatchParameters { Batch = b.Batch, Cells = b.Cells, Training = BatchTraining.Federated, Film = b.Film.Length == 0 ? null : b.Film }).ToList(),
        };
    }
}
