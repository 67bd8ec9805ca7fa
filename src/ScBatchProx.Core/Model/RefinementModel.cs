using System.Text.Json;
using System.Text.Json.Serialization;
using ScBatchProx.Core.Method;
using ScBatchProx.Data;

namespace ScBatchProx.Core.Model;

/// <summary>Per-batch part of a trained model.</summary>
public sealed record BatchParameters(string Batch, long Cells, float[] Film, float[] LocalTheta);

/// <summary>
/// A trained refinement, saved as versioned JSON: normalisation, global and per-batch adapter
/// parameters, prototypes, hyper-parameters and the input key names. Enough to re-apply the
/// refinement to new cells of a known batch.
/// </summary>
public sealed record RefinementModel
{
    public const string FormatName = "scbatchprox-model";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;
    public string? EmbedKey { get; init; }
    public string? BatchKey { get; init; }
    public required RefineOptions Options { get; init; }
    public required int Dim { get; init; }
    public required double[] Mean { get; init; }
    public required double Scale { get; init; }
    public required float[] Theta { get; init; }
    public required float[] Prototypes { get; init; }
    public required double[] Masses { get; init; }
    public required int RoundsRun { get; init; }
    public required IReadOnlyList<BatchParameters> Batches { get; init; }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RefinementModel FromJson(string json, string source)
    {
        RefinementModel? m;
        try { m = JsonSerializer.Deserialize<RefinementModel>(json, Json); }
        catch (JsonException e) { throw new InputError($"{source}: not a valid model file: {e.Message}", e); }
        if (m is null || m.Format != FormatName) throw new InputError($"{source}: not a {FormatName} file.");
        if (m.Version > CurrentVersion) throw new InputError($"{source}: model version {m.Version} is newer than this tool understands ({CurrentVersion}).");
        return m;
    }
}
