using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Model;
using ScBatchProx.Data;
using ScBatchProx.Federation;

namespace ScBatchProx.Workflows;

/// <summary>A site's part in a federated run: which of its batches join, where the result goes.</summary>
public sealed record SiteJob
{
    public required CellSource Input { get; init; }
    public required SiteSettings Connection { get; init; }
    /// <summary>The batches this site contributes; null means every batch in the input. Each is its own client.</summary>
    public IReadOnlyList<string>? Batches { get; init; }
    public OutputTarget Output { get; init; } = new();
    /// <summary>Where to write the site's model (the global part plus this site's FiLM parameters); null writes none.</summary>
    public string? ModelOut { get; init; }
}

public sealed record SiteOutcome(IReadOnlyList<SiteResult> Clients, IReadOnlyList<string> OtherBatches, RefinementModel Model, string OutputPath);

/// <summary>
/// The site workflow of a federated run: each chosen batch joins the coordinator as its own client;
/// only counts, parameters and sums leave the site. The output holds the refined rows of those
/// batches; rows of other batches keep their input values.
/// </summary>
public static class SiteWorkflow
{
    public static async Task<SiteOutcome> RunAsync(SiteJob job, Action<string>? log = null, CancellationToken cancel = default)
    {
        using var input = job.Input.Load();
        var parts = BatchPartition.Of(input.Batches);
        var chosen = Choose(parts, job.Batches, input.Path);
        var bad = input.Embedding.NonFiniteRows();
        if (bad.Count > 0)
            throw new InputError($"{input.Path}: the embedding has NaN or Inf values in {bad.Count} row(s), first rows (0-based): {string.Join(", ", bad.Take(10))}.");
        string outPath = job.Output.Resolve(input.Dataset);
        if (job.ModelOut is { } mo) AtomicFile.CheckWritable(mo);

        var sites = chosen.Select(p => new SiteClient(new BatchClient(p.Batch, new RowView(input.Embedding, p.Rows)), job.Connection)).ToList();
        SiteResult[] results;
        try
        {
            log?.Invoke($"joining {job.Connection.Server} with {sites.Count} client(s): {string.Join(", ", chosen.Select(p => $"{p.Batch} ({p.Rows.Length} cells)"))}");
            results = await RunAllAsync(sites, cancel);
        }
        finally { foreach (var s in sites) s.Dispose(); }

        var model = results[0].Model with
        {
            Batches = results.SelectMany(r => r.Model.Batches).OrderBy(b => b.Batch, StringComparer.Ordinal).ToList(),
            EmbedKey = input.Dataset.IsAnnData ? input.EmbedKey : null, BatchKey = input.Batches.Name,
        };
        // rows of the site's batches are the site model's transform; every other row keeps its (finite) input value
        var refined = input.Embedding.Clone();
        foreach (var p in chosen) model.AdapterOf(model.Find(p.Batch)!).Apply(input.Embedding, p.Rows, model.Normalisation, refined, Environment.ProcessorCount);
        input.Dataset.Save(outPath, job.Output.Key, refined,
            RunRecord.Of("join", model, job.Output.Key, ("federated_batches", string.Join(",", chosen.Select(p => p.Batch)))), input.EmbedKey);
        if (job.ModelOut is { } path) model.Save(path);
        var others = parts.Batches.Except(chosen.Select(p => p.Batch)).ToList();
        return new SiteOutcome(results, others, model, outPath);
    }

    /// <summary>
    /// Runs the site's clients together. The output needs every one of them, so the first failure
    /// (a batch the server refuses, a lost server) stops the others at once and is what is thrown.
    /// </summary>
    static async Task<SiteResult[]> RunAllAsync(IReadOnlyList<SiteClient> sites, CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Exception? first = null;
        var runs = sites.Select(async s =>
        {
            try { return await s.RunAsync(stop.Token); }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref first, e, null);
                stop.Cancel();
                throw;
            }
        }).ToList();
        var all = Task.WhenAll(runs);
        await ((Task)all).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (first != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        return await all;
    }

    static List<BatchPart> Choose(BatchPartition parts, IReadOnlyList<string>? wanted, string source)
    {
        var chosen = wanted is null ? parts.Parts.ToList() : wanted.Distinct().Select(b => parts.Parts.FirstOrDefault(p => p.Batch == b)
            ?? throw new InputError($"{source}: batch '{b}' is not in column '{parts.Column.Name}'; it has {string.Join(", ", parts.Batches.Take(20))}.")).ToList();
        if (chosen.Count == 0) throw new InputError($"{source}: no batch to contribute.");
        foreach (var p in chosen)
            if (p.Rows.Length < 2) throw new InputError($"{source}: batch '{p.Batch}' has {p.Rows.Length} cell; every batch needs at least 2.");
        return chosen;
    }
}
