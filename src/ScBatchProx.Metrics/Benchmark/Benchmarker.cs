using System.Diagnostics;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Clustering;
using ScBatchProx.Metrics.Kbet;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Pcr;
using ScBatchProx.Metrics.Sampling;
using ScBatchProx.Metrics.Silhouette;

namespace ScBatchProx.Metrics.Benchmark;

/// <summary>
/// scib-metrics' Benchmarker for one embedding: one 90-NN search shared by the graph metrics
/// (cLISI/iLISI on 90, kBET on the first 50 columns, graph connectivity on the first 15), one
/// label silhouette shared by silhouette_label and isolated_labels, then every selected metric.
/// Above <see cref="MetricSampling.ExactMaxCells"/> cells (<see cref="BenchmarkOptions.Sampling"/>) the
/// silhouettes and kBET score seeded stratified samples, listed in <see cref="BenchmarkResult.Subsampled"/>;
/// below it every value is exact. Every step that can take longer than a moment reports its start
/// and its end (with its time) to the progress sink, kBET also its labels as they finish.
/// </summary>
public static class Benchmarker
{
    public const int NeighborCount = 90;

    /// <param name="embedding">the integrated embedding to score.</param>
    /// <param name="pre">pre-integration embedding for pcr_comparison (scib-metrics: X_pca); null makes pcr_comparison NaN.</param>
    /// <param name="progress">receives a line when a step starts ("neighbors ...") and one when it ends ("silhouette_label = 0.7482 (1.2 s)").</param>
    public static BenchmarkResult Evaluate(Embedding embedding, Categorical labels, Categorical batches, Embedding? pre,
        BenchmarkOptions? options = null, IProgress<string>? progress = null, string name = "")
    {
        options ??= new BenchmarkOptions();
        foreach (var m in options.Metrics)
            if (!MetricSet.IsKnown(m)) throw new ArgumentException($"unknown metric '{m}'; known: {string.Join(", ", MetricSet.All.Concat(MetricSet.Optional))}.");
        int n0 = embedding.Rows;
        if (labels.Length != n0 || batches.Length != n0)
            throw new ArgumentException($"embedding has {n0} cells, labels {labels.Length}, batches {batches.Length}.");
        if (pre != null && pre.Rows != n0) throw new ArgumentException($"pre-integration embedding has {pre.Rows} cells, expected {n0}.");

        // Cells without a label or batch cannot be scored (scib-metrics has no defined behaviour);
        // they are dropped, never mapped to a category, and counted in the result.
        var keep = Enumerable.Range(0, n0).Where(i => labels.Codes[i] >= 0 && batches.Codes[i] >= 0).ToArray();
        int excluded = n0 - keep.Length;
        if (excluded > 0)
        {
            embedding = embedding.SelectRows(keep);
            pre = pre?.SelectRows(keep);
            labels = Subset(labels, keep);
            batches = Subset(batches, keep);
            progress?.Report($"excluded {excluded} cells with a missing label or batch");
        }
        // Categories not present (after exclusion) must not count as labels or batches.
        labels = labels.Normalized();
        batches = batches.Normalized();
        int n = embedding.Rows;
        var bad = embedding.FirstNonFiniteRow();
        if (bad >= 0) throw new ArgumentException($"embedding row {bad} holds NaN or infinity.");

        var selected = new HashSet<string>(options.Metrics);
        var metrics = new Dictionary<string, double>();
        var seconds = new Dictionary<string, double>();
        var subsampled = new Dictionary<string, SampleInfo>();
        var sampling = options.Sampling;
        bool sample = sampling.Applies(n);
        int threads = options.Threads;
        var clock = new Stopwatch();
        // Prefixes a step's own progress lines with its name.
        IProgress<string>? Within(string label) => progress is null ? null : new StepProgress(progress, label);

        // announce: false for values read off a step that already ran (kmeans_nmi after kmeans).
        void Step(string label, Func<double> compute, bool announce = true)
        {
            if (announce) progress?.Report($"{label} ...");
            clock.Restart();
            double v = compute();
            seconds[label] = clock.Elapsed.TotalSeconds;
            metrics[label] = v;
            progress?.Report($"{label} = {v:F4} ({seconds[label]:F1} s)");
        }
        T Timed<T>(string label, Func<T> compute)
        {
            progress?.Report($"{label} ...");
            clock.Restart();
            var v = compute();
            seconds[label] = clock.Elapsed.TotalSeconds;
            progress?.Report($"{label} done ({seconds[label]:F1} s)");
            return v;
        }

        NeighborGraph? graph = null;
        string[] graphMetrics = [MetricSet.ClisiKnn, MetricSet.IlisiKnn, MetricSet.KbetPerLabel, MetricSet.GraphConnectivity, MetricSet.LeidenNmi, MetricSet.LeidenAri];
        if (graphMetrics.Any(selected.Contains))
        {
            if (n <= NeighborCount)
                throw new ArgumentException($"{n} cells: the graph metrics need more than {NeighborCount} cells (a {NeighborCount}-NN search).");
            graph = Timed("neighbors", () => Neighbors.Neighbors.Build(embedding, NeighborCount, options.NeighborMethod, threads, progress: Within("neighbors")));
        }

        if (selected.Contains(MetricSet.SilhouetteLabel) || selected.Contains(MetricSet.IsolatedLabels))
        {
            if (!sample)
            {
                var samples = Timed("label_silhouette", () => SilhouetteLabel.Samples(embedding, labels, threads));
                if (selected.Contains(MetricSet.IsolatedLabels))
                    Step(MetricSet.IsolatedLabels, () => IsolatedLabels.Score(samples, labels, batches, options.IsolatedLabelThreshold), announce: false);
                if (selected.Contains(MetricSet.SilhouetteLabel))
                    Step(MetricSet.SilhouetteLabel, () => SilhouetteLabel.FromSamples(samples), announce: false);
            }
            else
            {
                var (drawn, values) = Timed("label_silhouette", () => SilhouetteLabel.SampledSamples(embedding, labels, batches, sampling, options.IsolatedLabelThreshold, threads));
                var info = new SampleInfo(drawn.Cells.Length, n, "label", sampling.Seed);
                progress?.Report($"label_silhouette: sampled {info.Cells} of {n} cells, stratified by label");
                if (selected.Contains(MetricSet.IsolatedLabels))
                {
                    Step(MetricSet.IsolatedLabels, () => IsolatedLabels.Score(values, drawn.Cells, labels, batches, options.IsolatedLabelThreshold), announce: false);
                    subsampled[MetricSet.IsolatedLabels] = info;
                }
                if (selected.Contains(MetricSet.SilhouetteLabel))
                {
                    Step(MetricSet.SilhouetteLabel, () => SilhouetteLabel.FromSample(drawn, values), announce: false);
                    subsampled[MetricSet.SilhouetteLabel] = info;
                }
            }
        }
        if (selected.Contains(MetricSet.KmeansNmi) || selected.Contains(MetricSet.KmeansAri))
        {
            var (nmi, ari) = Timed("kmeans", () => KmeansNmiAri.Score(embedding, labels, options.KMeansSeed, threads, options.KMeansSeeds, Within("kmeans")));
            if (selected.Contains(MetricSet.KmeansNmi)) Step(MetricSet.KmeansNmi, () => nmi, announce: false);
            if (selected.Contains(MetricSet.KmeansAri)) Step(MetricSet.KmeansAri, () => ari, announce: false);
        }
        if (selected.Contains(MetricSet.ClisiKnn)) Step(MetricSet.ClisiKnn, () => Lisi.ClisiKnn(graph!, labels, threads));
        void BatchSilhouetteStep(string metric, SilhouetteMetric distance, BetweenClusterDistance between) => Step(metric, () =>
        {
            var r = BatchSilhouette.Compute(embedding, labels, batches, distance, between, threads, sampling);
            if (r.Sampled) subsampled[metric] = new SampleInfo(r.ScoredCells, n, "label x batch", sampling.Seed);
            return r.Score;
        });
        if (selected.Contains(MetricSet.Bras)) BatchSilhouetteStep(MetricSet.Bras, SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther);
        if (selected.Contains(MetricSet.SilhouetteBatch)) BatchSilhouetteStep(MetricSet.SilhouetteBatch, SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest);
        if (selected.Contains(MetricSet.IlisiKnn)) Step(MetricSet.IlisiKnn, () => Lisi.IlisiKnn(graph!, batches, threads));
        KbetResult? kbet = null;
        if (selected.Contains(MetricSet.KbetPerLabel))
            Step(MetricSet.KbetPerLabel, () =>
            {
                kbet = KbetPerLabel.Compute(graph!, batches, labels, threads: threads, sampling: sampling, progress: Within(MetricSet.KbetPerLabel));
                if (kbet.Sampled) subsampled[MetricSet.KbetPerLabel] = new SampleInfo(kbet.Labels.Sum(r => r.Cells), n, "label x batch", sampling.Seed);
                return kbet.Score;
            });
        if (selected.Contains(MetricSet.GraphConnectivity))
            Step(MetricSet.GraphConnectivity, () => GraphConnectivity.Compute(graph!, labels, 15));
        if (selected.Contains(MetricSet.PcrComparison))
            Step(MetricSet.PcrComparison, () => pre == null ? double.NaN : PcrComparison.Score(pre, embedding, batches));
        if (selected.Contains(MetricSet.LeidenNmi) || selected.Contains(MetricSet.LeidenAri))
        {
            // Optional extras (METRICS.md 4.11): reported with the metrics, left out of every aggregate.
            var (nmi, ari, resolution) = Timed("leiden", () => LeidenNmiAri.Score(graph!, labels));
            progress?.Report($"leiden: best NMI at resolution {resolution:F1}");
            if (selected.Contains(MetricSet.LeidenNmi)) Step(MetricSet.LeidenNmi, () => nmi, announce: false);
            if (selected.Contains(MetricSet.LeidenAri)) Step(MetricSet.LeidenAri, () => ari, announce: false);
        }

        return new BenchmarkResult
        {
            Embedding = name,
            Cells = n,
            ExcludedCells = excluded,
            KMeansSeeds = options.KMeansSeeds,
            Metrics = metrics,
            Seconds = seconds,
            Subsampled = subsampled,
            Kbet = kbet,
        };
    }

    /// <summary>Scores several embeddings of the same cells (for min-max scaled aggregates).</summary>
    public static BenchmarkTable EvaluateAll(IReadOnlyList<(string Name, Embedding Embedding)> embeddings, Categorical labels, Categorical batches,
        Embedding? pre, BenchmarkOptions? options = null, IProgress<string>? progress = null)
        => new(embeddings.Select(e => Evaluate(e.Embedding, labels, batches, pre, options, progress, e.Name)).ToList());

    /// <summary>A step's progress lines, prefixed with the step name.</summary>
    sealed class StepProgress(IProgress<string> inner, string step) : IProgress<string>
    {
        public void Report(string value) => inner.Report($"{step}: {value}");
    }

    static Categorical Subset(Categorical c, int[] rows)
        => new(c.Name, c.Categories, rows.Select(i => c.Codes[i]).ToArray());
}
