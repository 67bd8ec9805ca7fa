using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Data;

namespace ScBatchProx.Core.Model;

/// <summary>How a model takes new batches.</summary>
public sealed record ExtendSettings
{
    /// <summary>
    /// False (the default): each new batch trains alone against the frozen model and the known
    /// batches are transformed, not retrained. True: every batch in the input trains further
    /// federated rounds together, so the known batches' output changes too.
    /// </summary>
    public bool Update { get; init; }
    /// <summary>Rounds of training; null means the model's own option.</summary>
    public int? Rounds { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    public IProgress<RoundProgress>? Progress { get; init; }
    public CancellationToken Cancel { get; init; }
}

/// <summary>What an extension produced: the grown model, the refined input, and which batches were new.</summary>
public sealed record Extension(RefinementModel Model, Embedding Refined, IReadOnlyList<string> NewBatches, IReadOnlyList<string> KnownBatches,
    bool Updated, int RoundsRun, IReadOnlyDictionary<string, double> MeanShift, TimeSpan Elapsed);

/// <summary>
/// Continual integration (METHOD.md 6b): batches that arrive after a model was trained join as new
/// clients. They start from the global shared parameters with FiLM at zero and train against the
/// frozen global prototypes with the proximal term, on their own cells only, so a new site needs
/// the published model and nothing else.
/// </summary>
internal static class ModelExtension
{
    public static async Task<Extension> RunAsync(RefinementModel model, Embedding z, Categorical batches, ExtendSettings settings, string source)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var parts = model.Check(z, batches, source);
        var known = parts.Parts.Where(p => model.Find(p.Batch) is not null).ToList();
        var fresh = parts.Parts.Where(p => model.Find(p.Batch) is null).ToList();
        foreach (var p in fresh)
            if (p.Rows.Length < 2) throw new InputError($"{source}: batch '{p.Batch}' of column '{batches.Name}' has {p.Rows.Length} cell; a new batch needs at least 2.");
        if (model.SharedPrototypes.Length != model.Masses.Length)
            throw new InputError($"{source}: the model was written in format version 1, which does not record which prototypes several batches share; " +
                                 "extending needs that, so refine again with this version to get a version-2 model.");
        var options = settings.Rounds is int r ? model.Options with { Rounds = r } : model.Options;
        options.Validate();
        return settings.Update
            ? await UpdateAsync(model, z, parts, options, settings, source, started)
            : await ExtendAsync(model, z, known, fresh, options, settings, started);
    }

    static async Task<Extension> ExtendAsync(RefinementModel model, Embedding z, List<BatchPart> known, List<BatchPart> fresh,
        RefineOptions options, ExtendSettings settings, System.Diagnostics.Stopwatch started)
    {
        var output = new Embedding(z.Rows, z.Cols);
        foreach (var p in known) model.AdapterOf(model.Find(p.Batch)!).Apply(z, p.Rows, model.Normalisation, output, Math.Max(1, settings.Threads));
        var added = new BatchParameters[fresh.Count];
        var shifts = new double[fresh.Count];
        int rounds = options.Rounds, done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, fresh.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.Threads), CancellationToken = settings.Cancel },
            (i, ct) =>
            {
                var p = fresh[i];
                var trainer = new LocalTrainer(p.Batch, WorkingSet.Of(options, p.Batch, new RowView(z, p.Rows)), p.Rows.Length, options,
                    model.Normalisation, model.Theta, phi: null, TrainingAnchor.Personal);
                for (int round = 1; round <= rounds; round++)
                {
                    ct.ThrowIfCancellationRequested();
                    trainer.Train(new RoundBroadcast
                    {
                        Round = round, Theta = model.Theta, Prototypes = model.Prototypes, Masses = model.Masses,
                        SharedPrototypes = model.SharedPrototypes, CompactOn = round >= options.CompactFromRound,
                    });
                }
                var adapter = trainer.PersonalAdapter();
                shifts[i] = adapter.Apply(z, p.Rows, model.Normalisation, output, Math.Max(1, settings.Threads / fresh.Count)) / p.Rows.Length;
                added[i] = new BatchParameters { Batch = p.Batch, Cells = p.Rows.Length, Training = BatchTraining.Extension, Film = adapter.Phi, Theta = adapter.Theta };
                settings.Progress?.Report(new RoundProgress("batch", Interlocked.Increment(ref done), fresh.Count, double.NaN, double.NaN));
                return ValueTask.CompletedTask;
            });
        var grown = model with { Batches = model.Batches.Concat(added).OrderBy(b => b.Batch, StringComparer.Ordinal).ToList() };
        var shift = fresh.Select((p, i) => (p.Batch, shifts[i])).ToDictionary(t => t.Batch, t => t.Item2, StringComparer.Ordinal);
        return new Extension(grown, output, fresh.Select(p => p.Batch).ToList(), known.Select(p => p.Batch).ToList(), false, rounds, shift, started.Elapsed);
    }

    /// <summary>Further federated rounds with every batch, warm-started from the model (its normalisation stays).</summary>
    static async Task<Extension> UpdateAsync(RefinementModel model, Embedding z, BatchPartition parts, RefineOptions options,
        ExtendSettings settings, string source, System.Diagnostics.Stopwatch started)
    {
        var absent = model.Batches.Where(b => parts.RowsOf(b.Batch) is null).Select(b => b.Batch).ToList();
        if (absent.Count > 0)
            throw new InputError($"{source}: updating trains every batch of the model again, so it needs their cells; {RefinementModel.Quote(absent)} {(absent.Count == 1 ? "has" : "have")} none in column '{parts.Column.Name}'.");
        foreach (var p in parts.Parts)
        {
            if (p.Rows.Length < 2) throw new InputError($"{source}: batch '{p.Batch}' of column '{parts.Column.Name}' has {p.Rows.Length} cell; every batch needs at least 2.");
            if (model.Find(p.Batch) is { Film: null }) model.AdapterOf(model.Find(p.Batch)!); // throws: the FiLM parameters are at a site
        }
        int threads = Math.Max(1, settings.Threads);
        var channels = parts.Parts.Select(p => new InProcessChannel(new LocalTrainer(p.Batch, WorkingSet.Of(options, p.Batch, new RowView(z, p.Rows)), p.Rows.Length,
            options, model.Normalisation, model.Theta, model.Find(p.Batch)?.Film, TrainingAnchor.Global))).ToList();
        var server = FederatedServer.FromState(new ServerState
        {
            Options = options, Round = model.RoundsRun + 1, LastRound = model.RoundsRun + options.Rounds, RoundsRun = model.RoundsRun,
            Counts = parts.Parts.ToDictionary(p => p.Batch, p => (long)p.Rows.Length, StringComparer.Ordinal),
            Normalisation = model.Normalisation, Theta = model.Theta, Prototypes = model.Prototypes, Masses = model.Masses,
            Shared = model.SharedPrototypes, LastObjective = double.NaN, Latest = [],
        });
        var engine = new RoundEngine(channels.Cast<IClientChannel>().ToList(), threads);
        var run = await engine.ContinueAsync(server, stopped: false, roundsRun: 0, settings.Progress, settings.Cancel);
        var updated = RefinementModel.FromRun(options, model.Normalisation, run.Final, channels.Select(c => new BatchParameters
        {
            Batch = c.ClientId, Cells = c.Trainer.CellCount, Training = BatchTraining.Federated, Film = (float[])c.Trainer.Film.Clone(),
        })) with { EmbedKey = model.EmbedKey, BatchKey = model.BatchKey };
        Embedding? output = null;
        var shift = updated.TransformBlocks(z.Rows, (_, _) => z, parts.Column, (_, block) => output = block, z.Rows, threads);
        var fresh = parts.Batches.Where(b => model.Find(b) is null).ToList();
        return new Extension(updated, output!, fresh, parts.Batches.Where(b => model.Find(b) is not null).ToList(), true, run.RoundsRun, shift, started.Elapsed);
    }
}
