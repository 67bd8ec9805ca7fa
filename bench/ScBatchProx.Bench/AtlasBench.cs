using System.Diagnostics;
using System.Globalization;
using ScBatchProx.Data;
using ScBatchProx.IO;

namespace ScBatchProx.Bench;

/// <summary>
/// Atlas-scale files. <c>atlas write</c> writes a simulated atlas (<see cref="SimulatedAtlas"/>: 20 batches of
/// unequal size, 30 cell types, obsm X_pca of 50 float32 dims, string obs names, no X) in blocks;
/// <c>atlas read</c> opens an .h5ad and reads one embedding and one obs column, timing each step,
/// the way <c>scbatchprox evaluate</c> starts; with --copy it also rewrites the file with one more obsm
/// entry (<see cref="AnnDataWriter.WriteWithObsm"/>, what refine does). Run each as its own process
/// (under /usr/bin/time -v) so the peak memory is that step's.
/// Usage: atlas write --n 1000000 --out /tmp/atlas_1e6.h5ad [--seed 0] [--block 100000] [--threads T]
///        atlas read PATH [--embed X_pca] [--batch batch] [--label cell_type] [--copy OUT]
/// </summary>
public static class AtlasBench
{
    public static int Run(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine("usage: atlas write --n N --out PATH | atlas read PATH [--copy OUT]"); return 2; }
        return args[0] switch
        {
            "write" => Write(args[1..]),
            "read" => Read(args[1..]),
            _ => Usage(args[0]),
        };
    }

    static int Usage(string verb) { Console.Error.WriteLine($"unknown atlas verb '{verb}'; known: write, read"); return 2; }

    static int Write(string[] args)
    {
        int n = int.Parse(BenchArgs.Value(args, "--n") ?? "1000000", CultureInfo.InvariantCulture);
        int block = int.Parse(BenchArgs.Value(args, "--block") ?? "100000", CultureInfo.InvariantCulture);
        int threads = int.Parse(BenchArgs.Value(args, "--threads") ?? "0", CultureInfo.InvariantCulture);
        ulong seed = ulong.Parse(BenchArgs.Value(args, "--seed") ?? "0", CultureInfo.InvariantCulture);
        var path = BenchArgs.Value(args, "--out") ?? throw new ArgumentException("--out PATH is required.");
        var sw = Stopwatch.StartNew();
        SimulatedAtlas.Write(path, SimulatedAtlas.Options(n, seed), block, threads);
        Console.WriteLine($"wrote {path}: {n} cells, {new FileInfo(path).Length / 1048576.0:F0} MiB, {sw.Elapsed.TotalSeconds:F1} s, peak working set {PeakMiB():F0} MiB");
        return 0;
    }

    static int Read(string[] args)
    {
        var path = args.Length > 0 ? args[0] : throw new ArgumentException("atlas read PATH");
        string embed = BenchArgs.Value(args, "--embed") ?? SimulatedAtlas.EmbeddingKey;
        string batch = BenchArgs.Value(args, "--batch") ?? "batch";
        string label = BenchArgs.Value(args, "--label") ?? "cell_type";
        var total = Stopwatch.StartNew();
        var sw = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        // wall seconds and, in brackets, CPU seconds of the step (the machine is shared: CPU time shows the work)
        string Lap()
        {
            var nowCpu = Process.GetCurrentProcess().TotalProcessorTime;
            string s = $"{sw.Elapsed.TotalSeconds,7:F3} s [cpu {(nowCpu - cpu).TotalSeconds:F3} s]";
            sw.Restart(); cpu = nowCpu;
            return s;
        }
        using var file = AnnDataFile.Open(path);
        Console.WriteLine($"open            {Lap()}  ({file.NObs} cells, obsm {string.Join(",", file.ObsmKeys)})");
        var emb = file.ReadObsm(embed);
        Console.WriteLine($"obsm {embed,-10} {Lap()}  ({emb.Rows} x {emb.Cols})");
        var b = file.ReadObsColumn(batch);
        Console.WriteLine($"obs {batch,-11} {Lap()}  ({b.CategoryCount} categories)");
        double target = total.Elapsed.TotalSeconds;
        var l = file.ReadObsColumn(label);
        Console.WriteLine($"obs {label,-11} {Lap()}  ({l.CategoryCount} categories)");
        Console.WriteLine($"open + obsm + batch column: {target:F3} s; peak working set {PeakMiB():F0} MiB");
        if (BenchArgs.Value(args, "--copy") is string copy)
        {
            sw.Restart();
            AnnDataWriter.WriteWithObsm(path, copy, "X_copy", emb, asFloat64: false);
            Console.WriteLine($"copy with one more obsm: {Lap()}, {new FileInfo(copy).Length / 1048576.0:F0} MiB, peak working set {PeakMiB():F0} MiB");
        }
        return 0;
    }

    static double PeakMiB() => Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
}
