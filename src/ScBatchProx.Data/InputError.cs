namespace ScBatchProx.Data;

/// <summary>
/// Bad user input: the message names the file, the key and the problem, so the CLI can print it as
/// is and exit with code 2. Never used for programming errors. A problem that an option fixes names
/// that option by its library name (e.g. InPlace); the CLI shows the matching flag (--in-place)
/// through <see cref="MessageFor"/>.
/// </summary>
public sealed class InputError(string message, Exception? inner = null) : Exception(message, inner)
{
    const string Slot = "{option}";
    string? _template;

    /// <summary>The option that fixes the problem, when there is one.</summary>
    public string? Option { get; private init; }

    /// <summary>"FILE: key 'KEY': PROBLEM" (key part omitted when null).</summary>
    public static InputError For(string? file, string? key, string problem) =>
        new((file is null ? "" : file + ": ") + (key is null ? "" : $"key '{key}': ") + problem);

    /// <summary>A problem worded around an option: <paramref name="template"/> holds "{option}" where the option is named.</summary>
    public static InputError ForOption(string option, string template) =>
        new(template.Replace(Slot, option)) { Option = option, _template = template };

    /// <summary>The message with the option shown as <paramref name="show"/> presents it (e.g. as a command-line flag).</summary>
    public string MessageFor(Func<string, string> show) => _template is null || Option is null ? Message : _template.Replace(Slot, show(Option));
}
