using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.Metrics.Report;

namespace ScBatchProx.Metrics.Tests;

public class RefinementReportTests
{
    static readonly SimulatedData Sim = Simulator.Generate(new SimulationOptions { Cells = 3000, Batches = 3, Seed = 12, BatchStrength = 0.4 });

    /// <summary>The refined stand-in: batch b moved by -b/2 of its mean offset, so mixing rises and neighbourhoods change.</summary>
    static Embedding Shifted()
    {
        var z = Sim.Embedding.Clone();
        for (int i = 0; i < z.Rows; i++) z[i, 0] -= 0.5f * Sim.Batch.Codes[i];
        return z;
    }

    /// <summary>Brute-force 15-NN (self first, ties by index) of every cell.</summary>
    static int[][] Knn(Embedding z, int k = RefinementReport.K) => Enumerable.Range(0, z.Rows).Select(i =>
        Enumerable.Range(0, z.Rows).OrderBy(j => j == i ? -1.0 : Sq(z, i, j)).ThenBy(j => j).Take(k).ToArray()).ToArray();

    static double Sq(Embedding z, int i, int j) { double s = 0; for (int t = 0; t < z.Cols; t++) { double e = z[i, t] - z[j, t]; s += e * e; } return s; }

    [Fact]
    public void ExactReportEqualsBruteForce()
    {
        var after = Shifted();
        var report = RefinementReport.Compute(Sim.Embedding, after, Sim.Batch, threads: 2);
        var kb = Knn(Sim.Embedding); var ka = Knn(after);
        double Mixing(int[][] nn) => nn.Average(row =>
        {
            var p = row.GroupBy(j => Sim.Batch.Codes[j]).Select(g => (double)g.Count() / row.Length);
            return -p.Sum(x => x * Math.Log(x)) / Math.Log(3);
        });
        var overlap = kb.Select((row, i) => row[1..].Intersect(ka[i][1..]).Count() / 14.0).ToArray();
        Assert.Equal(Mixing(kb), report.MixingBefore, 12);
        Assert.Equal(Mixing(ka), report.MixingAfter, 12);
        Assert.Equal(overlap.Average(), report.MeanOverlap, 12);
        Assert.Equal(overlap.Count(o => o < 0.2) / 3000.0, report.LowOverlapFraction, 12);
        Assert.Null(report.SampledCells);
        Assert.True(report.MixingAfter > report.MixingBefore);
    }

    [Fact]
    public void AboveTheThresholdTheReportUsesASeededStratifiedSampleAndSaysSo()
    {
        var after = Shifted();
        var exact = RefinementReport.Compute(Sim.Embedding, after, Sim.Batch, threads: 2);
        var sampled = RefinementReport.Compute(Sim.Embedding, after, Sim.Batch, threads: 2, exactMaxCells: 1000, sampleCells: 1500);
        Assert.Equal(1500, sampled.SampledCells);
        Assert.Equal(sampled, RefinementReport.Compute(Sim.Embedding, after, Sim.Batch, threads: 1, exactMaxCells: 1000, sampleCells: 1500) with { OverlapPerBatch = sampled.OverlapPerBatch });
        Assert.Equal(exact.OverlapPerBatch.Keys, sampled.OverlapPerBatch.Keys);
        // mixing within a proportional half-sample estimates the whole: measured difference below 0.02 here
        Assert.InRange(sampled.MixingBefore - exact.MixingBefore, -0.03, 0.03);
        Assert.InRange(sampled.MixingAfter - exact.MixingAfter, -0.03, 0.03);
    }
}
