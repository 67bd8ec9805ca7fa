using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Model;
using ScBatchProx.Data;

namespace ScBatchProx.Workflows;

/// <summary>Transform cells of known batches with a saved model, without training.</summary>
public sealed record ApplyJob
{
    public required string ModelPath { get; init; }
    public required CellSource Input { get; init; }
    public OutputTarget Output { get; init; } = new();
}

public sealed record ApplyOutcome(RefinementModel Model, string OutputPath, int Cells, IReadOnlyList<string> Batches);

/// <summary>Add new batches to a saved model (or, with an update, train every batch further).</summary>
public sealed record ExtendJob
{
    public required string ModelPath { get; init; }
    public required CellSource Input { get; init; }
    public OutputTarget Output { get; init; } = new();
    /// <summary>Where to write the extended model; null writes none.</summary>
    public string? ModelOut { get; init; }
    public bool Update { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
}

public sealed record ExtendOutcome(Extension Extension, string OutputPath);

public static class ModelWorkflows
{
    public static ApplyOutcome Apply(ApplyJob job)
    {
        var model = RefinementModel.Load(job.ModelPath);
        using var input = job.Input.WithDefaults(model).Load();
        string outPath = job.Output.Resolve(input.Dataset);
        var refined = model.Transform(input.Embedding, input.Batches, Source(input));
        input.Dataset.Save(outPath, job.Output.Key, refined, RunRecord.Of("apply", model, job.Output.Key, ("model", Path.GetFileName(job.ModelPath))), input.EmbedKey);
        return new ApplyOutcome(model, outPath, refined.Rows, BatchPartition.Of(input.Batches).Batches.ToList());
    }

    public static async Task<ExtendOutcome> ExtendAsync(ExtendJob job, IProgress<RoundProgress>? progress = null, CancellationToken cancel = default)
    {
        var model = RefinementModel.Load(job.ModelPath);
        using var input = job.Input.WithDefaults(model).Load();
        string outPath = job.Output.Resolve(input.Dataset);
        if (job.ModelOut is { } mo) AtomicFile.CheckWritable(mo);
        var ext = await model.ExtendAsync(input.Embedding, input.Batches,
            new ExtendSettings { Update = job.Update, Threads = Math.Max(1, job.Threads), Progress = progress, Cancel = cancel }, Source(input));
        input.Dataset.Save(outPath, job.Output.Key, ext.Refined, RunRecord.Of(job.Update ? "extend --update" : "extend", ext.Model, job.Output.Key,
            ("model", Path.GetFileName(job.ModelPath)), ("new_batches", string.Join(",", ext.NewBatches))), input.EmbedKey);
        if (job.ModelOut is { } path) ext.Model.Save(path);
        return new ExtendOutcome(ext, outPath);
    }

    static string Source(LoadedCells input) => input.Dataset.IsAnnData ? $"{input.Path} (obsm '{input.EmbedKey}')" : input.Path;
}
