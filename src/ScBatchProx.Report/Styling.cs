using ScottPlot;
using SkiaSharp;

namespace ScBatchProx.Report;

/// <summary>Shared look of every figure: the report font, text sizes readable at 1,200 px, legend strips.</summary>
static class Styling
{
    public const float TitleSize = 17, LabelSize = 15, TickSize = 13, LegendSize = 14;
    public const float Pad = 12;

    static readonly object Gate = new();
    static bool _fontApplied;

    /// <summary>A plot whose every text uses <see cref="ReportFont.Family"/> (ScottPlot's default when it is null).</summary>
    public static Plot NewPlot()
    {
        ApplyFontOnce();
        var plot = new Plot();
        if (ReportFont.Family is { } family) plot.Font.Set(family);
        plot.Axes.Title.Label.FontSize = TitleSize;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontSize = LabelSize;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontSize = TickSize;
        }
        return plot;
    }

    /// <summary>
    /// ScottPlot's labels copy the global default font when they are created (legend items too),
    /// so the family is set there once, before the first plot.
    /// </summary>
    static void ApplyFontOnce()
    {
        lock (Gate)
        {
            if (_fontApplied) return;
            if (ReportFont.Family is { } family)
            {
                Fonts.Default = family;
                Fonts.DefaultFontStyle = Fonts.GetTypeface(family, bold: false, italic: false);
            }
            _fontApplied = true;
        }
    }

    public static Color Parse(string hex) => new(hex);

    /// <summary>Hides tick marks and tick labels (embedding axes carry no meaning a reader should compare).</summary>
    public static void HideTicks(Plot plot)
    {
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
            axis.MajorTickStyle.Length = 0;
            axis.MinorTickStyle.Length = 0;
        }
        plot.HideGrid();
    }

    /// <summary>Categorical ticks on an axis: one label per position 0..n-1.</summary>
    public static void CategoryTicks(IAxis axis, IReadOnlyList<string> labels)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < labels.Count; i++) ticks.AddMajor(i, labels[i]);
        axis.TickGenerator = ticks;
        axis.MinorTickStyle.Length = 0;
    }
}

/// <summary>
/// A legend of coloured dots drawn below the panels, wrapped into rows of the given width: its
/// height is measured so that every entry is shown (ScottPlot's own legend panels measure a
/// single unwrapped row or column).
/// </summary>
sealed class LegendStrip
{
    readonly ScottPlot.Legend _legend;
    readonly LabelStyle _heading;
    readonly float _width, _headingHeight;

    public float Height { get; }

    public LegendStrip(string heading, IReadOnlyList<(string Label, string Hex)> items, float width)
    {
        _width = width;
        _legend = Styling.NewPlot().Legend; // first: the plot sets the font that new labels copy
        _heading = new LabelStyle { Text = heading, FontSize = Styling.LegendSize, Alignment = Alignment.UpperLeft };
        _legend.Orientation = Orientation.Horizontal;
        _legend.FontSize = Styling.LegendSize;
        if (ReportFont.Family is { } family) _legend.FontName = _heading.FontName = family;
        _legend.OutlineWidth = 0;
        _legend.ShadowColor = Colors.Transparent;
        _legend.SymbolWidth = 14;
        foreach (var (label, hex) in items)
            _legend.ManualItems.Add(new LegendItem
            {
                LabelText = label,
                MarkerShape = MarkerShape.FilledCircle,
                MarkerSize = 11,
                MarkerFillColor = Styling.Parse(hex),
                MarkerLineColor = Styling.Parse(hex),
            });
        using var paint = Paint.NewDisposablePaint();
        _headingHeight = _heading.Measure(heading, paint).Height + 4;
        float legendHeight = items.Count == 0 ? 0 : _legend.GetLayout(new PixelSize(width, 100_000), paint).LegendRect.Height;
        Height = _headingHeight + legendHeight + Styling.Pad;
    }

    /// <summary>Draws heading and entries with their top-left corner at (<paramref name="left"/>, <paramref name="top"/>).</summary>
    public void Render(SKCanvas canvas, float left, float top)
    {
        using var paint = Paint.NewDisposablePaint();
        _heading.Render(canvas, new Pixel(left + 10, top), paint);
        var rect = new PixelRect(left, left + _width, top + Height, top + _headingHeight);
        _legend.Render(canvas, paint, rect, Alignment.UpperLeft);
    }
}
