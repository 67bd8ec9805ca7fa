using System.Diagnostics;
using System.Globalization;
using ScBatchProx.Data.Simulation;
using ScBatchProx.Metrics.Classification;

namespace ScBatchProx.Bench;

/// <summary>
/// Wall time of the kNN label-transfer scores (<see cref="LabelTransfer"/>) on simulated data
/// (<see cref="Simulator"/>): leave-one-batch-out, then a fixed reference of the first half of the
/// batches; wall and process CPU seconds per step (CPU time tells the cost when other processes
/// share the cores), accuracy, macro F1 and process peak memory.
/// Usage: classify [--n 100000] [--dims 50] [--batches 20] [--types 20] [--threads T]
/// </summary>
public static class ClassifyBench
{
    public static int Run(string[] args)
    {
        int Int(string name, int fallback) => int.Parse(BenchArgs.Value(args, name) ?? fallback.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int n = Int("--n", 100_000), dims = Int("--dims", 50), batches = Int("--batches", 20), types = Int("--types", 20), threads = Int("--threads", 0);
        Console.WriteLine($"classify bench: {n} cells x {dims} dims, {batches} batches, {types} cell types, k = {KnnClassifier.DefaultK}, " +
                          $"threads = {(threads > 0 ? threads : Environment.ProcessorCount)}, SIMD 512 = {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        var sw = Stopwatch.StartNew();
        var sim = Simulator.Generate(new SimulationOptions { Cells = n, Dims = dims, Batches = batches, CellTypes = types });
        Console.WriteLine($"  simulated in {sw.Elapsed.TotalSeconds:F1} s");
        Timed("leave-one-batch-out", () => LabelTransfer.LeaveOneBatchOut(sim.Embedding, sim.CellType, sim.Batch, threads: threads));
        var reference = sim.Batch.Categories.Take(batches / 2).ToArray();
        Timed($"fixed reference ({reference.Length} batches)", () => LabelTransfer.FixedReference(sim.Embedding, sim.CellType, sim.Batch, reference, threads: threads));
        Console.WriteLine($"  peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
        return 0;
    }

    static void Timed(string what, Func<ClassificationResult> run)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var r = run();
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        Console.WriteLine($"  {what}: {wall:F2} s wall, {(process.TotalProcessorTime - cpu).TotalSeconds:F2} s CPU, {r.Scores.Cells} cells predicted, " +
                          $"accuracy {r.Scores.Accuracy:F4}, macro F1 {r.Scores.MacroF1:F4}");
    }
}
