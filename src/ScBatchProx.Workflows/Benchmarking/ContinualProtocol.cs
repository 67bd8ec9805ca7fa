using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ScBatchProx.Core;
using ScBatchProx.Core.Method;
using ScBatchProx.Core.Model;
using ScBatchProx.Metrics.Benchmark;

namespace ScBatchProx.Workflows.Benchmarking;

/// <summary>
/// One arrival of the continual protocol: the cells so far scored three ways, upstream, extended
/// from the previous step's model, and refined again from scratch on everything.
/// </summary>
public sealed record ContinualStep(string Dataset, string Embedding, int Step, string Arrived, IReadOnlyList<string> Batches, int Cells,
    BenchmarkResult Upstream, BenchmarkResult Extended, BenchmarkResult Full, double ExtendSeconds, double FullSeconds)
{
    /// <summary>Relative Total of extend against the full re-run.</summary>
    public double ExtendVsFull => Extended.Current.Total / Full.Current.Total - 1;
    /// <summary>Relative Total of extend against the upstream embedding.</summary>
    public double ExtendVsUpstream => Extended.Current.Total / Upstream.Current.Total - 1;
}

/// <summary>
/// Continual integration (`benchmark --continual`): batches in ordinal name order; a model is refined
/// on the first two, then the others arrive one at a time. After each arrival the model of the
/// previous step is extended with the new batch (known batches transformed, not retrained), and
/// compared with a full refinement of every batch so far and with the upstream embedding.
/// </summary>
public static class ContinualProtocol
{
    /// <summary>The issue's targets: extend within 2 % of the full re-run, never more than 1 % below upstream.</summary>
    public const double MaxBelowFull = 0.02, MaxBelowUpstream = 0.01;

    public static async Task<List<ContinualStep>> RunAsync(BenchmarkData data, IReadOnlyCollection<string>? keys, RefineOptions options,
        int threads, int kmeansSeeds, Action<string> log, CancellationToken cancel)
    {
        var steps = new List<ContinualStep>();
        var scoring = IntegrationBenchmark.Scoring(threads, kmeansSeeds);
        var fit = new FitSettings { Threads = threads, Cancel = cancel };
        foreach (var pair in data.Pairs(keys, log))
        {
            var order = pair.Batches.Categories.Where((_, b) => pair.Batches.Counts()[b] > 0).Order(StringComparer.Ordinal).ToList();
            if (order.Count < 3) { log($"{pair.Dataset} {pair.Key}: {order.Count} batches, nothing arrives later; skipped"); continue; }
            var model = (await Refiner.FitAsync(Rows(pair, order[..2]).Embedding, Rows(pair, order[..2]).Batches, options, fit)).Model;
            for (int step = 2; step < order.Count; step++)
            {
                cancel.ThrowIfCancellationRequested();
                var sofar = Rows(pair, order[..(step + 1)]);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var ext = await model.ExtendAsync(sofar.Embedding, sofar.Batches, new ExtendSettings { Threads = threads, Cancel = cancel });
                double extendSeconds = sw.Elapsed.TotalSeconds;
                var full = await Refiner.FitAsync(sofar.Embedding, sofar.Batches, options, fit);
                var s = new ContinualStep(pair.Dataset, pair.Key, step - 1, order[step], order[..(step + 1)], sofar.Embedding.Rows,
                    Benchmarker.Evaluate(sofar.Embedding, sofar.Labels, sofar.Batches, sofar.Pre, scoring, name: pair.Key),
                    Benchmarker.Evaluate(ext.Refined, sofar.Labels, sofar.Batches, sofar.Pre, scoring, name: pair.Key),
                    Benchmarker.Evaluate(full.Refined, sofar.Labels, sofar.Batches, sofar.Pre, scoring, name: pair.Key),
                    extendSeconds, full.Elapsed.TotalSeconds);
                steps.Add(s);
                log($"{s.Dataset} {s.Embedding} step {s.Step} (+{s.Arrived}, {s.Cells} cells): Total upstream {F(s.Upstream.Current.Total)}, " +
                    $"extend {F(s.Extended.Current.Total)}, full {F(s.Full.Current.Total)} (extend vs full {P(s.ExtendVsFull)}); {extendSeconds:F2} s vs {full.Elapsed.TotalSeconds:F2} s");
                model = ext.Model;
            }
        }
        return steps;
    }

    static BenchmarkPair Rows(BenchmarkPair pair, List<string> batches) =>
        pair.Subset(Enumerable.Range(0, pair.Batches.Length).Where(i => batches.Contains(pair.Batches.ValueAt(i)!)).ToArray());

    static string F(double v) => IntegrationBenchmark.F(v);
    static string P(double v) => IntegrationBenchmark.P(v);

    /// <summary>Steps that miss a target: extend more than 2 % below the full re-run or more than 1 % below upstream.</summary>
    public static IEnumerable<ContinualStep> Misses(IReadOnlyList<ContinualStep> steps) =>
        steps.Where(s => s.ExtendVsFull < -MaxBelowFull || s.ExtendVsUpstream < -MaxBelowUpstream);

    public static string Markdown(IReadOnlyList<ContinualStep> steps)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| dataset | embedding | step | arrived | cells | Total upstream | extend | full re-run | extend vs full | extend vs upstream | extend s | full s |");
        sb.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in steps)
            sb.AppendLine($"| {s.Dataset} | {s.Embedding} | {s.Step} | {s.Arrived} | {s.Cells} | {F(s.Upstream.Current.Total)} | {F(s.Extended.Current.Total)} | " +
                          $"{F(s.Full.Current.Total)} | {P(s.ExtendVsFull)} | {P(s.ExtendVsUpstream)} | {s.ExtendSeconds.ToString("F2", CultureInfo.InvariantCulture)} | " +
                          $"{s.FullSeconds.ToString("F2", CultureInfo.InvariantCulture)} |");
        if (steps.Count > 0)
        {
            var worstFull = steps.MinBy(s => s.ExtendVsFull)!;
            var worstUp = steps.MinBy(s => s.ExtendVsUpstream)!;
            sb.AppendLine();
            sb.AppendLine($"{steps.Count} steps; worst extend vs full re-run {P(worstFull.ExtendVsFull)} ({worstFull.Dataset} {worstFull.Embedding} step {worstFull.Step}), " +
                          $"worst extend vs upstream {P(worstUp.ExtendVsUpstream)} ({worstUp.Dataset} {worstUp.Embedding} step {worstUp.Step}); " +
                          $"extend / full wall time: median {IntegrationBenchmark.Median(steps.Select(s => s.ExtendSeconds / s.FullSeconds)).ToString("F2", CultureInfo.InvariantCulture)}.");
            int misses = Misses(steps).Count();
            sb.AppendLine($"Targets (every step within {100 * MaxBelowFull:F0} % of the full re-run and at most {100 * MaxBelowUpstream:F0} % below upstream): " +
                          (misses == 0 ? "met." : $"missed at {misses} step(s)."));
        }
        return sb.ToString();
    }

    public static JsonArray Json(IReadOnlyList<ContinualStep> steps) => new(steps.Select(s => (JsonNode)new JsonObject
    {
        ["dataset"] = s.Dataset, ["embedding"] = s.Embedding, ["step"] = s.Step, ["arrived"] = s.Arrived,
        ["batches"] = new JsonArray(s.Batches.Select(b => (JsonNode)b).ToArray()), ["cells"] = s.Cells,
        ["extend_vs_full"] = s.ExtendVsFull, ["extend_vs_upstream"] = s.ExtendVsUpstream,
        ["extend_seconds"] = s.ExtendSeconds, ["full_seconds"] = s.FullSeconds,
        ["upstream"] = s.Upstream.ToJsonNode(), ["extended"] = s.Extended.ToJsonNode(), ["full"] = s.Full.ToJsonNode(),
    }).ToArray());
}
