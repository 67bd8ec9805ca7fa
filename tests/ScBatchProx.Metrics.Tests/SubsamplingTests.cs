using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Sampling;
using ScBatchProx.Metrics.Silhouette;
using Xunit;
using Xunit.Abstractions;

namespace ScBatchProx.Metrics.Tests;

/// <summary>
/// Metrics above the exact threshold (lowered here to a test size): the sampled silhouettes and kBET
/// estimate the exact values within stated tolerances and are flagged; below it, exact and bitwise
/// the same as with sampling switched off.
/// </summary>
public class SubsamplingTests(ITestOutputHelper output)
{
    static readonly string[] Sampled = [MetricSet.SilhouetteLabel, MetricSet.IsolatedLabels, MetricSet.Bras, MetricSet.SilhouetteBatch, MetricSet.KbetPerLabel];

    static SimulatedData Data() => Simulator.Generate(new SimulationOptions { Cells = 6000, Batches = 4, CellTypes = 5, Dims = 10, BatchStrength = 0.05, Seed = 11 });

    static readonly MetricSampling Lowered = new() { ExactMaxCells = 2000, LabelSilhouetteCells = 1500, CellsPerLabel = 400, Seed = 3 };

    [Fact]
    public void SampledMetricsAreCloseToExactAndFlagged()
    {
        var sim = Data();
        int n = sim.Embedding.Rows;
        var graph = Neighbors.Neighbors.Build(sim.Embedding, 90);
        BenchmarkResult Run(MetricSampling sampling) => Benchmarker.Evaluate(sim.Embedding, sim.CellType, sim.Batch, null,
            new BenchmarkOptions { Metrics = Sampled, Sampling = sampling });
        var exact = Run(MetricSampling.Never);
        var sampled = Run(Lowered);
        Assert.Empty(exact.Subsampled);
        Assert.Equal(Sampled.Order(), sampled.Subsampled.Keys.Order());

        // silhouette_label: the stratified estimate's standard error, from the exact per-cell values
        // (sum over labels of W_l^2 (1 - f_l) S_l^2 / m_l); the estimate must be within 4 of them.
        var s = SilhouetteLabel.Samples(sim.Embedding, sim.CellType);
        var (drawn, values) = SilhouetteLabel.SampledSamples(sim.Embedding, sim.CellType, sim.Batch, Lowered);
        double variance = 0;
        for (int l = 0; l < sim.CellType.CategoryCount; l++)
        {
            var member = Enumerable.Range(0, n).Where(i => sim.CellType.Codes[i] == l).Select(i => s[i]).ToArray();
            double mean = member.Average(), s2 = member.Sum(v => (v - mean) * (v - mean)) / (member.Length - 1);
            int m = drawn.StratumDrawn[l];
            double w = (double)member.Length / n;
            variance += w * w * (1 - (double)m / member.Length) * s2 / m;
        }
        double se = Math.Sqrt(variance) / 2; // silhouette_label = (mean + 1) / 2
        Report("silhouette_label", exact, sampled, 4 * se);
        Assert.InRange(Math.Abs(sampled[MetricSet.SilhouetteLabel] - exact[MetricSet.SilhouetteLabel]), 0, 4 * se);
        // every sampled cell's silhouette is its exact one
        for (int t = 0; t < drawn.Cells.Length; t++) Assert.Equal(s[drawn.Cells[t]], values[t], 1e-12);

        // Per-label means over 400 of about 1,200 cells per label (standard error about 0.005 here),
        // then averaged over labels: 0.02 is 4 standard errors of one label's mean.
        Report("isolated_labels", exact, sampled, 0.02);
        Assert.InRange(Math.Abs(sampled[MetricSet.IsolatedLabels] - exact[MetricSet.IsolatedLabels]), 0, 0.02);
        foreach (var metric in new[] { MetricSet.Bras, MetricSet.SilhouetteBatch })
        {
            Report(metric, exact, sampled, 0.02);
            Assert.InRange(Math.Abs(sampled[metric] - exact[metric]), 0, 0.02);
        }
        // kBET: a 0/1 acceptance per tested cell, standard error <= 0.5 / sqrt(400) = 0.025 per label,
        // about 0.011 over the five labels; 0.04 allows for the finite-population spread.
        Report(MetricSet.KbetPerLabel, exact, sampled, 0.04);
        Assert.InRange(Math.Abs(sampled[MetricSet.KbetPerLabel] - exact[MetricSet.KbetPerLabel]), 0, 0.04);

        var info = sampled.Subsampled[MetricSet.SilhouetteLabel];
        Assert.Equal(new SampleInfo(drawn.Cells.Length, n, "label", 3), info);
        Assert.InRange(info.Cells, 1500, 1500 + 400);
        Assert.Equal("label x batch", sampled.Subsampled[MetricSet.Bras].StratifiedBy);
        Assert.Equal(5 * 400, sampled.Subsampled[MetricSet.Bras].Cells);
        Assert.Equal(5 * 400, sampled.Subsampled[MetricSet.KbetPerLabel].Cells);
        Assert.Contains("\"subsampled\"", sampled.ToJson());
        Assert.DoesNotContain("\"subsampled\"", exact.ToJson());
        var back = BenchmarkResult.FromJson(sampled.ToJson());
        Assert.Equal(sampled.Subsampled[MetricSet.KbetPerLabel], back.Subsampled[MetricSet.KbetPerLabel]);

        // The same seed draws the same cells: bitwise equal results.
        Assert.Equal(sampled.Metrics, Run(Lowered).Metrics);
    }

    void Report(string metric, BenchmarkResult exact, BenchmarkResult sampled, double tolerance) =>
        output.WriteLine($"{metric}: exact {exact[metric]:R}, sampled {sampled[metric]:R}, difference {Math.Abs(sampled[metric] - exact[metric]):E2}, tolerance {tolerance:E2}");

    [Fact]
    public void AtOrBelowTheThresholdEverythingIsExactAndBitwiseUnchanged()
    {
        var sim = Data();
        var options = new BenchmarkOptions { Metrics = Sampled };
        var never = Benchmarker.Evaluate(sim.Embedding, sim.CellType, sim.Batch, null, options with { Sampling = MetricSampling.Never });
        var atThreshold = Benchmarker.Evaluate(sim.Embedding, sim.CellType, sim.Batch, null, options with { Sampling = Lowered with { ExactMaxCells = 6000 } });
        Assert.Empty(atThreshold.Subsampled);
        foreach (var metric in Sampled) Assert.Equal(never[metric], atThreshold[metric]);
        Assert.Equal(never.Kbet!.Labels, atThreshold.Kbet!.Labels);
    }

    [Fact]
    public void SilhouetteOfListedPointsEqualsTheFullComputation()
    {
        var sim = Data();
        var x = sim.Embedding;
        var data = x.Data.Select(v => (double)v).ToArray();
        int[] points = [0, 17, 1234, 2999, 5999, 4000];
        foreach (var (metric, between) in new[] { (SilhouetteMetric.Euclidean, BetweenClusterDistance.Nearest), (SilhouetteMetric.Cosine, BetweenClusterDistance.MeanOther) })
        {
            var all = SilhouetteSamples.Compute(x, sim.Batch.Codes, metric, between);
            var some = SilhouetteSamples.ComputeFor(data, x.Rows, x.Cols, sim.Batch.Codes, points, metric, between);
            for (int t = 0; t < points.Length; t++) Assert.Equal(all[points[t]], some[t], 1e-12);
        }
    }

    [Fact]
    public void AllocationIsProportionalWithFloorsAndTheMeanIsStratified()
    {
        Assert.Equal([10, 30, 60], StratifiedSample.Allocate([100, 300, 600], 100, [0, 0, 0]));
        // largest remainder: 10 / 3 = 3.33 each, the spare cell to the first stratum
        Assert.Equal([4, 3, 3], StratifiedSample.Allocate([10, 10, 10], 10, [0, 0, 0]));
        // shares 0.55, 33.15, 66.30: floors 0, 33, 66 and the spare cell to the largest remainder (the
        // first); its floor of 50 is capped at its 5 cells
        Assert.Equal([5, 33, 66], StratifiedSample.Allocate([5, 300, 600], 100, [50, 0, 0]));
        int[][] strata = [Enumerable.Range(0, 100).ToArray(), Enumerable.Range(100, 900).ToArray()];
        var sample = StratifiedSample.Draw(strata, [10, 20], seed: 1, "test");
        Assert.Equal(30, sample.Cells.Length);
        Assert.True(sample.Cells.SequenceEqual(sample.Cells.Order()));
        Assert.Equal(10, sample.Cells.Count(c => c < 100));
        Assert.Equal(sample.Cells, StratifiedSample.Draw(strata, [10, 20], seed: 1, "test").Cells);
        Assert.NotEqual(sample.Cells, StratifiedSample.Draw(strata, [10, 20], seed: 2, "test").Cells);
        // values 1 in the first stratum, 0 in the second: the population mean 100 / 1000 = 0.1 exactly
        Assert.Equal(0.1, sample.Mean(sample.Cells.Select(c => c < 100 ? 1.0 : 0.0).ToArray()), 15);
    }
}
