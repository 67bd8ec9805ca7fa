namespace ScBatchProx.Data;

/// <summary>
/// Bad user input: the message names the file, the key and the problem, so the CLI can print it as
/// is and exit with code 2. Never used for programming errors.
/// </summary>
public sealed class InputError(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>"FILE: key 'KEY': PROBLEM" (key part omitted when null).</summary>
    public static InputError For(string? file, string? key, string problem) =>
        new((file is null ? "" : file + ": ") + (key is null ? "" : $"key '{key}': ") + problem);
}
