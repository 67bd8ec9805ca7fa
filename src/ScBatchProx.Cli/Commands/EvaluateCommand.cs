using System.CommandLine;
using ScBatchProx.Cli.Terminal;
using ScBatchProx.Data;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Workflows;
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
        var threads = ThreadsOption.Create("Worker threads (results do not depend on it).");
        var kmeansSeeds = KMeansSeedsOption.Create();
        var cmd = new Command("evaluate",
            "Score embeddings with the scIB metrics (scib-metrics 0.6 Benchmarker semantics): bio conservation " +
            "(isolated labels, KMeans NMI/ARI, silhouette, cLISI), batch correction (BRAS, iLISI, kBET, graph connectivity, " +
            "PCR comparison), and Total = 0.6 Bio + 0.4 Batch. Cells with a missing label or batch are reported and left out.")
        { input, embed, batch, label, pre, json, csv, neighbors, threads, kmeansSeeds };
        cmd.SetAction((r, ct) => CommandGuard.Run(() =>
        {
            var job = new EvaluateJob
            {
                Path = r.GetValue(input)!.FullName, Keys = r.GetValue(embed) ?? [], BatchKey = r.GetValue(batch)!, LabelKey = r.GetValue(label)!, PreKey = r.GetValue(pre)!,
                Scoring = new BenchmarkOptions { Threads = ThreadsOption.Read(r, threads), NeighborMethod = r.GetValue(neighbors), KMeansSeeds = KMeansSeedsOption.Read(r, kmeansSeeds) },
            };
            if (r.GetValue(json) is FileInfo j) AtomicFile.CheckWritable(j.FullName);
            if (r.GetValue(csv) is FileInfo c) AtomicFile.CheckWritable(c.FullName);
            var results = Evaluation.Run(job, line => Console.Error.WriteLine("note: " + line), (key, line) => Console.Error.WriteLine($"{key}: {line}"));
            AnsiConsole.Write(ScoreTables.Scores(results));
            if (r.GetValue(json) is FileInfo jf) AtomicFile.Write(jf.FullName, tmp => File.WriteAllText(tmp, new BenchmarkTable(results).ToJson()));
            if (r.GetValue(csv) is FileInfo cf) AtomicFile.Write(cf.FullName, tmp => File.WriteAllText(tmp, ScoreTables.Csv(results)));
            return Task.FromResult(0);
        }));
        return cmd;
    }
}
