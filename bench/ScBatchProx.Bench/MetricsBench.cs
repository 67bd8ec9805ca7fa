using System.Diagnostics;
using System.Globalization;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Bench;

/// <summary>
/// Wall-clock seconds per metric of the full Benchmarker metric set (all eleven scib-metrics
/// metrics, including silhouette_batch) on simulated data, plus process peak memory.
/// Data: <see cref="NeighborsBench.Simulate"/> (Gaussian mixture with batch offsets); the
/// "integrated" embedding is that data with each batch's mean removed, the "pre" embedding is the
/// raw data, so pcr_comparison and the batch metrics see a real difference.
/// Usage: metrics [--n 20000,100000] [--dims 50] [--batches 10] [--labels 20] [--threads T]
///        [--seed S] [--neighbors auto|exact|approximate] [--metrics name,name,...]
/// </summary>
public static class MetricsBench
{
    public static int Run(string[] args)
    {
        var sizes = new List<int> { 20_000, 100_000 };
        int dims = 50, batches = 10, labels = 20, threads = 0;
        ulong seed = 0;
        var method = NeighborMethod.Auto;
        IReadOnlyCollection<string> metrics = MetricSet.All;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--n": sizes = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList(); break;
                case "--dims": dims = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--batches": batches = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--labels": labels = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = ulong.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--neighbors": method = Enum.Parse<NeighborMethod>(Next(), ignoreCase: true); break;
                case "--metrics": metrics = Next().Split(','); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        Console.WriteLine($"metrics bench: threads = {(threads > 0 ? threads : Environment.ProcessorCount)}, neighbours = {method}, SIMD 512 = {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        foreach (var n in sizes)
        {
            var (pre, batchCodes, labelCodes) = NeighborsBench.Simulate(n, dims, batches, labels, seed);
            var batch = Codes("batch", batchCodes, batches);
            var label = Codes("cell_type", labelCodes, labels);
            var integrated = RemoveBatchMeans(pre, batchCodes, batches);
            Console.WriteLine($"\n{n} cells x {dims} dims, {batches} batches, {labels} labels");
            var clock = Stopwatch.StartNew();
            var result = Benchmarker.Evaluate(integrated, label, batch, pre, new BenchmarkOptions { Metrics = metrics, NeighborMethod = method, Threads = threads },
                new Progress<string>(_ => { }), "sim");
            double total = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"{"step",-20} {"seconds",9} {"value",9}");
            foreach (var (step, s) in result.Seconds)
                Console.WriteLine($"{step,-20} {s,9:F2} {(result.Metrics.TryGetValue(step, out var v) ? v.ToString("F4", CultureInfo.InvariantCulture) : ""),9}");
            Console.WriteLine($"{"total",-20} {total,9:F2}");
            Console.WriteLine($"current Total {result.Current.Total:F4}, classic Total {result.Classic.Total:F4}");
            var gc = GC.GetGCMemoryInfo();
            Console.WriteLine($"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB, GC heap {gc.HeapSizeBytes / 1048576.0:F0} MiB, peak committed {gc.TotalCommittedBytes / 1048576.0:F0} MiB");
        }
        return 0;
    }

    static Categorical Codes(string name, int[] codes, int count)
        => new(name, Enumerable.Range(0, count).Select(c => $"{name}{c:D3}").ToArray(), codes);

    /// <summary>A crude "integration": each batch centred on the global mean.</summary>
    static Embedding RemoveBatchMeans(Embedding x, int[] batch, int batches)
    {
        int n = x.Rows, d = x.Cols;
        var sum = new double[batches * d];
        var count = new int[batches];
        var global = new double[d];
        for (int i = 0; i < n; i++)
        {
            count[batch[i]]++;
            for (int t = 0; t < d; t++) { sum[batch[i] * d + t] += x[i, t]; global[t] += x[i, t]; }
        }
        var y = x.Clone();
        for (int i = 0; i < n; i++)
            for (int t = 0; t < d; t++) y[i, t] = (float)(x[i, t] - sum[batch[i] * d + t] / count[batch[i]] + global[t] / n);
        return y;
    }
}
