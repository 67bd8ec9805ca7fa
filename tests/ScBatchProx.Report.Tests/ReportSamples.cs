using ScBatchProx.Metrics.Report;

namespace ScBatchProx.Report.Tests;

/// <summary>Complete reports as the commands will build them: with labels, and without.</summary>
static class ReportSamples
{
    public static HtmlReport WithLabels(int cells = 1500)
    {
        var sim = Samples.Simulated(cells, 6);
        var before = Samples.Columns(sim.Embedding, 0, 1);
        var after = Samples.Columns(sim.Embedding, 2, 3);
        return new HtmlReport("ScBatchProx refinement report")
            .WithInput("/data/private/pbmc <3k>.h5ad")
            .WithRunTime(TimeSpan.FromSeconds(83.4))
            .WithBatchKey("batch")
            .WithLabels("cell_type")
            .WithOption("rounds", "20")
            .WithOption("seed", "0")
            .AddEmbeddings(before, after, sim.Batch, sim.CellType, "Before: X_pca", "After: X_scbatchprox")
            .AddMetrics(Samples.Result("X_pca", labels: true, shift: 0), Samples.Result("X_scbatchprox", labels: true, shift: 0.05))
            .AddChangeReport(RefinementReport.Compute(sim.Embedding, Shifted(sim.Embedding), sim.Batch, threads: 1))
            .AddBenchmarkGains([new("pbmc", "X_pca", 0.066), new("pbmc", "X_scvi", -0.012)])
            .AddContinual([new("batch 2", 0.61, 0.62, 0.55), new("batch 3", 0.63, 0.64, 0.56)])
            .AddImbalance([new("remove from batch 1", "typeB", 0.7, 0.74)])
            .AddNote("Layouts are the first columns of a simulated embedding.");
    }

    public static HtmlReport WithoutLabels()
    {
        var sim = Samples.Simulated(900, 4);
        return new HtmlReport("ScBatchProx refinement report")
            .WithInput("cells.h5ad")
            .WithRunTime(TimeSpan.FromSeconds(12))
            .WithBatchKey("batch")
            .WithLabels(null)
            .AddEmbeddings(Samples.Columns(sim.Embedding, 0, 1), Samples.Columns(sim.Embedding, 2, 3), sim.Batch, cellType: null)
            .AddMetrics(Samples.Result("X_pca", labels: false, shift: 0), Samples.Result("X_scbatchprox", labels: false, shift: 0.05))
            .AddChangeReport(RefinementReport.Compute(sim.Embedding, Shifted(sim.Embedding), sim.Batch, threads: 1));
    }

    /// <summary>A small deterministic perturbation, so neighbourhoods change a little.</summary>
    static ScBatchProx.Data.Embedding Shifted(ScBatchProx.Data.Embedding e)
    {
        var moved = e.Clone();
        for (int i = 0; i < moved.Rows; i++) moved[i, 0] += 0.3f * MathF.Sin(i);
        return moved;
    }
}
