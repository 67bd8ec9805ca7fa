using System.Text.Json;
using System.Text.Json.Nodes;
using ScBatchProx.Metrics.Kbet;
using ScBatchProx.Metrics.Sampling;

namespace ScBatchProx.Metrics.Benchmark;

/// <summary>"Bio conservation", "Batch correction" and "Total" (= 0.6 bio + 0.4 batch) of one column set.</summary>
public sealed record AggregateScores(double BioConservation, double BatchCorrection, double Total)
{
    /// <summary>
    /// METRICS.md section 5: nanmean over the bio metrics and over the batch metrics (a NaN or an
    /// uncomputed metric drops out of its mean, as pandas groupby().mean() does; a section with
    /// nothing left is NaN), then Total = 0.6 bio + 0.4 batch.
    /// </summary>
    public static AggregateScores From(IReadOnlyDictionary<string, double> metrics, IReadOnlyList<string> batchMetrics)
    {
        double bio = NanMean(MetricSet.Bio, metrics), batch = NanMean(batchMetrics, metrics);
        return new AggregateScores(bio, batch, 0.6 * bio + 0.4 * batch);
    }

    static double NanMean(IEnumerable<string> names, IReadOnlyDictionary<string, double> metrics)
    {
        double sum = 0;
        int count = 0;
        foreach (var name in names)
            if (metrics.TryGetValue(name, out var v) && !double.IsNaN(v)) { sum += v; count++; }
        return count == 0 ? double.NaN : sum / count;
    }
}

/// <summary>Scores of one embedding (scib-metrics names, <see cref="MetricSet"/>) and their raw aggregates.</summary>
public sealed class BenchmarkResult
{
    public string Embedding { get; init; } = "";
    /// <summary>Cells scored.</summary>
    public int Cells { get; init; }
    /// <summary>Cells dropped up front because their label or batch was missing.</summary>
    public int ExcludedCells { get; init; }
    /// <summary>k-means initialisations KMeans NMI/ARI were averaged over (1 = scib-metrics' protocol).</summary>
    public int KMeansSeeds { get; init; } = 1;
    /// <summary>Computed metrics by name; NaN where the metric is undefined (e.g. no label qualifies).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>Wall-clock seconds per step (metric names, plus "neighbors" for the shared 90-NN search).</summary>
    public IReadOnlyDictionary<string, double> Seconds { get; init; } = new Dictionary<string, double>();
    /// <summary>Metrics scored on a sample of cells (<see cref="MetricSampling"/>), with the sample; empty when every metric is exact.</summary>
    public IReadOnlyDictionary<string, SampleInfo> Subsampled { get; init; } = new Dictionary<string, SampleInfo>();
    /// <summary>kBET per-label table (k0, branch, diffusion_n_comps), when kBET ran.</summary>
    public KbetResult? Kbet { get; init; }

    public AggregateScores Current => AggregateScores.From(Metrics, MetricSet.BatchCurrent);
    public AggregateScores Classic => AggregateScores.From(Metrics, MetricSet.BatchClassic);

    public double this[string metric] => Metrics.TryGetValue(metric, out var v) ? v : double.NaN;

    /// <summary>
    /// JSON with the reference file's layout: {"embedding", "cells", "excluded_cells", "kmeans_seeds", "metrics":
    /// {name: value}, "aggregates": {"current"|"classic": {"Bio conservation", "Batch correction",
    /// "Total"}}, "seconds", "subsampled": {metric: {"cells", "of", "stratified_by", "seed"}} (only when
    /// some metric was subsampled), "kbet_per_label_table"}. NaN and infinities are written as null
    /// (JSON has no NaN).
    /// </summary>
    public JsonObject ToJsonNode()
    {
        var o = new JsonObject
        {
            ["embedding"] = Embedding,
            ["cells"] = Cells,
            ["excluded_cells"] = ExcludedCells,
            ["kmeans_seeds"] = KMeansSeeds,
            ["metrics"] = BenchmarkJson.Values(OrderedMetrics(Metrics)),
            ["aggregates"] = new JsonObject
            {
                ["current"] = BenchmarkJson.Aggregates(Current),
                ["classic"] = BenchmarkJson.Aggregates(Classic),
            },
            ["seconds"] = BenchmarkJson.Values(Seconds),
        };
        if (Subsampled.Count > 0)
        {
            var sampled = new JsonObject();
            foreach (var (metric, info) in Subsampled.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                sampled[metric] = new JsonObject { ["cells"] = info.Cells, ["of"] = info.Of, ["stratified_by"] = info.StratifiedBy, ["seed"] = info.Seed };
            o["subsampled"] = sampled;
        }
        if (Kbet != null)
        {
            var table = new JsonArray();
            foreach (var r in Kbet.Labels)
                table.Add(new JsonObject
                {
                    ["label"] = r.Label, ["n"] = r.N, ["k0"] = r.K0, ["branch"] = r.Branch.ToString(),
                    ["diffusion_n_comps"] = r.DiffusionNComps, ["cells"] = r.Cells, ["score"] = BenchmarkJson.Number(r.Score),
                });
            o["kbet_per_label_table"] = table;
        }
        return o;
    }

    public string ToJson(bool indented = true) => ToJsonNode().ToJsonString(new JsonSerializerOptions { WriteIndented = indented });

    /// <summary>Reads what <see cref="ToJson"/> wrote (aggregates are recomputed from the metrics; the kBET table is not read back).</summary>
    public static BenchmarkResult FromJson(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        return new BenchmarkResult
        {
            Embedding = (string?)o["embedding"] ?? "",
            Cells = (int?)o["cells"] ?? 0,
            ExcludedCells = (int?)o["excluded_cells"] ?? 0,
            KMeansSeeds = (int?)o["kmeans_seeds"] ?? 1,
            Metrics = BenchmarkJson.ReadValues(o["metrics"]),
            Seconds = BenchmarkJson.ReadValues(o["seconds"]),
            Subsampled = o["subsampled"] is JsonObject sampled
                ? sampled.ToDictionary(kv => kv.Key, kv => new SampleInfo((int)kv.Value!["cells"]!, (int)kv.Value!["of"]!, (string)kv.Value!["stratified_by"]!, (ulong)kv.Value!["seed"]!))
                : new Dictionary<string, SampleInfo>(),
        };
    }

    /// <summary>Metrics in <see cref="MetricSet.All"/> order, unknown names after them.</summary>
    internal static IEnumerable<KeyValuePair<string, double>> OrderedMetrics(IReadOnlyDictionary<string, double> metrics)
        => metrics.OrderBy(kv => MetricSet.All.Contains(kv.Key) ? MetricSet.All.ToList().IndexOf(kv.Key) : int.MaxValue)
                  .ThenBy(kv => kv.Key, StringComparer.Ordinal);
}

/// <summary>
/// Several embeddings of one run (same cells, labels and batches): raw results plus the min-max
/// scaled metrics and aggregates of METRICS.md section 5 (the classic Benchmarker default).
/// Scaled values depend on which embeddings are in the run; use them for ranking only.
/// </summary>
public sealed class BenchmarkTable
{
    public IReadOnlyList<BenchmarkResult> Results { get; }
    /// <summary>Scaled metrics, parallel to <see cref="Results"/>.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> ScaledMetrics { get; }

    public BenchmarkTable(IReadOnlyList<BenchmarkResult> results)
    {
        Results = results;
        ScaledMetrics = MinMaxScale(results.Select(r => r.Metrics).ToList());
    }

    public AggregateScores ScaledCurrent(int index) => AggregateScores.From(ScaledMetrics[index], MetricSet.BatchCurrent);
    public AggregateScores ScaledClassic(int index) => AggregateScores.From(ScaledMetrics[index], MetricSet.BatchClassic);

    /// <summary>
    /// sklearn MinMaxScaler per metric column: (x - min) / (max - min) with NaN ignored for min and
    /// max and kept as NaN; a constant column (max == min, e.g. a single embedding) becomes all 0.
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, double>> MinMaxScale(IReadOnlyList<IReadOnlyDictionary<string, double>> rows)
    {
        var scaled = rows.Select(_ => new Dictionary<string, double>()).ToList();
        var names = rows.SelectMany(r => r.Keys).Distinct().ToList();
        foreach (var name in names)
        {
            var finite = rows.Where(r => r.TryGetValue(name, out var v) && !double.IsNaN(v)).Select(r => r[name]).ToList();
            double min = finite.Count > 0 ? finite.Min() : double.NaN, max = finite.Count > 0 ? finite.Max() : double.NaN;
            double range = max - min;
            for (int i = 0; i < rows.Count; i++)
            {
                if (!rows[i].TryGetValue(name, out var v)) continue;
                scaled[i][name] = double.IsNaN(v) ? double.NaN : range == 0 ? 0 : (v - min) / range;
            }
        }
        return scaled;
    }

    /// <summary>{"embeddings": {name: {...raw result..., "scaled": {"metrics", "aggregates"}}}}.</summary>
    public string ToJson(bool indented = true)
    {
        var embeddings = new JsonObject();
        for (int i = 0; i < Results.Count; i++)
        {
            var node = Results[i].ToJsonNode();
            node["scaled"] = new JsonObject
            {
                ["metrics"] = BenchmarkJson.Values(BenchmarkResult.OrderedMetrics(ScaledMetrics[i])),
                ["aggregates"] = new JsonObject
                {
                    ["current"] = BenchmarkJson.Aggregates(ScaledCurrent(i)),
                    ["classic"] = BenchmarkJson.Aggregates(ScaledClassic(i)),
                },
            };
            embeddings[string.IsNullOrEmpty(Results[i].Embedding) ? $"embedding_{i}" : Results[i].Embedding] = node;
        }
        return new JsonObject { ["embeddings"] = embeddings }.ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
    }
}

/// <summary>JSON helpers: NaN/infinity as null, aggregates under scib-metrics' column names.</summary>
static class BenchmarkJson
{
    public static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    public static JsonObject Values(IEnumerable<KeyValuePair<string, double>> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = Number(v);
        return o;
    }

    public static JsonObject Aggregates(AggregateScores a) => new()
    {
        [MetricSet.BioConservation] = Number(a.BioConservation),
        [MetricSet.BatchCorrection] = Number(a.BatchCorrection),
        [MetricSet.Total] = Number(a.Total),
    };

    public static Dictionary<string, double> ReadValues(JsonNode? node)
    {
        var result = new Dictionary<string, double>();
        if (node is JsonObject o)
            foreach (var (k, v) in o) result[k] = v is null ? double.NaN : v.GetValue<double>();
        return result;
    }
}
