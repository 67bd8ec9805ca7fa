using ScBatchProx.Data;
using ScBatchProx.IO;

namespace ScBatchProx.Workflows;

/// <summary>
/// Where a job writes its refined embedding: a file (default: the input's name with '.scbatchprox'
/// before the extension) and an obsm key. <see cref="Resolve"/> checks everything that can be
/// checked before the long work starts, so a bad output never costs a run.
/// </summary>
public sealed record OutputTarget
{
    public const string DefaultKey = "X_scbatchprox";

    /// <summary>Output file; null means the default next to the input (or the input itself when <see cref="InPlace"/>).</summary>
    public string? Path { get; init; }
    public string Key { get; init; } = DefaultKey;
    /// <summary>Write into the input file (replaced atomically, its permissions kept).</summary>
    public bool InPlace { get; init; }
    /// <summary>Allow replacing an obsm entry the input already has.</summary>
    public bool OverwriteKey { get; init; }

    public static string DefaultPath(string input) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(input) ?? ".", System.IO.Path.GetFileNameWithoutExtension(input) + ".scbatchprox" + System.IO.Path.GetExtension(input));

    /// <summary>The output path, after checking the key, the folder, the in-place rules and that no input embedding is overwritten unasked.</summary>
    public string Resolve(Dataset input)
    {
        if (string.IsNullOrWhiteSpace(Key) || Key.Contains('/') || Key is "." or "..")
            throw InputError.ForOption(nameof(Key), $"output key '{Key}' ({{option}}) is not a valid obsm key (empty, '/', '.' or '..').");
        string inFull = System.IO.Path.GetFullPath(input.Path);
        string outPath = System.IO.Path.GetFullPath(Path ?? (InPlace ? input.Path : DefaultPath(input.Path)));
        AtomicFile.CheckWritable(outPath);
        bool same = string.Equals(inFull, outPath, StringComparison.Ordinal);
        if (same && !InPlace)
            throw InputError.ForOption(nameof(InPlace), $"{outPath}: the output is the input file; set {{option}} to write into it, or choose another output.");
        if (same && IsReadOnly(inFull))
            throw new InputError($"{inFull}: the input is read-only; it is not replaced in place.");
        if (input.IsAnnData && !Dataset.IsAnnDataPath(outPath))
            throw new InputError($"{outPath}: an .h5ad input is written to an .h5ad output; give the output the .h5ad extension.");
        if (input.IsAnnData && input.HasObsm(Key) && !OverwriteKey)
            throw InputError.ForOption(nameof(OverwriteKey), $"{input.Path}: obsm '{Key}' already exists in the input; choose another output key, or set {{option}} to replace it.");
        return outPath;
    }

    /// <summary>Read-only by its permissions (even for a user, such as root, who could write it anyway).</summary>
    static bool IsReadOnly(string path) => OperatingSystem.IsWindows()
        ? File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly)
        : !File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserWrite);
}
