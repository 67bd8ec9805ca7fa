using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ScBatchProx.Core;
using ScBatchProx.Data;
using ScBatchProx.Core.Method;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;

namespace ScBatchProx.Workflows.Benchmarking;

/// <summary>A way of running the refinement: the defaults, or an ablation of one part.</summary>
public sealed record Variant(string Name, string Description, RefineOptions Options, bool Centralised = false)
{
    public static IReadOnlyList<Variant> For(RefineOptions options, bool ablations) => ablations
        ?
        [
            new("full", "the method with the given options", options),
            new("no-prox", "without the proximal term (mu = 0)", options with { Mu = 0 }),
            new("no-identity", "without identity preservation (lambda_id = 0)", options with { LambdaId = 0 }),
            new("no-film", "shared adapter only, no per-batch FiLM", options with { UseFilm = false }),
            new("centralised", "one pooled client holding every cell", options, Centralised: true),
        ]
        : [new("full", "the method with the given options", options)];
}

/// <summary>One (dataset, embedding, variant): scores before and after refinement.</summary>
public sealed record PairResult(string Dataset, string Embedding, string Variant, BenchmarkResult Before, BenchmarkResult After, double RefineSeconds)
{
    public double RelativeGain => After.Current.Total / Before.Current.Total - 1;
    public bool BatchImproved => After.Current.BatchCorrection > Before.Current.BatchCorrection;
    public bool BioImproved => After.Current.BioConservation > Before.Current.BioConservation;
}

public sealed record VariantSummary(string Variant, int Pairs, double MedianGain, double MeanGain, double BatchImprovedShare, double BioImprovedShare, PairResult Worst)
{
    public static VariantSummary Of(string variant, IReadOnlyList<PairResult> pairs)
    {
        var gains = pairs.Select(p => p.RelativeGain).ToArray();
        return new VariantSummary(variant, pairs.Count, IntegrationBenchmark.Median(gains), gains.Average(),
            pairs.Count(p => p.BatchImproved) / (double)pairs.Count, pairs.Count(p => p.BioImproved) / (double)pairs.Count,
            pairs.MinBy(p => p.RelativeGain)!);
    }
}

/// <summary>
/// The headline experiment: for every .h5ad in a folder and every obsm embedding, refine and score
/// before and after with the scIB metrics (batch 'batch', label 'cell_type', pre-integration 'X_pca').
/// Labels are used only for scoring, never by the method.
/// </summary>
public static class IntegrationBenchmark
{
    /// <summary>Refines and scores every pair of <paramref name="data"/> with every variant.</summary>
    public static async Task<List<PairResult>> RunAsync(BenchmarkData data, IReadOnlyCollection<string>? keys, IReadOnlyList<Variant> variants,
        int threads, Action<string> log, CancellationToken cancel, int kmeansSeeds = 1)
    {
        var results = new List<PairResult>();
        var scoring = Scoring(threads, kmeansSeeds);
        foreach (var p in data.Pairs(keys, log))
        {
            var before = Benchmarker.Evaluate(p.Embedding, p.Labels, p.Batches, p.Pre, scoring, name: p.Key);
            foreach (var v in variants)
            {
                cancel.ThrowIfCancellationRequested();
                var clients = v.Centralised ? Categorical.FromStrings(BenchmarkData.BatchKey, Enumerable.Repeat<string?>("all", p.Embedding.Rows).ToList()) : p.Batches;
                var refined = await Refiner.FitAsync(p.Embedding, clients, v.Options, new FitSettings { Threads = threads, Cancel = cancel });
                var after = Benchmarker.Evaluate(refined.Refined, p.Labels, p.Batches, p.Pre, scoring, name: p.Key);
                var pair = new PairResult(p.Dataset, p.Key, v.Name, before, after, refined.Elapsed.TotalSeconds);
                results.Add(pair);
                log($"{p.Dataset} {p.Key} [{v.Name}]: Total {before.Current.Total:F4} -> {after.Current.Total:F4} ({P(pair.RelativeGain)}), " +
                    $"Batch {before.Current.BatchCorrection:F4} -> {after.Current.BatchCorrection:F4}, Bio {before.Current.BioConservation:F4} -> {after.Current.BioConservation:F4}");
            }
        }
        return results;
    }

    /// <summary>How every pair is scored: the current metric set, KMeans NMI/ARI over <paramref name="kmeansSeeds"/> initialisations.</summary>
    public static BenchmarkOptions Scoring(int threads, int kmeansSeeds) =>
        new() { Threads = threads, Metrics = MetricSet.Current, KMeansSeeds = kmeansSeeds };

    internal static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
    // the third section keeps a negative value that rounds to zero from printing as "-+0.00"
    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
    }

    internal static string P(double v) => (100 * v).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " %";

    public static IReadOnlyList<VariantSummary> Summaries(IReadOnlyList<PairResult> results) =>
        results.GroupBy(r => r.Variant).Select(g => VariantSummary.Of(g.Key, g.ToList())).ToList();

    public static string Markdown(IReadOnlyList<PairResult> results, IReadOnlyList<Variant> variants)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| dataset | embedding | Total before -> after | gain | Batch before -> after | Bio before -> after |");
        sb.AppendLine("|---|---|---|---:|---|---|");
        foreach (var r in results.Where(r => r.Variant == variants[0].Name))
            sb.AppendLine($"| {r.Dataset} | {r.Embedding} | {F(r.Before.Current.Total)} -> {F(r.After.Current.Total)} | {P(r.RelativeGain)} | " +
                          $"{F(r.Before.Current.BatchCorrection)} -> {F(r.After.Current.BatchCorrection)} | {F(r.Before.Current.BioConservation)} -> {F(r.After.Current.BioConservation)} |");
        sb.AppendLine();
        sb.AppendLine("| variant | what | pairs | median Total gain | mean gain | Batch improved | Bio improved | worst pair |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var s in Summaries(results))
        {
            var desc = variants.First(v => v.Name == s.Variant).Description;
            sb.AppendLine($"| {s.Variant} | {desc} | {s.Pairs} | {P(s.MedianGain)} | {P(s.MeanGain)} | {100 * s.BatchImprovedShare:F0} % | {100 * s.BioImprovedShare:F0} % | " +
                          $"{s.Worst.Dataset} {s.Worst.Embedding} ({P(s.Worst.RelativeGain)}) |");
        }
        return sb.ToString();
    }

    public static string Json(IReadOnlyList<PairResult> results, RefineOptions options)
    {
        int kmeansSeeds = results.Count > 0 ? results[0].Before.KMeansSeeds : 1;
        var pairs = new JsonArray();
        foreach (var r in results)
            pairs.Add(new JsonObject
            {
                ["dataset"] = r.Dataset, ["embedding"] = r.Embedding, ["variant"] = r.Variant,
                ["relative_total_gain"] = r.RelativeGain, ["refine_seconds"] = r.RefineSeconds,
                ["before"] = r.Before.ToJsonNode(), ["after"] = r.After.ToJsonNode(),
            });
        var summaries = new JsonArray();
        foreach (var s in Summaries(results))
            summaries.Add(new JsonObject
            {
                ["variant"] = s.Variant, ["pairs"] = s.Pairs, ["median_relative_total_gain"] = s.MedianGain, ["mean_relative_total_gain"] = s.MeanGain,
                ["batch_improved_share"] = s.BatchImprovedShare, ["bio_improved_share"] = s.BioImprovedShare,
                ["worst"] = $"{s.Worst.Dataset} {s.Worst.Embedding}", ["worst_gain"] = s.Worst.RelativeGain,
            });
        return new JsonObject { ["options"] = JsonNode.Parse(options.ToJson()), ["kmeans_seeds"] = kmeansSeeds, ["pairs"] = pairs, ["summary"] = summaries }
            .ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }
}
