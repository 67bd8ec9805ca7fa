using System.CommandLine;
using ScBatchProx.Cli.Terminal;
using ScBatchProx.Workflows;
using Spectre.Console;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>scbatchprox apply</c> and <c>scbatchprox extend</c>: a saved model at work on new cells.</summary>
public static class ModelCommands
{
    static Option<FileInfo> ModelOption() => new("--model") { Description = "A model written by 'refine --save-model', 'extend --model-out' or 'join --model-out'.", Required = true };

    public static Command Apply()
    {
        var model = ModelOption();
        var cells = new CellOptions(keysFromModel: true);
        var cmd = new Command("apply",
            "Transform cells of batches the model knows, without training: the output equals what 'refine' gave those cells, bit for bit. " +
            "A batch the model does not know is an error; add it with 'extend'.") { model };
        cells.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(() =>
        {
            var outcome = ModelWorkflows.Apply(new ApplyJob { ModelPath = r.GetValue(model)!.FullName, Input = cells.Source(r), Output = cells.Output(r) });
            AnsiConsole.WriteLine($"Applied {r.GetValue(model)!.Name} to {outcome.Cells} cells of {string.Join(", ", outcome.Batches)} -> {outcome.OutputPath}");
            return Task.FromResult(0);
        }));
        return cmd;
    }

    public static Command Extend()
    {
        var model = ModelOption();
        var cells = new CellOptions(keysFromModel: true);
        var modelOut = new Option<FileInfo?>("--model-out") { Description = "Write the extended model (so that later arrivals can extend it again)." };
        var update = new Option<bool>("--update") { Description = "Instead of training only the new batches against the frozen model, run further federated rounds with every batch (the known batches then move too)." };
        var threads = ThreadsOption.Create("Batches trained in parallel (results do not depend on it).");
        var cmd = new Command("extend",
            "Add the batches of IN that the model does not know: each trains on its own against the frozen model (global shared " +
            "parameters, prototypes), so a new site needs only the published model. Cells of known batches are transformed as 'apply' does.")
        { model, modelOut, update, threads };
        cells.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var job = new ExtendJob
            {
                ModelPath = r.GetValue(model)!.FullName, Input = cells.Source(r), Output = cells.Output(r),
                ModelOut = r.GetValue(modelOut)?.FullName, Update = r.GetValue(update), Threads = ThreadsOption.Read(r, threads),
            };
            var outcome = await ProgressDisplay.RunAsync(job.Update ? "update" : "extend", 0, p => ModelWorkflows.ExtendAsync(job, p, ct));
            var ext = outcome.Extension;
            if (ext.Updated)
                AnsiConsole.WriteLine($"Updated the model with {ext.RoundsRun} more round(s) over every batch; the known batches ({string.Join(", ", ext.KnownBatches)}) moved too." +
                                       (ext.NewBatches.Count > 0 ? $" New: {string.Join(", ", ext.NewBatches)}." : ""));
            else
                AnsiConsole.WriteLine(ext.NewBatches.Count == 0
                    ? "No new batch: every batch of IN is known to the model, so its cells were transformed as 'apply' does."
                    : $"Added {string.Join(", ", ext.NewBatches)} ({ext.RoundsRun} rounds each, against the frozen model)" +
                      (ext.KnownBatches.Count > 0 ? $"; known batches {string.Join(", ", ext.KnownBatches)} transformed, unchanged." : "."));
            if (ext.MeanShift.Count > 0) Summary.PrintShifts(ext.MeanShift, b => ext.Model.Find(b)!.Cells, ext.Model.Normalisation.Scale * Math.Sqrt(ext.Model.Dim));
            AnsiConsole.WriteLine($"Wrote {outcome.OutputPath}{(job.ModelOut is null ? "" : $" and the model {job.ModelOut}")} in {ext.Elapsed.TotalSeconds:F1} s.");
            return 0;
        }));
        return cmd;
    }
}
