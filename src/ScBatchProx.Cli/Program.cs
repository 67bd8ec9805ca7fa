using System.CommandLine;
using ScBatchProx.Cli.Commands;

namespace ScBatchProx.Cli;

public static class Program
{
    /// <summary>Exit code of a run that failed for a reason other than its input (an unreachable or failing server, an internal error).</summary>
    public const int ExitFailure = 1;
    public const int ExitInputError = 2;

    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand(
            "ScBatchProx refines a single-cell embedding (PCA, scVI, Harmony, ...) to remove batch effects, " +
            "the federated way: every batch is a client with its own small FiLM adapter; clients share parameters " +
            "and summary statistics, never cells. Start with 'scbatchprox demo', then " +
            "'scbatchprox refine data.h5ad --embed X_pca --batch batch'.");
        root.Subcommands.Add(RefineCommand.Create());
        root.Subcommands.Add(ModelCommands.Apply());
        root.Subcommands.Add(ModelCommands.Extend());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(BenchmarkCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(JoinCommand.Create());
        // signals are handled once, by Interruption, not by System.CommandLine's own handler
        using var signals = Interruption.Listen();
        int code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, Interruption.Token);
        return Interruption.ExitCode ?? code;
    }
}
