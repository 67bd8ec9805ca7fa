using ScBatchProx.Core;
using ScBatchProx.Core.Method;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Workflows.Benchmarking;

namespace ScBatchProx.Workflows.Tests;

public class ContinualTests
{
    /// <summary>
    /// The continual target on real data: refine on the first half of pbmc_symphony's batches, extend
    /// the model with the rest; the scIB Total (KMeans over ten initialisations) stays within 2 % of a
    /// full refinement of every batch, and the first half's rows are bitwise the first model's output.
    /// </summary>
    [SkippableFact]
    public async Task ExtendingWithTheSecondHalfOfTheBatchesStaysWithinTwoPercentOfTheFullRefinement()
    {
        var data = BenchmarkData.Open(Path.GetDirectoryName(SharedData.Require("pbmc_symphony.h5ad"))!);
        var pair = data.Pairs(["X_pca"], _ => { }).Single(p => p.Dataset == "pbmc_symphony");
        var names = pair.Batches.Categories.Order(StringComparer.Ordinal).ToArray();
        var firstHalf = names[..(names.Length / 2 + names.Length % 2)];
        var rows = Enumerable.Range(0, pair.Batches.Length).Where(i => firstHalf.Contains(pair.Batches.ValueAt(i))).ToArray();
        var first = pair.Subset(rows);
        var options = new RefineOptions();
        var settings = new FitSettings { Threads = 2 };
        var model = (await Refiner.FitAsync(first.Embedding, first.Batches, options, settings)).Model;
        var ext = await model.ExtendAsync(pair.Embedding, pair.Batches, new Core.Model.ExtendSettings { Threads = 2 });
        var full = await Refiner.FitAsync(pair.Embedding, pair.Batches, options, settings);
        Assert.Equal(model.Transform(first.Embedding, first.Batches).Data, ext.Refined.SelectRows(rows).Data);
        var scoring = IntegrationBenchmark.Scoring(2, kmeansSeeds: 10);
        double extended = Benchmarker.Evaluate(ext.Refined, pair.Labels, pair.Batches, pair.Pre, scoring).Current.Total;
        double refined = Benchmarker.Evaluate(full.Refined, pair.Labels, pair.Batches, pair.Pre, scoring).Current.Total;
        double upstream = Benchmarker.Evaluate(pair.Embedding, pair.Labels, pair.Batches, pair.Pre, scoring).Current.Total;
        Assert.True(extended >= refined * (1 - ContinualProtocol.MaxBelowFull), $"extend {extended:F4} vs full {refined:F4}");
        Assert.True(extended >= upstream * (1 - ContinualProtocol.MaxBelowUpstream), $"extend {extended:F4} vs upstream {upstream:F4}");
    }
}
