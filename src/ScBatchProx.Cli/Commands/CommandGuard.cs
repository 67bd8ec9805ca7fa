using ScBatchProx.Data;
using ScBatchProx.Federation;

namespace ScBatchProx.Cli.Commands;

/// <summary>
/// Maps failures to one line and an exit code: bad input (named file, key, problem) is 2; a
/// federated run that failed is 1; an interrupted command is 130 or 143 (see <see cref="Interruption"/>);
/// anything else is an internal error: 1, with the details written to a file under the temporary folder.
/// </summary>
public static class CommandGuard
{
    public static async Task<int> Run(Func<Task<int>> action)
    {
        try { return await action(); }
        catch (InputError e) { Console.Error.WriteLine("error: " + e.MessageFor(Flags.Of)); return Program.ExitInputError; }
        catch (ArgumentException e) { Console.Error.WriteLine("error: " + e.Message); return Program.ExitInputError; }
        catch (FederationException e) { Console.Error.WriteLine("error: " + e.Message); return Program.ExitFailure; }
        catch (OperationCanceledException) when (Interruption.ExitCode is int code) { Console.Error.WriteLine("stopped"); return code; }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: internal error: {e.Message} ({Details(e)})");
            return Program.ExitFailure;
        }
    }

    /// <summary>Writes the exception with its stack to a file and says where; the terminal gets one line.</summary>
    static string Details(Exception e)
    {
        var path = Path.Combine(Path.GetTempPath(), $"scbatchprox-error-{DateTime.Now:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        try
        {
            File.WriteAllText(path, $"scbatchprox {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}\n{DateTime.Now:O}\n\n{e}\n");
            return "details in " + path;
        }
        catch (Exception io) when (io is IOException or UnauthorizedAccessException) { return $"details could not be written to {path}: {io.Message}"; }
    }
}
