using ScBatchProx.Data;
using ScottPlot;
using SkiaSharp;

namespace ScBatchProx.Report;

/// <summary>
/// Scatter plots of a 2-D layout (UMAP) coloured by a categorical annotation. A layout is an
/// <see cref="Embedding"/> with two columns; coordinates held as a row-major float[] n x 2 wrap
/// without a copy: <c>new Embedding(n, 2, xy)</c>.
/// </summary>
public static class EmbeddingPlots
{
    /// <summary>Width of a before/after pair: two panels and a legend readable on a laptop screen.</summary>
    public const int PairWidth = 1200;
    public const int SingleWidth = 700;

    /// <summary>One panel.</summary>
    public static Figure Scatter(Embedding layout, Categorical colourBy, string title, int width = SingleWidth, string axisName = "UMAP")
        => Panels([(layout, title)], colourBy, width, axisName);

    /// <summary>Before and after side by side with one shared legend; both panels use the same colours.</summary>
    public static Figure Pair(Embedding before, Embedding after, Categorical colourBy, string beforeTitle = "Before", string afterTitle = "After",
        int width = PairWidth, string axisName = "UMAP")
        => Panels([(before, beforeTitle), (after, afterTitle)], colourBy, width, axisName);

    static Figure Panels(IReadOnlyList<(Embedding Layout, string Title)> panels, Categorical colourBy, int width, string axisName)
    {
        foreach (var (layout, title) in panels)
        {
            if (layout.Cols != 2) throw new ArgumentException($"layout '{title}' has {layout.Cols} columns; a 2-D layout has 2.");
            if (layout.Rows != colourBy.Length)
                throw new ArgumentException($"layout '{title}' has {layout.Rows} cells but '{colourBy.Name}' has {colourBy.Length}.");
        }
        var palette = CategoryPalette.Hex(colourBy.CategoryCount);
        var items = colourBy.Categories.Select((c, i) => (c, palette[i])).ToList();
        if (colourBy.MissingCount() > 0) items.Add(("NA", CategoryPalette.MissingHex));
        float panelWidth = (float)width / panels.Count;
        float panelHeight = MathF.Round(Math.Min(panelWidth, 640) * 0.9f);
        var legend = new LegendStrip(colourBy.Name, items, width - 2 * Styling.Pad);
        int height = (int)MathF.Ceiling(panelHeight + legend.Height);
        var plots = panels.Select(p => Panel(p.Layout, p.Title, colourBy, palette, panelWidth, panelHeight, axisName)).ToArray();
        string alt = $"{string.Join(" and ", panels.Select(p => p.Title))}: {colourBy.Length:N0} cells coloured by {colourBy.Name} ({colourBy.CategoryCount} categories).";
        return new Figure($"Coloured by {colourBy.Name}", alt, width, height, canvas =>
        {
            for (int i = 0; i < plots.Length; i++)
                plots[i].Render(canvas, new PixelRect(i * panelWidth, (i + 1) * panelWidth, panelHeight, 0));
            legend.Render(canvas, Styling.Pad, panelHeight);
        });
    }

    static Plot Panel(Embedding layout, string title, Categorical colourBy, string[] palette, float width, float height, string axisName)
    {
        var plot = Styling.NewPlot();
        plot.RenderManager.ClearCanvasBeforeEachRender = false; // panels share one canvas
        var scatter = new CategoryScatter(layout, colourBy.Codes, palette, DataArea(width, height));
        plot.PlottableList.Add(scatter);
        plot.Title(title);
        plot.XLabel(axisName + "1");
        plot.YLabel(axisName + "2");
        Styling.HideTicks(plot);
        var box = scatter.GetAxisLimits();
        double mx = 0.03 * Math.Max(box.HorizontalSpan, 1e-9), my = 0.03 * Math.Max(box.VerticalSpan, 1e-9);
        plot.Axes.SetLimits(box.Left - mx, box.Right + mx, box.Bottom - my, box.Top + my);
        return plot;
    }

    /// <summary>Approximate data-area pixels of a panel (title and axis labels take the rest).</summary>
    static double DataArea(float width, float height) => Math.Max(1, width - 50) * Math.Max(1, height - 70);
}

/// <summary>
/// The points of one panel. They are rasterised here into one image of the data area (as
/// matplotlib's rasterized=True does): Skia's anti-aliased circles cost microseconds each, this
/// costs well under one, and an SVG then holds one embedded image instead of 1e5 circles. Points
/// are painted in a fixed pseudo-random order so that no category always lies on top; missing
/// values go underneath. Marker size and opacity shrink as cells get denser.
/// </summary>
sealed class CategoryScatter : IPlottable
{
    readonly Embedding _layout;
    readonly int[] _codes;
    readonly (float R, float G, float B)[] _colours;
    readonly int[] _order;
    readonly AxisLimits _limits;

    /// <summary>Marker radius in pixels.</summary>
    public float Radius { get; }
    /// <summary>Marker opacity in 0..1.</summary>
    public float Opacity { get; }

    public bool IsVisible { get; set; } = true;
    public IAxes Axes { get; set; } = new ScottPlot.Axes();
    public IEnumerable<LegendItem> LegendItems => LegendItem.None;

    public CategoryScatter(Embedding layout, int[] codes, IReadOnlyList<string> palette, double dataAreaPixels)
    {
        _layout = layout; _codes = codes;
        var finite = Enumerable.Range(0, layout.Rows).Where(i => float.IsFinite(layout[i, 0]) && float.IsFinite(layout[i, 1])).ToArray();
        (Radius, Opacity) = MarkerFor(finite.Length, dataAreaPixels);
        // index 0 is the missing-value grey, category c is at c + 1
        _colours = [.. new[] { CategoryPalette.MissingHex }.Concat(palette).Select(h => CategoryPalette.Parse(h)).Select(c => (c.R / 255f, c.G / 255f, c.B / 255f))];
        var rest = finite.Where(i => codes[i] >= 0).ToArray();
        new SeededRng(0).Shuffle(rest);
        _order = [.. finite.Where(i => codes[i] < 0), .. rest];
        _limits = finite.Length == 0 ? new AxisLimits(-1, 1, -1, 1) : new AxisLimits(
            finite.Min(i => layout[i, 0]), finite.Max(i => layout[i, 0]), finite.Min(i => layout[i, 1]), finite.Max(i => layout[i, 1]));
    }

    /// <summary>
    /// Radius so that n discs of it would cover about a third of the data area (clamped to 0.8..3.5 px),
    /// and opacity 0.9 (20000 / n)^(1/4) clamped to 0.35..0.9: full colour for small data sets,
    /// translucent where 1e5 points pile up so density still shows.
    /// </summary>
    internal static (float Radius, float Opacity) MarkerFor(int n, double dataAreaPixels)
    {
        if (n == 0) return (3.5f, 0.9f);
        double radius = Math.Sqrt(dataAreaPixels / 3 / (Math.PI * n));
        double opacity = 0.9 * Math.Pow(20_000.0 / n, 0.25);
        return ((float)Math.Clamp(radius, 0.8, 3.5), (float)Math.Clamp(opacity, 0.35, 0.9));
    }

    public AxisLimits GetAxisLimits() => _limits;

    public void Render(RenderPack rp)
    {
        var rect = rp.DataRect;
        int left = (int)MathF.Floor(rect.Left), top = (int)MathF.Floor(rect.Top);
        int width = (int)MathF.Ceiling(rect.Right) - left, height = (int)MathF.Ceiling(rect.Bottom) - top;
        if (width <= 0 || height <= 0) return;
        double xMin = Axes.XAxis.Min, yMin = Axes.YAxis.Min;
        double xScale = rect.Width / (Axes.XAxis.Max - xMin), yScale = rect.Height / (Axes.YAxis.Max - yMin);
        var xs = new float[_order.Length];
        var ys = new float[_order.Length];
        var colour = new int[_order.Length];
        for (int k = 0; k < _order.Length; k++)
        {
            int i = _order[k];
            xs[k] = (float)(rect.Left - left + (_layout[i, 0] - xMin) * xScale);
            ys[k] = (float)(rect.Bottom - top - (_layout[i, 1] - yMin) * yScale);
            colour[k] = _codes[i] + 1;
        }
        var pixels = PointLayer.Paint(width, height, xs, ys, colour, _colours, Radius, Opacity);
        using var image = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul), pixels);
        rp.Canvas.DrawImage(image, left, top);
    }
}

/// <summary>Anti-aliased discs painted source-over onto a transparent premultiplied RGBA image.</summary>
static class PointLayer
{
    /// <summary>
    /// Paints disc k at pixel centre (xs[k], ys[k]) (pixel (c, r) covers [c, c+1) x [r, r+1)) in
    /// colours[colourIndex[k]] with the given opacity, in the order given. A pixel's coverage is
    /// clamp(radius + 0.5 - d, 0, 1) for d the distance of its centre to the disc's centre: a
    /// one-pixel linear ramp across the rim, whose integral over the plane is pi (radius^2 + 1/12).
    /// </summary>
    public static byte[] Paint(int width, int height, float[] xs, float[] ys, int[] colourIndex, (float R, float G, float B)[] colours,
        float radius, float opacity)
    {
        var acc = new float[width * height * 4];
        float reach = radius + 0.5f;
        for (int k = 0; k < xs.Length; k++)
        {
            float cx = xs[k], cy = ys[k];
            var (r, g, b) = colours[colourIndex[k]];
            int c0 = Math.Max(0, (int)MathF.Floor(cx - reach)), c1 = Math.Min(width - 1, (int)MathF.Floor(cx + reach));
            int r0 = Math.Max(0, (int)MathF.Floor(cy - reach)), r1 = Math.Min(height - 1, (int)MathF.Floor(cy + reach));
            for (int row = r0; row <= r1; row++)
            {
                float dy = row + 0.5f - cy;
                for (int col = c0; col <= c1; col++)
                {
                    float dx = col + 0.5f - cx;
                    float coverage = Math.Clamp(reach - MathF.Sqrt(dx * dx + dy * dy), 0f, 1f);
                    if (coverage <= 0) continue;
                    float a = opacity * coverage, keep = 1 - a;
                    int p = (row * width + col) * 4;
                    acc[p] = r * a + acc[p] * keep;
                    acc[p + 1] = g * a + acc[p + 1] * keep;
                    acc[p + 2] = b * a + acc[p + 2] * keep;
                    acc[p + 3] = a + acc[p + 3] * keep;
                }
            }
        }
        var bytes = new byte[acc.Length];
        for (int i = 0; i < acc.Length; i++) bytes[i] = (byte)MathF.Round(acc[i] * 255);
        return bytes;
    }
}
