using ScBatchProx.Data;
using System.CommandLine;
using ScBatchProx.Workflows.Benchmarking;
using ScBatchProx.IO;
using Spectre.Console;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>scbatchprox benchmark</c>: refine every embedding of every file in a folder and score before and after.</summary>
public static class BenchmarkCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder of .h5ad files with obs 'batch', obs 'cell_type' and obsm 'X_pca'.", Required = true };
        var embed = new Option<string[]>("--embed") { Description = "Only these obsm keys (default: all).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo?>("--out") { Description = "Write the tables as Markdown." };
        var json = new Option<FileInfo?>("--json") { Description = "Write every score before and after as JSON." };
        var continual = new Option<bool>("--continual") { Description = "Continual integration instead: per embedding, a model refined on the first two batches (by name), the others arriving one at a time; extend vs a full re-run vs upstream after each arrival." };
        var ablations = new Option<bool>("--ablations") { Description = "Also run without the proximal term, without identity preservation, without FiLM, and as one pooled client." };
        var threads = ThreadsOption.Create("Worker threads (results do not depend on it).");
        var kmeansSeeds = KMeansSeedsOption.Create();
        var method = new MethodOptions();
        var cmd = new Command("benchmark",
            "For every .h5ad in --data and every obsm embedding: refine with the given options and score before and after " +
            "with the scIB metrics (current set; batch 'batch', label 'cell_type', pre-integration 'X_pca'). Prints the gain per pair " +
            "and a summary: median relative Total gain, share of pairs with Batch and Bio improved, and the worst pair.")
        { data, embed, output, json, ablations, continual, threads, kmeansSeeds };
        method.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var options = method.Read(r);
            var variants = Variant.For(options, r.GetValue(ablations));
            var keys = r.GetValue(embed) is { Length: > 0 } k ? k : null;
            int nSeeds = KMeansSeedsOption.Read(r, kmeansSeeds);
            if (r.GetValue(output) is FileInfo o) AtomicFile.CheckWritable(o.FullName);
            if (r.GetValue(json) is FileInfo j) AtomicFile.CheckWritable(j.FullName);
            var bench = BenchmarkData.Open(r.GetValue(data)!.FullName);
            int nThreads = ThreadsOption.Read(r, threads);
            string md, jsonText;
            if (r.GetValue(continual))
            {
                var steps = await ContinualProtocol.RunAsync(bench, keys, options, nThreads, nSeeds, Console.Error.WriteLine, ct);
                md = ContinualProtocol.Markdown(steps);
                jsonText = new System.Text.Json.Nodes.JsonObject { ["options"] = System.Text.Json.Nodes.JsonNode.Parse(options.ToJson()), ["kmeans_seeds"] = nSeeds, ["continual"] = ContinualProtocol.Json(steps) }
                    .ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
            }
            else
            {
                var results = await IntegrationBenchmark.RunAsync(bench, keys, variants, nThreads, Console.Error.WriteLine, ct, nSeeds);
                md = IntegrationBenchmark.Markdown(results, variants);
                jsonText = IntegrationBenchmark.Json(results, options);
            }
            foreach (var (file, problem) in bench.Skipped) md += $"\nskipped {file}: {problem}";
            Console.WriteLine(md);
            if (r.GetValue(output) is FileInfo of) AtomicFile.Write(of.FullName, tmp => File.WriteAllText(tmp, md));
            if (r.GetValue(json) is FileInfo jf) AtomicFile.Write(jf.FullName, tmp => File.WriteAllText(tmp, jsonText));
            return bench.Skipped.Count > 0 ? Program.ExitInputError : 0;
        }));
        return cmd;
    }
}
