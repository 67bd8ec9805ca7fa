using ScBatchProx.Core;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Report;

namespace ScBatchProx.Workflows;

/// <summary>A refinement job: read, fit, write the refined embedding (and optionally the model), report.</summary>
public sealed record RefineJob
{
    public required CellSource Input { get; init; }
    public OutputTarget Output { get; init; } = new();
    public RefineOptions Options { get; init; } = new();
    /// <summary>Where to save the trained model; null saves none.</summary>
    public string? ModelOut { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>What a refinement job produced.</summary>
public sealed record RefineOutcome(LoadedCells Input, Refinement Fit, string OutputPath, string Key, RefinementReport Report);

public static class RefineWorkflow
{
    /// <summary>
    /// Checks the input and every output before training, then fits, writes the output file and
    /// the model, and computes the label-free report. The returned input stays open for callers
    /// that score it further; dispose the outcome's input when done.
    /// </summary>
    public static async Task<RefineOutcome> RunAsync(RefineJob job, IProgress<RoundProgress>? progress = null, CancellationToken cancel = default)
    {
        job.Options.Validate();
        var input = job.Input.Load();
        try
        {
            Refiner.ValidateInput(input.Embedding, input.Batches, job.Options, input.Path);
            string outPath = job.Output.Resolve(input.Dataset);
            if (job.ModelOut is { } mo) AtomicFile.CheckWritable(mo);
            var fit = await Refiner.FitAsync(input.Embedding, input.Batches, job.Options,
                new FitSettings { Threads = Math.Max(1, job.Threads), Progress = progress, Cancel = cancel });
            var model = fit.Model with { EmbedKey = input.Dataset.IsAnnData ? input.EmbedKey : null };
            fit = fit with { Model = model };
            input.Dataset.Save(outPath, job.Output.Key, fit.Refined, RunRecord.Of("refine", model, job.Output.Key), input.EmbedKey);
            if (job.ModelOut is { } path) model.Save(path);
            var report = RefinementReport.Compute(input.Embedding, fit.Refined, input.Batches, Math.Max(1, job.Threads));
            return new RefineOutcome(input, fit, outPath, job.Output.Key, report);
        }
        catch { input.Dispose(); throw; }
    }
}
