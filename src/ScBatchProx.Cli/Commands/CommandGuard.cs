using ScBatchProx.Data;

namespace ScBatchProx.Cli.Commands;

/// <summary>Maps failures to exit codes: bad input (named file, key, problem) is 2, anything else 1.</summary>
public static class CommandGuard
{
    public static async Task<int> Run(Func<Task<int>> action)
    {
        try { return await action(); }
        catch (InputError e) { Console.Error.WriteLine("error: " + e.MessageFor(Flags.Of)); return Program.ExitInputError; }
        catch (ArgumentException e) { Console.Error.WriteLine("error: " + e.Message); return Program.ExitInputError; }
        catch (OperationCanceledException) { Console.Error.WriteLine("cancelled"); return 130; }
    }
}
