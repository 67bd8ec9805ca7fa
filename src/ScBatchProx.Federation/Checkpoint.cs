using System.Text.Json;
using System.Text.Json.Serialization;
using ScBatchProx.Data;
using ScBatchProx.Core.Federation;

namespace ScBatchProx.Federation;

/// <summary>The server's state after a round, written atomically so a restarted server can resume.</summary>
public sealed record Checkpoint
{
    public const string FormatName = "scbatchprox-checkpoint";
    public string Format { get; init; } = FormatName;
    public const int CurrentVersion = 2;
    public int Version { get; init; } = CurrentVersion;
    /// <summary>Rounds aggregated so far.</summary>
    public required int RoundsRun { get; init; }
    /// <summary>The server decided to stop (converged or last round): a resumed run goes straight to the final step.</summary>
    public required bool Stopped { get; init; }
    public required ServerState State { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Environment.ProcessId + ".tmp");
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path)) throw new InputError($"{path}: checkpoint not found.");
        Checkpoint? c;
        try { c = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InputError($"{path}: not a valid checkpoint: {e.Message}", e); }
        if (c is null || c.Format != FormatName) throw new InputError($"{path}: not a {FormatName} file.");
        if (c.Version != CurrentVersion)
            throw new InputError($"{path}: checkpoint format version {c.Version}; this tool resumes only version {CurrentVersion} (a run checkpointed by another version cannot be resumed: start it again).");
        return c;
    }
}
