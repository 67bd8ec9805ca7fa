using System.Diagnostics;
using ScBatchProx.Core;
using ScBatchProx.Core.Method;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;

namespace ScBatchProx.Bench;

/// <summary>
/// Wall time of `refine` with the default options: on the shared files (with harmonypy on the same
/// X_pca, run in the same session, as the baseline) and on simulated data of growing size.
/// Usage: refine [--data DIR] [--sizes 10000,100000] [--threads N]
/// </summary>
public static class RefineBench
{
    public static int Run(string[] args)
    {
        string? data = BenchArgs.Value(args, "--data");
        var sizes = (BenchArgs.Value(args, "--sizes") ?? "10000,100000").Split(',').Select(int.Parse).ToArray();
        int threads = int.Parse(BenchArgs.Value(args, "--threads") ?? Environment.ProcessorCount.ToString());
        var options = new RefineOptions();
        Console.WriteLine($"refine benchmark: default options, {threads} threads, {Environment.ProcessorCount} cores");
        if (data != null)
            foreach (var path in Directory.GetFiles(data, "*.h5ad").Order(StringComparer.Ordinal))
            {
                using var f = AnnDataFile.Open(path);
                var z = f.ReadObsm("X_pca"); var batch = f.ReadObsColumn("batch");
                double ours = Median(3, () => Refiner.FitAsync(z, batch, options, new FitSettings { Threads = threads }).GetAwaiter().GetResult());
                double harmony = HarmonyPySeconds(path);
                Console.WriteLine($"{Path.GetFileName(path)} X_pca {z.Rows} x {z.Cols}: scbatchprox {ours:F2} s (median of 3), " +
                                  (double.IsNaN(harmony) ? "harmonypy unavailable" : $"harmonypy {harmony:F2} s, ratio {ours / harmony:F2}"));
            }
        foreach (var n in sizes)
        {
            var sim = Simulator.Generate(new SimulationOptions { Cells = n, Batches = 10, CellTypes = 20, Dims = 50 });
            long before = GC.GetTotalAllocatedBytes();
            var sw = Stopwatch.StartNew();
            var r = Refiner.FitAsync(sim.Embedding, sim.Batch, options, new FitSettings { Threads = threads }).GetAwaiter().GetResult();
            Console.WriteLine($"simulated {n} x 50, 10 batches: {sw.Elapsed.TotalSeconds:F2} s, {r.Run.RoundsRun} rounds, " +
                              $"allocated {(GC.GetTotalAllocatedBytes() - before) / 1e6:F0} MB, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
        }
        return 0;
    }

    static double Median(int repeats, Action run)
    {
        var t = new double[repeats];
        for (int i = 0; i < repeats; i++) { var sw = Stopwatch.StartNew(); run(); t[i] = sw.Elapsed.TotalSeconds; }
        Array.Sort(t);
        return t[repeats / 2];
    }

    /// <summary>harmonypy 0.0.9 run_harmony(theta=2) on the same X_pca, timed inside python (import excluded).</summary>
    static double HarmonyPySeconds(string path)
    {
        var (code, output, _) = Python.Run("import sys, time, anndata, numpy as np, harmonypy\n" +
                                           "a = anndata.read_h5ad(sys.argv[1]); x = np.asarray(a.obsm['X_pca'], dtype=np.float64)\n" +
                                           "t = time.perf_counter(); harmonypy.run_harmony(x, a.obs[['batch']], ['batch'], theta=2, random_state=0, verbose=False)\n" +
                                           "print(time.perf_counter() - t)", path);
        return code == 0 ? double.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
    }
}
