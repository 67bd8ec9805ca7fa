using System.CommandLine;
using ScBatchProx.Cli.Terminal;
using ScBatchProx.Data;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Neighbors;
using Spectre.Console;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>scbatchprox evaluate</c>: the scIB metrics of one or more obsm embeddings, as scib-metrics' Benchmarker computes them.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("IN") { Description = "Input .h5ad (AnnData)." };
        var embed = new Option<string[]>("--embed") { Description = "obsm key(s) to score; repeat for several. Default: every obsm key.", AllowMultipleArgumentsPerToken = true };
        var batch = new Option<string>("--batch") { Description = "obs column with the batch.", DefaultValueFactory = _ => "batch" };
        var label = new Option<string>("--label") { Description = "obs column with the cell type.", DefaultValueFactory = _ => "cell_type" };
        var pre = new Option<string>("--pre") { Description = "obsm key of the pre-integration embedding for pcr_comparison.", DefaultValueFactory = _ => "X_pca" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results as JSON (per embedding: metrics under scib-metrics names and the aggregates)." };
        var csv = new Option<FileInfo?>("--csv") { Description = "Write the results as CSV, one row per embedding." };
        var neighbors = new Option<NeighborMethod>("--neighbors") { Description = "90-NN search: Exact, Approximate (NN-descent) or Auto (exact up to a size).", DefaultValueFactory = _ => NeighborMethod.Auto };
        var threads = new Option<int>("--threads") { Description = "Worker threads (results do not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var kmeansSeeds = KMeansSeedsOption.Create();
        var cmd = new Command("evaluate",
            "Score embeddings with the scIB metrics (scib-metrics 0.6 Benchmarker semantics): bio conservation " +
            "(isolated labels, KMeans NMI/ARI, silhouette, cLISI), batch correction (BRAS, iLISI, kBET, graph connectivity, " +
            "PCR comparison), and Total = 0.6 Bio + 0.4 Batch. Cells with a missing label or batch are reported and left out.")
        { input, embed, batch, label, pre, json, csv, neighbors, threads, kmeansSeeds };
        cmd.SetAction((r, ct) => CommandGuard.Run(() =>
        {
            var path = r.GetValue(input)!.FullName;
            int nSeeds = KMeansSeedsOption.Read(r, kmeansSeeds);
            if (!File.Exists(path)) throw new InputError($"{path}: file not found.");
            using var file = AnnDataFile.Open(path);
            var keys = r.GetValue(embed) is { Length: > 0 } given ? given : file.ObsmKeys.ToArray();
            var labels = file.ReadObsColumn(r.GetValue(label)!);
            var batches = file.ReadObsColumn(r.GetValue(batch)!);
            ReportMissing(path, labels); ReportMissing(path, batches);
            var preKey = r.GetValue(pre)!;
            Embedding? preEmb = file.ObsmKeys.Contains(preKey) ? file.ReadObsm(preKey) : null;
            if (preEmb is null) Console.Error.WriteLine($"warning: {path}: obsm '{preKey}' not found; pcr_comparison is left out.");
            var options = new BenchmarkOptions { Threads = Math.Max(1, r.GetValue(threads)), NeighborMethod = r.GetValue(neighbors), KMeansSeeds = nSeeds };
            var results = new List<BenchmarkResult>();
            foreach (var key in keys)
            {
                var emb = file.ReadObsm(key);
                var bad = emb.NonFiniteRows();
                if (bad.Count > 0) throw InputError.For(path, $"obsm/{key}", $"NaN or Inf in {bad.Count} row(s), first rows: {string.Join(", ", bad.Take(10))}.");
                results.Add(Benchmarker.Evaluate(emb, labels, batches, preEmb, options, new SyncProgress(line => Console.Error.WriteLine($"{key}: {line}")), key));
            }
            AnsiConsole.Write(ScoreTables.Scores(results));
            if (r.GetValue(json) is FileInfo jf) AtomicFile.Write(jf.FullName, tmp => File.WriteAllText(tmp, new BenchmarkTable(results).ToJson()));
            if (r.GetValue(csv) is FileInfo cf) AtomicFile.Write(cf.FullName, tmp => File.WriteAllText(tmp, ScoreTables.Csv(results)));
            return Task.FromResult(0);
        }));
        return cmd;
    }

    static void ReportMissing(string path, Categorical column)
    {
        int missing = column.MissingCount();
        if (missing > 0) Console.Error.WriteLine($"note: {path}: obs '{column.Name}' is missing (NaN or empty) for {missing} cell(s); they are left out of every metric.");
    }
}

/// <summary>Reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SyncProgress(Action<string> report) : IProgress<string>
{
    public void Report(string value) => report(value);
}
