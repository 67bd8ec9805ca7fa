using System.Diagnostics;
using ScBatchProx.Workflows.Benchmarking;
using ScBatchProx.Core.Method;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;

namespace ScBatchProx.Bench;

/// <summary>
/// The baseline a user would try first: run Harmony again on each upstream embedding (harmonypy
/// 0.0.9, run_harmony with its defaults, theta 2, random_state 0) and score it exactly as
/// `benchmark` scores the refinement, beside ScBatchProx's defaults in the same run.
/// Usage: harmony-again --data DIR [--kmeans-seeds N] [--threads N]
/// </summary>
public static class HarmonyAgainBench
{
    const string Script =
        "import sys, numpy as np, anndata, harmonypy\n" +
        "a = anndata.read_h5ad(sys.argv[1])\n" +
        "for key in sys.argv[3:]:\n" +
        "    x = np.asarray(a.obsm[key], dtype=np.float64)\n" +
        "    h = harmonypy.run_harmony(x, a.obs[['batch']], ['batch'], theta=2, random_state=0, verbose=False)\n" +
        "    np.save(sys.argv[2] + '/' + key + '.npy', np.ascontiguousarray(h.Z_corr.T, dtype=np.float32))\n";

    public static int Run(string[] args)
    {
        string data = BenchArgs.Value(args, "--data") ?? throw new ArgumentException("--data DIR is required");
        int seeds = int.Parse(BenchArgs.Value(args, "--kmeans-seeds") ?? "1");
        int threads = int.Parse(BenchArgs.Value(args, "--threads") ?? Environment.ProcessorCount.ToString());
        var ours = new Variant("full", "ScBatchProx refine with the default options", new RefineOptions());
        var harmony = new Variant("harmony-again", "harmonypy 0.0.9 run_harmony (theta 2, seed 0) on the upstream embedding", new RefineOptions());
        var bench = BenchmarkData.Open(data);
        var refined = IntegrationBenchmark.RunAsync(bench, null, [ours], threads, Console.Error.WriteLine, CancellationToken.None, seeds).GetAwaiter().GetResult();
        var scoring = IntegrationBenchmark.Scoring(threads, seeds);
        var again = new List<PairResult>();
        foreach (var dataset in bench.Pairs(null, Console.Error.WriteLine).GroupBy(p => p.Dataset))
        {
            var dir = Directory.CreateTempSubdirectory("harmony-again-");
            try
            {
                var sw = Stopwatch.StartNew();
                RunHarmonyPy(Path.Combine(data, dataset.Key + ".h5ad"), dir.FullName, dataset.Select(p => p.Key));
                double seconds = sw.Elapsed.TotalSeconds / dataset.Count();
                foreach (var p in dataset)
                {
                    var before = refined.First(r => r.Dataset == p.Dataset && r.Embedding == p.Key).Before;
                    var corrected = PlainEmbedding.Read(Path.Combine(dir.FullName, p.Key + ".npy")).Embedding;
                    var after = Benchmarker.Evaluate(corrected, p.Labels, p.Batches, p.Pre, scoring, name: p.Key);
                    again.Add(new PairResult(p.Dataset, p.Key, harmony.Name, before, after, seconds));
                    Console.Error.WriteLine($"{p.Dataset} {p.Key} [{harmony.Name}]: Total {before.Current.Total:F4} -> {after.Current.Total:F4}");
                }
            }
            finally { dir.Delete(recursive: true); }
        }
        Console.WriteLine($"KMeans NMI/ARI over {seeds} initialisation(s)\n");
        Console.WriteLine(IntegrationBenchmark.Markdown([.. again, .. refined], [harmony, ours]));
        return 0;
    }

    static void RunHarmonyPy(string path, string outDir, IEnumerable<string> keys)
    {
        var (code, _, err) = Python.Run(Script, [path, outDir, .. keys]);
        if (code != 0) throw new InvalidOperationException($"harmonypy failed on {path} (needs /usr/bin/python3 with python3-anndata and python3-harmonypy): {err}");
    }
}
