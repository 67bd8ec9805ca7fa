using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Core.Model;
using ScBatchProx.Data;

namespace ScBatchProx.Core;

/// <summary>
/// A fitted refinement: the model, the refined input (bitwise what the model's Transform gives),
/// how far each batch moved (mean ||z' - z|| over all its cells) and the run.
/// </summary>
public sealed record Refinement(RefinementModel Model, Embedding Refined, IReadOnlyDictionary<string, double> MeanShift, EngineResult Run, TimeSpan Elapsed);

/// <summary>How an in-process fit runs: threads, progress, cancellation. None of it changes the result.</summary>
public sealed record FitSettings
{
    /// <summary>Batches trained in parallel.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    public IProgress<RoundProgress>? Progress { get; init; }
    public CancellationToken Cancel { get; init; }
}

/// <summary>
/// In-process refinement: splits the embedding by batch into <see cref="BatchClient"/>s and runs
/// the federated rounds with in-process channels.
/// </summary>
public static class Refiner
{
    /// <summary>Checks what the method needs of its input; throws <see cref="InputError"/> naming the problem.</summary>
    public static void ValidateInput(Embedding z, Categorical batches, RefineOptions options, string source = "input")
    {
        if (z.Rows != batches.Length)
            throw new InputError($"{source}: the embedding has {z.Rows} rows but batch column '{batches.Name}' has {batches.Length} values.");
        if (z.Rows == 0) throw new InputError($"{source}: the embedding has no cells.");
        if (z.Cols < 1) throw new InputError($"{source}: the embedding has no columns.");
        var bad = z.NonFiniteRows();
        if (bad.Count > 0)
            throw new InputError($"{source}: the embedding has NaN or Inf values in {bad.Count} row(s), first rows (0-based): {string.Join(", ", bad.Take(10))}.");
        int missing = batches.MissingCount();
        if (missing > 0)
        {
            int first = Array.IndexOf(batches.Codes, -1);
            throw new InputError($"{source}: batch column '{batches.Name}' is missing for {missing} cell(s) (first row {first}); every cell needs a batch.");
        }
        var counts = batches.Counts();
        for (int b = 0; b < counts.Length; b++)
            if (counts[b] is > 0 and < 2)
                throw new InputError($"{source}: batch '{batches.Categories[b]}' of column '{batches.Name}' has {counts[b]} cell; every batch needs at least 2.");
        int k = options.PrototypeCount(z.Rows);
        if (z.Rows < k) throw InputError.ForOption(nameof(RefineOptions.Prototypes), $"{source}: {z.Rows} cells are fewer than the {k} prototypes requested ({{option}}).");
    }

    /// <summary>Fits the model, then transforms the input with it.</summary>
    public static async Task<Refinement> FitAsync(Embedding z, Categorical batches, RefineOptions options, FitSettings? settings = null)
    {
        settings ??= new FitSettings();
        ValidateInput(z, batches, options);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var clients = BatchPartition.Of(batches).Parts.Select(p => new BatchClient(p.Batch, new RowView(z, p.Rows))).ToList();
        var (model, run) = await FitModelAsync(clients, options, settings);
        model = model with { BatchKey = batches.Name };
        Embedding? refined = null;
        var shift = model.TransformBlocks(z.Rows, (_, _) => z, batches, (_, block) => refined = block, z.Rows, Math.Max(1, settings.Threads));
        return new Refinement(model, refined!, shift, run, started.Elapsed);
    }

    /// <summary>
    /// Runs the federated rounds in this process over <paramref name="clients"/> (each holding its
    /// batch or its working set) and returns the model; transforming the cells is left to the caller.
    /// </summary>
    public static async Task<(RefinementModel Model, EngineResult Run)> FitModelAsync(IReadOnlyList<BatchClient> clients, RefineOptions options, FitSettings settings)
    {
        var channels = clients.Select(c => new InProcessChannel(c)).ToList();
        var engine = new RoundEngine(channels.Cast<IClientChannel>().ToList(), Math.Max(1, settings.Threads));
        var run = await engine.RunAsync(options, settings.Progress, settings.Cancel);
        var model = RefinementModel.FromRun(options, run.State.Normalisation, run.Final, channels.Select(c => new BatchParameters
        {
            Batch = c.ClientId, Cells = c.Trainer.CellCount, Training = BatchTraining.Federated, Film = (float[])c.Trainer.Film.Clone(),
        }));
        return (model, run);
    }
}
