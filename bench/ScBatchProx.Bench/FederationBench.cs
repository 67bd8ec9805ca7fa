using System.Diagnostics;
using ScBatchProx.Core;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Data.Simulation;
using ScBatchProx.Federation;

namespace ScBatchProx.Bench;

/// <summary>
/// "federation": per-round message sizes, and wall time of a run over gRPC on loopback (server and
/// clients in this process, one HTTP/2 connection per client) versus the in-process engine.
/// Options: --cells N (20000) --batches B (10) --rounds T (20) --dims d (30) --seed S (1).
/// </summary>
public static class FederationBench
{
    public static int Run(string[] args)
    {
        int Arg(string name, int dflt) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : dflt; }
        int cells = Arg("--cells", 20_000), batches = Arg("--batches", 10), rounds = Arg("--rounds", 20), dims = Arg("--dims", 30), seed = Arg("--seed", 1);
        var sim = Simulator.Generate(new SimulationOptions { Cells = cells, Batches = batches, Dims = dims, Seed = (ulong)seed });
        var opt = new RefineOptions { Rounds = rounds, Tolerance = 0, Seed = (ulong)seed };
        Console.WriteLine($"federation benchmark: {cells} cells, {batches} batches (clients), d = {dims}, {rounds} rounds, h = {opt.Hidden}, K = {opt.PrototypeCount(cells)}, {Environment.ProcessorCount} cores");

        // message sizes of one round, as serialized on the wire
        var parts = Enumerable.Range(0, sim.Batch.CategoryCount)
            .Select(b => (Id: sim.Batch.Categories[b], Rows: Enumerable.Range(0, cells).Where(i => sim.Batch.Codes[i] == b).ToArray())).ToList();
        var clients = parts.Select(p => new BatchClient(p.Id, sim.Embedding.SelectRows(p.Rows))).ToList();
        var stats = clients.Select(c => c.Statistics()).ToList();
        var setup = RunSetup.From(opt, stats);
        var trainers = clients.Select(c => c.Setup(setup.Message)).ToList();
        var centroids = trainers.Select(t => t.Centroids(setup.Message.PrototypeCount)).ToList();
        var round = FederatedServer.Start(setup, centroids).RoundBroadcast();
        var update = trainers[0].Train(round);
        int up = ProtoMap.ToProto(update).CalculateSize(), down = ProtoMap.ToProto(round).CalculateSize();
        Console.WriteLine($"  client -> server per round: {up:N0} bytes (theta {update.Theta.Length} floats, prototype sums {update.PrototypeSums.Length} + occupancy {update.Occupancy.Length} doubles); batch of {update.Count} cells");
        Console.WriteLine($"  server -> client per round: {down:N0} bytes; setup {ProtoMap.ToProto(setup.Message).CalculateSize():N0} bytes; " +
                          $"statistics answer {ProtoMap.ToProto(stats[0]).CalculateSize():N0} bytes; centroids answer {ProtoMap.ToProto(centroids[0]).CalculateSize():N0} bytes");
        long perRun = (long)rounds * batches * (up + down);
        Console.WriteLine($"  whole run, all clients, rounds only: {perRun / 1024.0 / 1024.0:F2} MiB (cells in the data: {cells * dims * 4 / 1024.0 / 1024.0:F2} MiB as float32, never sent)");

        // wall time: in-process vs loopback gRPC
        for (int rep = 0; rep < 2; rep++)
        {
            var sw = Stopwatch.StartNew();
            var inproc = Refiner.FitAsync(sim.Embedding, sim.Batch, opt).GetAwaiter().GetResult();
            double tIn = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var (grpcRefined, roundsRun) = LoopbackAsync(sim, parts, opt).GetAwaiter().GetResult();
            double tNet = sw.Elapsed.TotalSeconds;
            bool same = parts.Select((p, c) => inproc.Refined.SelectRows(p.Rows).Data.AsSpan().SequenceEqual(grpcRefined[c])).All(x => x);
            Console.WriteLine($"  run {rep + 1}: in-process {tIn:F2} s ({inproc.Run.RoundsRun} rounds, {tIn / Math.Max(1, inproc.Run.RoundsRun) * 1000:F0} ms/round); " +
                $"gRPC loopback {tNet:F2} s ({roundsRun} rounds, {tNet / Math.Max(1, roundsRun) * 1000:F0} ms/round); overhead {(tNet - tIn) / Math.Max(1, roundsRun) * 1000:F0} ms/round; bitwise identical: {same}");
        }
        return 0;
    }

    static async Task<(float[][] Refined, int Rounds)> LoopbackAsync(SimulatedData sim, List<(string Id, int[] Rows)> parts, RefineOptions opt)
    {
        await using var host = await FederationHost.StartAsync(new ServerSettings { Listen = "http://127.0.0.1:0", Clients = parts.Count, RoundTimeout = TimeSpan.FromMinutes(5) }, opt);
        var run = host.RunAsync();
        var sites = parts.Select(p => new SiteClient(new BatchClient(p.Id, sim.Embedding.SelectRows(p.Rows)), new SiteSettings { Server = host.Address })).ToList();
        var results = await Task.WhenAll(sites.Select(s => s.RunAsync()));
        var r = await run;
        foreach (var s in sites) s.Dispose();
        return (results.Select((x, c) => x.Refine(sim.Embedding.SelectRows(parts[c].Rows)).Data).ToArray(), r.Run.RoundsRun);
    }
}
