using System.Diagnostics;
using System.Globalization;
using ScBatchProx.Data;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Neighbors;

namespace ScBatchProx.Bench;

/// <summary>
/// Recall and speed of the neighbour search: exact blocked search versus NN-descent, recall@k of
/// NN-descent against the exact graph, wall-clock seconds and process peak memory.
/// <list type="bullet">
/// <item>shared data (every obsm of every .h5ad in the shared folder): full exact graph as truth;</item>
/// <item>a simulated set (default 200,000 cells x 50 dims, 10 batches, 20 labels): NN-descent on all
/// cells, exact search for a random sample of query cells (truth for recall; the full exact time is
/// extrapolated from it unless --full-exact).</item>
/// </list>
/// Usage: neighbors [--data DIR] [--n 200000] [--dims 50] [--batches 10] [--labels 20] [--k 90]
///        [--threads T] [--sample 2000] [--full-exact] [--no-shared] [--no-sim] [--seed S]
///        [--method approximate|partitioned] (the approximate search of the simulated set; default NN-descent)
///        [--h5ad FILE [--embed X_pca]]  (search that file's embedding instead of the simulated set)
///        [--exact-only [--margin M]]   (exact search only: Gram-filtered, and with --full-exact the
///                                       direct search as baseline in the same run, with a graph check)
/// </summary>
public static class NeighborsBench
{
    public static int Run(string[] args)
    {
        var opt = Parse(args);
        Console.WriteLine($"neighbours bench: k = {opt.K}, threads = {(opt.Threads > 0 ? opt.Threads : Environment.ProcessorCount)}, SIMD 512 = {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        if (opt.ExactOnly) { ExactCompare(opt); return 0; }
        if (!opt.NoShared) Shared(opt);
        if (!opt.NoSim) Simulated(opt);
        return 0;
    }

    sealed class Options
    {
        public string? Data;
        public int N = 200_000, Dims = 50, Batches = 10, Labels = 20, K = 90, Threads, Sample = 2000;
        public ulong Seed;
        public bool FullExact, NoShared, NoSim, ExactOnly;
        public int Margin = -1;
        public NeighborMethod Method = NeighborMethod.Approximate;
        public string? H5ad;
        public string Embed = "X_pca";
    }

    static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--data": o.Data = Next(); break;
                case "--n": o.N = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--dims": o.Dims = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--batches": o.Batches = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--labels": o.Labels = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--k": o.K = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": o.Threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--sample": o.Sample = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed": o.Seed = ulong.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--full-exact": o.FullExact = true; break;
                case "--no-shared": o.NoShared = true; break;
                case "--no-sim": o.NoSim = true; break;
                case "--exact-only": o.ExactOnly = true; break;
                case "--margin": o.Margin = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--h5ad": o.H5ad = Next(); break;
                case "--embed": o.Embed = Next(); break;
                case "--method": o.Method = Enum.Parse<NeighborMethod>(Next(), ignoreCase: true); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return o;
    }

    static string? SharedFolder(Options o)
    {
        var candidates = new[] { o.Data, Environment.GetEnvironmentVariable("SCBATCHPROX_SHARED_DATA"), "../shared/data", "../../shared/data" };
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && Directory.Exists(c));
    }

    static double PeakMiB() => Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);

    static void Shared(Options o)
    {
        var dir = SharedFolder(o);
        if (dir == null) { Console.WriteLine("shared data folder not found (--data DIR or SCBATCHPROX_SHARED_DATA); skipped."); return; }
        Console.WriteLine($"\nshared data in {Path.GetFullPath(dir)}");
        Console.WriteLine($"{"file/embedding",-36} {"n",7} {"d",4} {"exact s",8} {"nnd s",8} {"recall",8} {"same graph",10} {"peak MiB",9}");
        foreach (var file in Directory.GetFiles(dir, "*.h5ad").Order(StringComparer.Ordinal))
        {
            using var ad = AnnDataFile.Open(file);
            foreach (var key in ad.ObsmKeys.Order(StringComparer.Ordinal))
            {
                var emb = ad.ReadObsm(key);
                if (emb.Rows <= o.K) continue;
                var sw = Stopwatch.StartNew();
                var exact = ExactNeighbors.Search(emb, o.K, o.Threads);
                double te = sw.Elapsed.TotalSeconds;
                sw.Restart();
                var approx = NNDescent.Search(emb, o.K, new NNDescentOptions { Seed = o.Seed }, o.Threads);
                double ta = sw.Elapsed.TotalSeconds;
                bool same = exact.Indices.AsSpan().SequenceEqual(approx.Indices);
                Console.WriteLine($"{Path.GetFileNameWithoutExtension(file) + "/" + key,-36} {emb.Rows,7} {emb.Cols,4} {te,8:F2} {ta,8:F2} {Recall(exact, approx, null),8:F5} {same,10} {PeakMiB(),9:F0}");
            }
        }
    }

    /// <summary>Gaussian mixture: label centres (spread 6), batch offsets (spread 2), unit noise; float32 values.</summary>
    public static (Embedding Data, int[] Batch, int[] Label) Simulate(int n, int d, int batches, int labels, ulong seed)
    {
        var rng = new Random((int)(seed % int.MaxValue) + 12345);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var centre = new double[labels * d];
        for (int t = 0; t < centre.Length; t++) centre[t] = 6 * Gauss();
        var shift = new double[batches * d];
        for (int t = 0; t < shift.Length; t++) shift[t] = 2 * Gauss();
        var x = new float[(long)n * d];
        var b = new int[n]; var l = new int[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = rng.Next(batches); l[i] = rng.Next(labels);
            for (int t = 0; t < d; t++) x[(long)i * d + t] = (float)(centre[l[i] * d + t] + shift[b[i] * d + t] + Gauss());
        }
        return (new Embedding(n, d, x), b, l);
    }

    static void Simulated(Options o)
    {
        Embedding emb;
        if (o.H5ad is string file)
        {
            using var f = AnnDataFile.Open(file);
            emb = f.ReadObsm(o.Embed);
            o.N = emb.Rows; o.Dims = emb.Cols;
            Console.WriteLine($"\n{file} obsm {o.Embed}: {o.N} cells x {o.Dims} dims");
        }
        else
        {
            Console.WriteLine($"\nsimulated: {o.N} cells x {o.Dims} dims, {o.Batches} batches, {o.Labels} labels");
            emb = Simulate(o.N, o.Dims, o.Batches, o.Labels, o.Seed).Data;
        }
        var data = new double[emb.Data.Length];
        for (long t = 0; t < data.Length; t++) data[t] = emb.Data[t];
        Console.WriteLine($"  data ready, peak {PeakMiB():F0} MiB");
        var sw = Stopwatch.StartNew();
        var approx = Neighbors.Build(data, o.N, o.Dims, o.K, o.Method, o.Threads, new NNDescentOptions { Seed = o.Seed });
        double ta = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"  {o.Method}: {ta:F1} s, peak {PeakMiB():F0} MiB");
        var rng = new Random(7);
        var sample = Enumerable.Range(0, o.N).OrderBy(_ => rng.Next()).Take(Math.Min(o.Sample, o.N)).Order().ToArray();
        sw.Restart();
        var truth = ExactNeighbors.SearchSubset(data, o.N, o.Dims, sample, o.K, o.Threads);
        double ts = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"  exact for {sample.Length} sampled cells: {ts:F1} s -> full exact about {ts * o.N / sample.Length:F0} s (extrapolated), peak {PeakMiB():F0} MiB");
        Console.WriteLine($"  recall@{o.K} of {o.Method} on the sample: {Recall(truth, approx, sample):F5}");
        if (o.FullExact)
        {
            sw.Restart();
            var exact = ExactNeighbors.Search(data, o.N, o.Dims, o.K, o.Threads);
            Console.WriteLine($"  full exact: {sw.Elapsed.TotalSeconds:F1} s, recall@{o.K} {Recall(exact, approx, null):F5}, peak {PeakMiB():F0} MiB");
        }
    }

    /// <summary>
    /// Exact search on simulated data of --n cells: Gram-filtered, and with --full-exact the direct
    /// search (baseline) in the same run: seconds, speed-up, fallback rows, identical graph.
    /// </summary>
    static void ExactCompare(Options o)
    {
        Console.WriteLine($"\nexact search: direct (baseline) vs Gram-filtered, simulated {o.N} cells x {o.Dims} dims");
        var (emb, _, _) = Simulate(o.N, o.Dims, o.Batches, o.Labels, o.Seed);
        var data = ExactNeighborsWiden(emb);
        int margin = o.Margin >= 0 ? o.Margin : ExactNeighbors.DefaultMargin(o.K);
        var sw = Stopwatch.StartNew();
        var filtered = ExactNeighbors.SearchFiltered(data, o.N, o.Dims, o.K, margin, o.Threads, out int fallback);
        double tf = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"  filtered: {tf:F2} s (margin {margin}, {fallback} rows recomputed directly), peak {PeakMiB():F0} MiB");
        if (o.FullExact)
        {
            sw.Restart();
            var direct = ExactNeighbors.SearchDirect(data, o.N, o.Dims, o.K, o.Threads);
            double td = sw.Elapsed.TotalSeconds;
            bool same = direct.Indices.AsSpan().SequenceEqual(filtered.Indices) && direct.Distances.AsSpan().SequenceEqual(filtered.Distances);
            Console.WriteLine($"  direct:   {td:F2} s; speed-up {td / tf:F2}x; identical graph (indices and distances): {same}");
        }
    }

    static double[] ExactNeighborsWiden(Embedding e)
    {
        var x = new double[e.Data.Length];
        for (long t = 0; t < x.Length; t++) x[t] = e.Data[t];
        return x;
    }

    /// <summary>Share of true neighbour lists found; truth row r belongs to cell rows[r] (or r when rows is null).</summary>
    static double Recall(NeighborGraph truth, NeighborGraph approx, int[]? rows)
    {
        long hit = 0;
        for (int r = 0; r < truth.N; r++)
        {
            var set = new HashSet<int>(truth.IndicesOf(r).ToArray());
            foreach (var j in approx.IndicesOf(rows?[r] ?? r)) if (set.Contains(j)) hit++;
        }
        return (double)hit / ((long)truth.N * truth.K);
    }
}
