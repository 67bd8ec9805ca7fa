using System.Text.Json.Nodes;
using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;

namespace ScBatchProx.Cli.Tests;

/// <summary>The `evaluate` command end to end: JSON under scib-metrics names, equal to the reference values.</summary>
public class EvaluateCliTests
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>reference_metrics.json's entries for every embedding of one shared dataset.</summary>
    static JsonNode ReferenceEmbeddings(string dataset) =>
        JsonNode.Parse(File.ReadAllText(SharedData.Require("reference_metrics.json")))!["datasets"]![dataset]!["embeddings"]!;

    [SkippableFact]
    public async Task JsonMatchesTheReferenceMetricsOfPbmc()
    {
        var input = SharedData.Require("pbmc_symphony.h5ad");
        using var dir = new TempDir();
        var (exit, output) = await CliProcess.RunAsync(Limit, "evaluate", input, "--embed", "X_pca", "--embed", "X_harmony",
            "--batch", "batch", "--label", "cell_type", "--pre", "X_pca", "--json", dir.File("s.json"), "--csv", dir.File("s.csv"));
        Assert.True(exit == 0, output);
        Assert.Contains("kbet_per_label", output);
        var ours = JsonNode.Parse(File.ReadAllText(dir.File("s.json")))!["embeddings"]!;
        var reference = ReferenceEmbeddings("pbmc_symphony");
        foreach (var key in new[] { "X_pca", "X_harmony" })
        {
            foreach (var (metric, value) in reference[key]!["metrics"]!.AsObject())
                Assert.True(Math.Abs(ours[key]!["metrics"]![metric]!.GetValue<double>() - value!.GetValue<double>()) <= 1e-9, $"{key} {metric}");
            // METRICS.md section 6: about 5e-3 on Total; with the reference's k-means generator it is exact
            Assert.Equal(reference[key]!["aggregates"]!["current"]!["Total"]!.GetValue<double>(),
                ours[key]!["aggregates"]!["current"]!["Total"]!.GetValue<double>(), 9);
        }
        var csv = File.ReadAllLines(dir.File("s.csv"));
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("embedding,isolated_labels,", csv[0]);
    }

    [SkippableFact]
    public async Task KmeansSeedsAveragesLikeTheReferenceSpread()
    {
        // cellbench X_limma: seed 4 of the reference's five k-means seeds merges two cell lines (ARI 0.68),
        // so the five-seed mean (0.932) differs clearly from the single-seed score (0.995).
        var input = SharedData.Require("cellbench_lung5.h5ad");
        using var dir = new TempDir();
        var (exit, output) = await CliProcess.RunAsync(Limit, "evaluate", input, "--embed", "X_limma", "--kmeans-seeds", "5", "--json", dir.File("s.json"));
        Assert.True(exit == 0, output);
        var result = JsonNode.Parse(File.ReadAllText(dir.File("s.json")))!["embeddings"]!["X_limma"]!;
        Assert.Equal(5, result["kmeans_seeds"]!.GetValue<int>());
        var ours = result["metrics"]!;
        var spread = ReferenceEmbeddings("cellbench_lung5")["X_limma"]!["kmeans_spread"]!;
        Assert.Equal(spread["kmeans_nmi_mean"]!.GetValue<double>(), ours["kmeans_nmi"]!.GetValue<double>(), 1e-9);
        Assert.Equal(spread["kmeans_ari_mean"]!.GetValue<double>(), ours["kmeans_ari"]!.GetValue<double>(), 1e-9);

        var (bad, message) = await CliProcess.RunAsync(Limit, "evaluate", input, "--embed", "X_limma", "--kmeans-seeds", "0");
        Assert.Equal(2, bad);
        Assert.Contains("--kmeans-seeds must be at least 1", message);
    }

    [Fact]
    public async Task CellsWithAMissingLabelAreReportedAndLeftOut()
    {
        using var dir = new TempDir();
        var sim = Simulator.Generate(new SimulationOptions { Cells = 400, Seed = 2 });
        var labels = Enumerable.Range(0, 400).Select(i => i < 7 ? null : sim.CellType.ValueAt(i)).ToArray();
        var path = dir.File("m.h5ad");
        AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { ["X_pca"] = sim.Embedding },
            Enumerable.Range(0, 400).Select(i => $"c{i}").ToArray(), [sim.Batch, Categorical.FromStrings("cell_type", labels)]);
        var (exit, output) = await CliProcess.RunAsync(Limit, "evaluate", path, "--json", dir.File("m.json"));
        Assert.True(exit == 0, output);
        Assert.Contains("missing (NaN or empty) for 7 cell(s)", output);
        var r = JsonNode.Parse(File.ReadAllText(dir.File("m.json")))!["embeddings"]!["X_pca"]!;
        Assert.Equal(393, r["cells"]!.GetValue<int>());
        Assert.Equal(7, r["excluded_cells"]!.GetValue<int>());
    }
}
