using System.CommandLine;
using ScBatchProx.Cli.Terminal;
using ScBatchProx.Workflows;
using Spectre.Console;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>scbatchprox refine</c>: refine one obsm embedding and write it as a new obsm key.</summary>
public static class RefineCommand
{
    public static Command Create()
    {
        var cells = new CellOptions();
        var threads = ThreadsOption.Create("Batches refined in parallel (results do not depend on it).");
        var label = new Option<string?>("--label") { Description = "Optional obs column with cell types: if given, the scIB aggregates before and after are printed (labels are never used by the method)." };
        var saveModel = new Option<FileInfo?>("--save-model") { Description = "Write the trained model (normalisation, adapters, prototypes, options) for 'apply' and 'extend'." };
        var method = new MethodOptions();
        var cmd = new Command("refine",
            "Refine an embedding to remove batch effects. Reads IN, trains one FiLM adapter per batch in federated rounds, " +
            "and writes the input with the refined embedding added under --key (everything else unchanged).")
        { threads, label, saveModel };
        cells.AddTo(cmd);
        method.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var job = new RefineJob
            {
                Input = cells.Source(r), Output = cells.Output(r), Options = method.Read(r),
                ModelOut = r.GetValue(saveModel)?.FullName, Threads = ThreadsOption.Read(r, threads),
            };
            var outcome = await ProgressDisplay.RunAsync("refine", job.Options.Rounds, p => RefineWorkflow.RunAsync(job, p, ct));
            using var input = outcome.Input;
            Summary.Print(outcome);
            if (r.GetValue(label) is string labelKey)
            {
                var (before, after) = Evaluation.BeforeAfter(input, labelKey, outcome.Fit.Refined, job.Threads);
                AnsiConsole.Write(ScoreTables.BeforeAfter(before, after));
            }
            return 0;
        }));
        return cmd;
    }
}
