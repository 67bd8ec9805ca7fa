using System.Xml.Linq;
using ScBatchProx.Data;

namespace ScBatchProx.Report.Tests;

public class EmbeddingPlotsTests
{
    static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void PairPngShowsEveryCategoryColourAtItsOpacity()
    {
        var sim = Samples.Simulated(900, 6);
        var figure = EmbeddingPlots.Pair(Samples.Columns(sim.Embedding, 0, 1), Samples.Columns(sim.Embedding, 2, 3), sim.CellType, "Before: X_pca", "After: refined");
        var png = figure.ToPng();
        Assert.InRange(png.Length, 20_000, 3_000_000);
        using var bitmap = Samples.Decode(png);
        Assert.Equal(EmbeddingPlots.PairWidth, bitmap.Width);
        Assert.Equal(figure.Height, bitmap.Height);
        Assert.True(Samples.DistinctColours(bitmap) > 200, "a scatter of 900 anti-aliased dots has many distinct colours");
        // 900 cells: opacity 0.9 (clamped); the centre of every isolated dot shows 0.9 c + 0.1 white,
        // and the legend shows the full colour c.
        double opacity = CategoryScatter.MarkerFor(900, 1).Opacity;
        foreach (var hex in CategoryPalette.Hex(sim.CellType.CategoryCount))
        {
            Assert.True(Samples.CountNear(bitmap, Samples.OnWhite(Samples.Hex(hex), opacity), 2) >= 20, $"dots of {hex}");
            Assert.True(Samples.CountNear(bitmap, Samples.Hex(hex), 2) >= 20, $"legend entry of {hex}");
        }
    }

    [Fact]
    public void SvgHasTheTextsAndOnePointImagePerPanel()
    {
        var sim = Samples.Simulated(600, 5);
        var figure = EmbeddingPlots.Pair(Samples.Columns(sim.Embedding, 0, 1), Samples.Columns(sim.Embedding, 2, 3), sim.Batch, "Before", "After", axisName: "UMAP");
        var doc = XDocument.Parse(figure.ToSvg());
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.Equal(figure.Width.ToString(), (string?)doc.Root.Attribute("width"));
        Assert.Equal(figure.Height.ToString(), (string?)doc.Root.Attribute("height"));
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value.Trim()).ToList();
        foreach (var expected in new[] { "Before", "After", "UMAP1", "UMAP2", "batch" }.Concat(sim.Batch.Categories))
            Assert.Contains(expected, texts);
        // the points are one embedded PNG per panel (rasterised like matplotlib's rasterized=True)
        var images = doc.Descendants(Svg + "image").ToList();
        Assert.Equal(2, images.Count);
        foreach (var image in images)
        {
            var href = (string?)image.Attribute(XNamespace.Get("http://www.w3.org/1999/xlink") + "href") ?? "";
            Assert.StartsWith("data:image/png;base64,", href);
            using var layer = Samples.Decode(Convert.FromBase64String(href["data:image/png;base64,".Length..]));
            Assert.True(Samples.DistinctColours(layer) > 50);
        }
    }

    [Fact]
    public void ThirtyCategoriesAllFitInTheLegend()
    {
        var sim = Samples.Simulated(3000, 30);
        Assert.Equal(30, sim.CellType.CategoryCount);
        var figure = EmbeddingPlots.Pair(Samples.Columns(sim.Embedding, 0, 1), Samples.Columns(sim.Embedding, 2, 3), sim.CellType);
        var doc = XDocument.Parse(figure.ToSvg());
        // every label drawn, and inside the figure (the legend wraps into rows of the figure's width)
        var labels = doc.Descendants(Svg + "text").Where(t => sim.CellType.Categories.Contains(t.Value.Trim())).ToList();
        Assert.Equal(30, labels.Select(t => t.Value.Trim()).Distinct().Count());
        using var bitmap = Samples.Decode(figure.ToPng());
        foreach (var hex in CategoryPalette.Hex(30))
            Assert.True(Samples.CountNear(bitmap, Samples.Hex(hex), 1) >= 20, $"legend marker of {hex}");
    }

    [Fact]
    public void MissingValuesAreGreyAndNamedNa()
    {
        var sim = Samples.Simulated(400, 3);
        var values = Enumerable.Range(0, 400).Select(i => i % 4 == 0 ? null : sim.CellType.ValueAt(i)).ToList();
        var withMissing = Categorical.FromStrings("cell_type", values);
        var figure = EmbeddingPlots.Scatter(Samples.Columns(sim.Embedding, 0, 1), withMissing, "X_pca");
        Assert.Contains("NA", XDocument.Parse(figure.ToSvg()).Descendants(Svg + "text").Select(t => t.Value.Trim()));
        using var bitmap = Samples.Decode(figure.ToPng());
        Assert.True(Samples.CountNear(bitmap, Samples.OnWhite(Samples.Hex(CategoryPalette.MissingHex), 0.9), 1) >= 20);
    }

    [Fact]
    public void NonFiniteCoordinatesAreLeftOut()
    {
        var sim = Samples.Simulated(300, 3);
        var layout = Samples.Columns(sim.Embedding, 0, 1);
        layout[5, 0] = float.NaN;
        layout[9, 1] = float.PositiveInfinity;
        using var bitmap = Samples.Decode(EmbeddingPlots.Scatter(layout, sim.Batch, "X").ToPng());
        Assert.True(Samples.DistinctColours(bitmap) > 100);
    }

    [Fact]
    public void SameInputGivesTheSameBytes()
    {
        var sim = Samples.Simulated(500, 4);
        var layout = Samples.Columns(sim.Embedding, 0, 1);
        Assert.Equal(EmbeddingPlots.Scatter(layout, sim.CellType, "X").ToPng(), EmbeddingPlots.Scatter(layout, sim.CellType, "X").ToPng());
    }

    [Fact]
    public void ShapeMismatchesAreRejected()
    {
        var sim = Samples.Simulated(200, 3);
        Assert.Throws<ArgumentException>(() => EmbeddingPlots.Scatter(sim.Embedding, sim.Batch, "8 columns"));
        var shorter = Categorical.FromStrings("batch", sim.Batch.Codes.Take(150).Select(c => (string?)sim.Batch.Categories[c]).ToList());
        Assert.Throws<ArgumentException>(() => EmbeddingPlots.Scatter(Samples.Columns(sim.Embedding, 0, 1), shorter, "150 labels"));
    }

    [Fact]
    public void SavedFilesAreTheRenderedOnes()
    {
        using var dir = new TempDir();
        var sim = Samples.Simulated(300, 3);
        var figure = EmbeddingPlots.Scatter(Samples.Columns(sim.Embedding, 0, 1), sim.Batch, "X");
        figure.SavePng(dir.File("a.png"));
        figure.SaveSvg(dir.File("a.svg"));
        Assert.Equal(figure.ToPng(), File.ReadAllBytes(dir.File("a.png")));
        Assert.Equal(Svg + "svg", XDocument.Load(dir.File("a.svg")).Root!.Name);
        Assert.Equal(new[] { "a.png", "a.svg" }, Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)).Order());
    }
}
