using System.Xml.Linq;
using ScBatchProx.Metrics.Benchmark;

namespace ScBatchProx.Report.Tests;

public class ChartsTests
{
    static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    static List<string> Texts(Figure f) => XDocument.Parse(f.ToSvg()).Descendants(Svg + "text").Select(t => t.Value.Trim()).ToList();

    [Fact]
    public void CompareKeepsMetricOrderAndAddsTheAggregates()
    {
        var before = Samples.Result("X_pca", labels: true, shift: 0);
        var after = Samples.Result("X_refined", labels: true, shift: 0.05);
        var rows = MetricRow.Compare(before, after);
        Assert.Equal(
            [.. MetricSet.Current, MetricSet.BioConservation, MetricSet.BatchCorrection, MetricSet.Total],
            rows.Select(r => r.Name).ToArray());
        // by hand: bio before = mean(0.60, 0.70, 0.50, 0.55, 0.95) = 0.66; batch before = mean(0.8, 0.1, 0.2, 0.85, 0.3) = 0.45
        var total = rows.Single(r => r.Name == MetricSet.Total);
        Assert.Equal(0.6 * 0.66 + 0.4 * 0.45, total.Before, 1e-12);
        // after: bio = 0.66 + 4 * 0.05 / 5 = 0.70; batch = 0.45 + (1 + 2 + 2 + 1 + 3) * 0.05 / 5 = 0.54
        Assert.Equal(0.6 * 0.70 + 0.4 * 0.54, total.After, 1e-12);
        Assert.Equal(total.After - total.Before, total.Change, 1e-12);
        Assert.Equal(3, rows.Count(r => r.IsAggregate));
    }

    [Fact]
    public void WithoutLabelsOnlyBatchMetricsRemain()
    {
        var rows = MetricRow.Compare(Samples.Result("a", labels: false, shift: 0), Samples.Result("b", labels: false, shift: 0.05));
        Assert.Equal([.. MetricSet.BatchCurrent, MetricSet.BatchCorrection], rows.Select(r => r.Name).ToArray());
        Assert.Equal(0.45, rows[^1].Before, 1e-12);
    }

    [Fact]
    public void MetricBarsShowBothStatesAndEveryName()
    {
        var before = Samples.Result("X_pca", labels: true, shift: 0);
        var after = Samples.Result("X_refined", labels: true, shift: 0.05);
        var figure = Charts.Metrics(before, after);
        using var bitmap = Samples.Decode(figure.ToPng());
        Assert.Equal(Charts.Width, bitmap.Width);
        Assert.True(Samples.DistinctColours(bitmap) > 30);
        // bars are opaque fills, so their exact colours are there, in proportion to the values:
        // 13 rows, every after bar at least as long as its before bar
        int grey = Samples.CountNear(bitmap, Samples.Hex(Charts.BeforeHex), 0), blue = Samples.CountNear(bitmap, Samples.Hex(Charts.AfterHex), 0);
        Assert.True(grey > 5_000, $"{grey} grey pixels");
        Assert.True(blue > grey, $"{blue} blue vs {grey} grey pixels");
        var texts = Texts(figure);
        foreach (var name in MetricSet.Current.Append(MetricSet.Total).Append("X_pca").Append("X_refined")) Assert.Contains(name, texts);
        Assert.Contains("0.300", texts); // pcr_comparison before
        Assert.Contains("0.450", texts); // its value after
    }

    [Fact]
    public void NotComputedValuesSayNa()
    {
        var rows = new[] { new MetricRow("bras", 0.8, double.NaN), new MetricRow("ilisi_knn", 0.1, 0.2) };
        var texts = Texts(Charts.Metrics(rows));
        Assert.Contains("n/a", texts);
        Assert.Contains("0.800", texts);
    }

    [Fact]
    public void GainsAreGreenOrRedBySign()
    {
        var gains = new[] { new TotalGain("pbmc", "X_pca", 0.066), new TotalGain("pbmc", "X_scvi", -0.012), new TotalGain("lung", "X_pca", 0.12) };
        var figure = Charts.Gains(gains);
        using var bitmap = Samples.Decode(figure.ToPng());
        int green = Samples.CountNear(bitmap, Samples.Hex(Charts.GainHex), 0), red = Samples.CountNear(bitmap, Samples.Hex(Charts.LossHex), 0);
        // bar lengths 6.6 + 12 against 1.2: the green area is about 15 times the red one
        Assert.InRange(green / (double)red, 10, 22);
        var texts = Texts(figure);
        foreach (var t in new[] { "+6.6 %", "-1.2 %", "+12.0 %", "pbmc / X_pca", "pbmc / X_scvi", "lung / X_pca" }) Assert.Contains(t, texts);
        using var allGains = Samples.Decode(Charts.Gains([gains[0], gains[2]]).ToPng());
        Assert.Equal(0, Samples.CountNear(allGains, Samples.Hex(Charts.LossHex), 0));
    }

    [Fact]
    public void ContinualAndImbalanceChartsDrawTheirSeries()
    {
        var continual = Charts.Continual([new("batch 2", 0.61, 0.62, 0.55), new("batch 3", 0.63, 0.64, 0.56), new("batch 4", 0.64, double.NaN, 0.57)]);
        using (var bitmap = Samples.Decode(continual.ToPng()))
            foreach (var hex in new[] { Charts.AfterHex, "#ff7f0e", Charts.BeforeHex })
                Assert.True(Samples.CountNear(bitmap, Samples.Hex(hex), 0) > 100, hex);
        var texts = Texts(continual);
        foreach (var t in new[] { "batch 2", "batch 3", "batch 4", "Total" }) Assert.Contains(t, texts);

        var imbalance = Charts.Imbalance([new("down-sample 10 %", "B cells", 0.8, 0.85), new("remove", "NK cells", 0.7, 0.66)]);
        using (var bitmap = Samples.Decode(imbalance.ToPng()))
        {
            Assert.True(Samples.CountNear(bitmap, Samples.Hex(Charts.BeforeHex), 0) > 1_000);
            Assert.True(Samples.CountNear(bitmap, Samples.Hex(Charts.AfterHex), 0) > 1_000);
        }
        texts = Texts(imbalance);
        foreach (var t in new[] { "down-sample 10 %: B cells", "remove: NK cells", "0.850", "0.660" }) Assert.Contains(t, texts);
    }
}
