using ScBatchProx.Data;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;

namespace ScBatchProx.Workflows;

/// <summary>What to score: embeddings of one .h5ad file, its label and batch columns, the pre-integration embedding.</summary>
public sealed record EvaluateJob
{
    public required string Path { get; init; }
    /// <summary>obsm keys to score; empty means every key.</summary>
    public IReadOnlyList<string> Keys { get; init; } = [];
    public string BatchKey { get; init; } = CellSource.DefaultBatchKey;
    public string LabelKey { get; init; } = "cell_type";
    /// <summary>Pre-integration embedding for pcr_comparison; left out (with a note) when the file lacks it.</summary>
    public string PreKey { get; init; } = CellSource.DefaultEmbedKey;
    public BenchmarkOptions Scoring { get; init; } = new();
}

/// <summary>The scIB metrics of embeddings in a file, as scib-metrics' Benchmarker computes them.</summary>
public static class Evaluation
{
    /// <param name="note">Receives one line per thing the user should know (missing labels, no pre-integration embedding).</param>
    /// <param name="progress">Per embedding, the metric being computed.</param>
    public static IReadOnlyList<BenchmarkResult> Run(EvaluateJob job, Action<string>? note = null, Action<string, string>? progress = null)
    {
        using var file = Dataset.Open(job.Path);
        var keys = job.Keys.Count > 0 ? job.Keys : file.ObsmKeys;
        var labels = file.Obs(job.LabelKey);
        var batches = file.Obs(job.BatchKey);
        foreach (var column in new[] { labels, batches })
            if (column.MissingCount() is int missing and > 0)
                note?.Invoke($"{job.Path}: obs '{column.Name}' is missing (NaN or empty) for {missing} cell(s); they are left out of every metric.");
        Embedding? pre = file.HasObsm(job.PreKey) ? file.Obsm(job.PreKey) : null;
        if (pre is null) note?.Invoke($"{job.Path}: obsm '{job.PreKey}' not found; pcr_comparison is left out.");
        var results = new List<BenchmarkResult>();
        foreach (var key in keys)
        {
            var emb = file.Obsm(key);
            var bad = emb.NonFiniteRows();
            if (bad.Count > 0) throw InputError.For(job.Path, $"obsm/{key}", $"NaN or Inf in {bad.Count} row(s), first rows: {string.Join(", ", bad.Take(10))}.");
            results.Add(Benchmarker.Evaluate(emb, labels, batches, pre, job.Scoring, new LineProgress(line => progress?.Invoke(key, line)), key));
        }
        return results;
    }

    /// <summary>The current aggregates of the input and the refined embedding (labels used only for scoring).</summary>
    public static (BenchmarkResult Before, BenchmarkResult After) BeforeAfter(LoadedCells input, string labelKey, Embedding refined, int threads)
    {
        if (!input.Dataset.IsAnnData) throw new InputError($"{input.Path}: scoring with cell-type labels needs an .h5ad input.");
        var labels = input.Dataset.Obs(labelKey);
        var pre = input.Dataset.HasObsm(CellSource.DefaultEmbedKey) ? input.Dataset.Obsm(CellSource.DefaultEmbedKey) : input.Embedding;
        var scoring = new BenchmarkOptions { Threads = threads, Metrics = MetricSet.Current };
        return (Benchmarker.Evaluate(input.Embedding, labels, input.Batches, pre, scoring),
                Benchmarker.Evaluate(refined, labels, input.Batches, pre, scoring));
    }

    /// <summary>Reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    sealed class LineProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
