using ScBatchProx.Data;
using System.CommandLine;
using ScBatchProx.Cli.Benchmarking;
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
        var ablations = new Option<bool>("--ablations") { Description = "Also run without the proximal term, without identity preservation, without FiLM, and as one pooled client." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (results do not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var kmeansSeeds = KMeansSeedsOption.Create();
        var method = new MethodOptions();
        var cmd = new Command("benchmark",
            "For every .h5ad in --data and every obsm embedding: refine with the given options and score before and after " +
            "with the scIB metrics (current set; batch 'batch', label 'cell_type', pre-integration 'X_pca'). Prints the gain per pair " +
            "and a summary: median relative Total gain, share of pairs with Batch and Bio improved, and the worst pair.")
        { data, embed, output, json, ablations, threads, kmeansSeeds };
        method.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var options = method.Read(r);
            var variants = Variant.For(options, r.GetValue(ablations));
            var keys = r.GetValue(embed) is { Length: > 0 } k ? k : null;
            int nSeeds = KMeansSeedsOption.Read(r, kmeansSeeds);
            var results = await IntegrationBenchmark.RunAsync(r.GetValue(data)!.FullName, keys, variants, Math.Max(1, r.GetValue(threads)),
                line => Console.Error.WriteLine(line), ct, nSeeds);
            var md = IntegrationBenchmark.Markdown(results, variants);
            Console.WriteLine(md);
            if (r.GetValue(output) is FileInfo of) AtomicFile.Write(of.FullName, tmp => File.WriteAllText(tmp, md));
            if (r.GetValue(json) is FileInfo jf) AtomicFile.Write(jf.FullName, tmp => File.WriteAllText(tmp, IntegrationBenchmark.Json(results, options)));
            return 0;
        }));
        return cmd;
    }
}
