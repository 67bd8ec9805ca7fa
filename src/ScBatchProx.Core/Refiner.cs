using ScBatchProx.Data;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Core.Model;

namespace ScBatchProx.Core;

/// <summary>Outcome of an in-process refinement.</summary>
public sealed record RefineResult(Embedding Refined, RefinementModel Model, EngineResult Run, TimeSpan Elapsed);

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
        if (z.Rows < k) throw new InputError($"{source}: {z.Rows} cells are fewer than the {k} prototypes requested (--prototypes).");
        if (z.Cols < 1) throw new InputError($"{source}: the embedding has no columns.");
    }

    public static async Task<RefineResult> RefineAsync(Embedding z, Categorical batches, RefineOptions options, int threads,
        IProgress<RoundProgress>? progress = null, CancellationToken cancel = default)
    {
        ValidateInput(z, batches, options);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var rowsOf = new List<int>[batches.CategoryCount];
        for (int b = 0; b < rowsOf.Length; b++) rowsOf[b] = [];
        for (int i = 0; i < z.Rows; i++) rowsOf[batches.Codes[i]].Add(i);
        var clients = new List<(BatchClient Client, List<int> Rows)>();
        for (int b = 0; b < rowsOf.Length; b++)
            if (rowsOf[b].Count > 0)
                clients.Add((new BatchClient(batches.Categories[b], z.SelectRows(rowsOf[b].ToArray())), rowsOf[b]));
        var server = new FederatedServer(options);
        var engine = new RoundEngine(server, clients.Select(c => (IClientChannel)new InProcessChannel(c.Client)).ToList(), threads);
        var run = await engine.RunAsync(progress, cancel);

        var refined = new Embedding(z.Rows, z.Cols);
        foreach (var (client, rows) in clients)
            for (int r = 0; r < rows.Count; r++) client.Output!.RowReadOnly(r).CopyTo(refined.Row(rows[r]));
        var model = new RefinementModel
        {
            Options = options, Dim = z.Cols, Mean = server.Mean, Scale = server.Scale, Theta = server.Theta,
            Prototypes = server.Prototypes, Masses = server.Masses, RoundsRun = run.RoundsRun,
            BatchKey = batches.Name,
            Batches = clients.Select(c => new BatchParameters(c.Client.Id, c.Client.CellCount, c.Client.Film, c.Client.LocalTheta)).ToList(),
        };
        return new RefineResult(refined, model, run, started.Elapsed);
    }
}
