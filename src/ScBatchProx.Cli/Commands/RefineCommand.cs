using System.CommandLine;
using ScBatchProx.Cli.Terminal;
using ScBatchProx.Core;
using ScBatchProx.Data;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Report;
using Spectre.Console;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>scbatchprox refine</c>: refine one obsm embedding and write it as a new obsm key.</summary>
public static class RefineCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("IN") { Description = "Input .h5ad (AnnData), or a plain embedding .csv/.tsv/.npy together with --batch-file." };
        var embed = new Option<string>("--embed") { Description = "obsm key of the embedding to refine, e.g. X_pca, X_scVI, X_harmony.", DefaultValueFactory = _ => "X_pca" };
        var batch = new Option<string>("--batch") { Description = "obs column holding the batch of each cell (for --batch-file: its column, if it has a header).", DefaultValueFactory = _ => "batch" };
        var batchFile = new Option<FileInfo?>("--batch-file") { Description = "For plain embeddings: a file with one batch label per cell (or a csv/tsv with a header and the --batch column)." };
        var output = new Option<FileInfo?>("--out") { Description = "Output file (default: IN with '.scbatchprox' before the extension). Never the input unless --in-place." };
        var key = new Option<string>("--key") { Description = "obsm key the refined embedding is written to.", DefaultValueFactory = _ => "X_scbatchprox" };
        var inPlace = new Option<bool>("--in-place") { Description = "Allow --out to be the input file (it is replaced atomically)." };
        var threads = new Option<int>("--threads") { Description = "Batches refined in parallel (results do not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var label = new Option<string?>("--label") { Description = "Optional obs column with cell types: if given, the scIB aggregates before and after are printed (labels are never used by the method)." };
        var saveModel = new Option<FileInfo?>("--save-model") { Description = "Write the trained model (normalisation, adapters, prototypes, options) as JSON." };
        var method = new MethodOptions();
        var cmd = new Command("refine",
            "Refine an embedding to remove batch effects. Reads IN, trains one FiLM adapter per batch in federated rounds, " +
            "and writes the input with the refined embedding added under --key (everything else unchanged).")
        { input, embed, batch, batchFile, output, key, inPlace, threads, label, saveModel };
        method.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var options = method.Read(r);
            var inFile = r.GetValue(input)!;
            var outFile = r.GetValue(output) ?? new FileInfo(DefaultOutput(inFile.FullName));
            if (SamePath(inFile.FullName, outFile.FullName) && !r.GetValue(inPlace))
                throw new InputError($"{outFile.FullName}: the output is the input file; pass --in-place to replace it, or choose --out.");
            var data = InputLoader.Load(inFile.FullName, r.GetValue(embed)!, r.GetValue(batch)!, r.GetValue(batchFile)?.FullName);
            Refiner.ValidateInput(data.Embedding, data.Batch, options, inFile.FullName);
            var result = await ProgressDisplay.RunAsync("refine", options.Rounds,
                p => Refiner.RefineAsync(data.Embedding, data.Batch, options, Math.Max(1, r.GetValue(threads)), p, ct));
            var model = result.Model with { EmbedKey = r.GetValue(embed) };
            OutputWriter.Write(data, outFile.FullName, r.GetValue(key)!, result.Refined, model);
            if (r.GetValue(saveModel) is FileInfo mf) AtomicFile.Write(mf.FullName, tmp => File.WriteAllText(tmp, model.ToJson()));
            var report = RefinementReport.Compute(data.Embedding, result.Refined, data.Batch, Math.Max(1, r.GetValue(threads)));
            Summary.Print(result, data, report, outFile.FullName, r.GetValue(key)!);
            if (r.GetValue(label) is string labelKey) PrintScib(data, labelKey, result.Refined, Math.Max(1, r.GetValue(threads)));
            return 0;
        }));
        return cmd;
    }

    static void PrintScib(LoadedInput data, string labelKey, Embedding refined, int threads)
    {
        if (!data.IsAnnData) throw new InputError($"{data.Path}: --label needs an .h5ad input.");
        using var file = AnnDataFile.Open(data.Path);
        var labels = file.ReadObsColumn(labelKey);
        var pre = file.ObsmKeys.Contains(Benchmarking.IntegrationBenchmark.PreKey) ? file.ReadObsm(Benchmarking.IntegrationBenchmark.PreKey) : data.Embedding;
        var scoring = new BenchmarkOptions { Threads = threads, Metrics = MetricSet.Current };
        AnsiConsole.Write(ScoreTables.BeforeAfter(
            Benchmarker.Evaluate(data.Embedding, labels, data.Batch, pre, scoring),
            Benchmarker.Evaluate(refined, labels, data.Batch, pre, scoring)));
    }

    static string DefaultOutput(string input)
    {
        string ext = Path.GetExtension(input);
        return Path.Combine(Path.GetDirectoryName(input) ?? ".", Path.GetFileNameWithoutExtension(input) + ".scbatchprox" + ext);
    }

    static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
}
