using System.Text;

namespace ScBatchProx.Cli.Commands;

/// <summary>
/// The command-line flag of a library option, for error messages: the library names options by
/// their property names (InPlace, LearningRate); the CLI shows the flag a user types.
/// </summary>
public static class Flags
{
    // options whose flag is not the kebab-case of the property name
    static readonly Dictionary<string, string> Renamed = new(StringComparer.Ordinal)
    {
        ["Tolerance"] = "--tol", ["KMeansRestarts"] = "--kmeans-restarts", ["CompactFromRound"] = "--compact-from",
        ["LearningRate"] = "--lr", ["MiniBatch"] = "--minibatch", ["LocalEpochs"] = "--epochs", ["StepsPerRound"] = "--steps", ["StatisticsCells"] = "--stats-cells",
        ["UseFilm"] = "--no-film", ["CheckpointFile"] = "--checkpoint",
        ["Token"] = "--token-file", ["CaFile"] = "--ca", ["CertFile"] = "--cert", ["KeyFile"] = "--cert-key",
    };

    public static string Of(string option)
    {
        if (Renamed.TryGetValue(option, out var flag)) return flag;
        var sb = new StringBuilder("--");
        for (int i = 0; i < option.Length; i++)
        {
            if (char.IsUpper(option[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(option[i]));
        }
        return sb.ToString();
    }
}
