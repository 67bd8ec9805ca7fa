using System.Globalization;
using ScBatchProx.Metrics.Benchmark;
using ScottPlot;

namespace ScBatchProx.Report;

/// <summary>Bar and line charts of metrics and protocol summaries.</summary>
public static class Charts
{
    public const int Width = 1000;

    /// <summary>Colours of the two states compared in every before/after chart.</summary>
    internal const string BeforeHex = "#9e9e9e", AfterHex = "#1f77b4", GainHex = "#2a9d4b", LossHex = "#d62728";

    /// <summary>Each scIB metric and aggregate before and after, as paired horizontal bars.</summary>
    public static Figure Metrics(IReadOnlyList<MetricRow> rows, string beforeName = "before", string afterName = "after")
    {
        var plot = HorizontalBars(rows.Select(r => r.Name).ToList(),
            [new(beforeName, BeforeHex, rows.Select(r => r.Before).ToArray()), new(afterName, AfterHex, rows.Select(r => r.After).ToArray())],
            v => v.ToString("0.000", CultureInfo.InvariantCulture));
        plot.XLabel("score (higher is better)");
        plot.Title("scIB metrics");
        return Build(plot, "scIB metrics before and after",
            $"Bar chart of {rows.Count} scIB metrics and aggregates, {beforeName} versus {afterName}.", rows.Count, 2);
    }

    /// <summary>The scIB metrics that two benchmark results hold (see <see cref="MetricRow.Compare"/>).</summary>
    public static Figure Metrics(BenchmarkResult before, BenchmarkResult after)
        => Metrics(MetricRow.Compare(before, after), MetricRow.Label(before, "before"), MetricRow.Label(after, "after"));

    /// <summary>Relative Total gain per dataset and upstream embedding, green for a gain and red for a loss.</summary>
    public static Figure Gains(IReadOnlyList<TotalGain> gains)
    {
        var plot = Styling.NewPlot();
        var labels = gains.Select(g => $"{g.Dataset} / {g.Embedding}").ToList();
        var bars = gains.Select((g, i) => ValueBar(Position(i, gains.Count), 0.7, g.RelativeGain * 100,
            g.RelativeGain >= 0 ? GainHex : LossHex, Percent(g.RelativeGain))).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = Styling.TickSize;
        plot.Add.VerticalLine(0, 1, Colors.Black);
        Styling.CategoryTicks(plot.Axes.Left, labels.Select((l, i) => (l, i)).OrderBy(p => Position(p.i, gains.Count)).Select(p => p.l).ToList());
        plot.XLabel("relative gain in Total (%)");
        plot.Title("Total score gain per dataset and embedding");
        SetBarLimits(plot, bars.Select(b => b.Value), gains.Count);
        return Build(plot, "Relative Total gain per dataset and embedding",
            $"Horizontal bars: relative Total gain for {gains.Count} dataset and embedding pairs, median {Percent(Median(gains.Select(g => g.RelativeGain)))}.",
            gains.Count, 1);
    }

    /// <summary>Continual protocol: Total after each arriving batch for extend, full re-run and upstream.</summary>
    public static Figure Continual(IReadOnlyList<ContinualStep> steps)
    {
        var plot = Styling.NewPlot();
        var xs = Enumerable.Range(0, steps.Count).Select(i => (double)i).ToArray();
        var series = new (string Name, string Hex, Func<ContinualStep, double> Value, LinePattern Pattern)[]
        {
            ("extend (new batches added to the saved model)", AfterHex, s => s.ExtendTotal, LinePattern.Solid),
            ("full re-run on all batches so far", "#ff7f0e", s => s.FullRerunTotal, LinePattern.Dashed),
            ("upstream embedding", BeforeHex, s => s.UpstreamTotal, LinePattern.Dotted),
        };
        foreach (var (name, hex, value, pattern) in series)
        {
            var keep = xs.Where(i => double.IsFinite(value(steps[(int)i]))).ToArray();
            var line = plot.Add.Scatter(keep, keep.Select(i => value(steps[(int)i])).ToArray(), Styling.Parse(hex));
            line.LegendText = name;
            line.LineWidth = 2.5f;
            line.LinePattern = pattern;
            line.MarkerSize = 9;
        }
        Styling.CategoryTicks(plot.Axes.Bottom, steps.Select(s => s.Step).ToList());
        plot.XLabel("step (batch arriving)");
        plot.YLabel("Total");
        plot.Title("Continual integration");
        ShowLegendBelow(plot);
        var totals = steps.SelectMany(s => new[] { s.ExtendTotal, s.FullRerunTotal, s.UpstreamTotal }).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        double lo = totals.Min(), hi = totals.Max(), pad = 0.1 * Math.Max(hi - lo, 0.01);
        plot.Axes.SetLimits(-0.5, steps.Count - 0.5, lo - pad, hi + pad);
        return new Figure("Continual integration: Total per step",
            $"Line chart of the Total score over {steps.Count} steps for extend, full re-run and upstream.", Width, 520, canvas => plot.Render(canvas, Width, 520));
    }

    /// <summary>Imbalance protocol: the affected cell type's F1, upstream versus refined, per perturbation.</summary>
    public static Figure Imbalance(IReadOnlyList<ImbalanceCase> cases)
    {
        var plot = HorizontalBars(cases.Select(c => $"{c.Perturbation}: {c.AffectedType}").ToList(),
            [new("upstream", BeforeHex, cases.Select(c => c.UpstreamF1).ToArray()), new("refined", AfterHex, cases.Select(c => c.RefinedF1).ToArray())],
            v => v.ToString("0.000", CultureInfo.InvariantCulture));
        plot.XLabel("F1 of the affected cell type (kNN classifier across batches)");
        plot.Title("Population imbalance");
        return Build(plot, "Imbalance: F1 of the affected cell type",
            $"Bar chart: F1 of the affected cell type, upstream versus refined, for {cases.Count} perturbations.", cases.Count, 2);
    }

    internal sealed record Series(string Name, string Hex, double[] Values);

    /// <summary>
    /// Rows top to bottom, one bar per series in each row with its value at the end; NaN values get
    /// no bar but the label "n/a", so a metric that was not computed is not mistaken for a zero.
    /// </summary>
    static Plot HorizontalBars(IReadOnlyList<string> rows, IReadOnlyList<Series> series, Func<double, string> format)
    {
        var plot = Styling.NewPlot();
        double size = 0.8 / series.Count;
        var values = new List<double>();
        for (int s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (int r = 0; r < rows.Count; r++)
            {
                double v = series[s].Values[r];
                double position = Position(r, rows.Count) + (series.Count - 1) / 2.0 * size - s * size;
                bars.Add(ValueBar(position, size * 0.92, double.IsFinite(v) ? v : 0, series[s].Hex, double.IsFinite(v) ? format(v) : "n/a"));
                if (double.IsFinite(v)) values.Add(v);
            }
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = series[s].Name;
            barPlot.ValueLabelStyle.FontSize = Styling.TickSize;
        }
        Styling.CategoryTicks(plot.Axes.Left, Enumerable.Range(0, rows.Count).OrderBy(r => Position(r, rows.Count)).Select(r => rows[r]).ToList());
        SetBarLimits(plot, values, rows.Count);
        ShowLegendBelow(plot);
        return plot;
    }

    /// <summary>Row r's position on the category axis: the first row at the top.</summary>
    static double Position(int r, int count) => count - 1 - r;

    static Bar ValueBar(double position, double size, double value, string hex, string label) => new()
    {
        Position = position, Size = size, Value = value, Orientation = Orientation.Horizontal,
        FillColor = Styling.Parse(hex), LineWidth = 0, Label = label,
    };

    /// <summary>
    /// Fixed limits: every row shown, and room right of the longest bar (and left of the most
    /// negative) for its value label.
    /// </summary>
    static void SetBarLimits(Plot plot, IEnumerable<double> values, int rows)
    {
        var list = values.Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        double lo = Math.Min(0, list.Min()), hi = Math.Max(0, list.Max());
        double span = Math.Max(hi - lo, 1e-9);
        plot.Axes.SetLimits(lo < 0 ? lo - 0.22 * span : 0, hi + 0.18 * span, -0.6, rows - 0.4);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TickDensity = 0.5 };
        plot.Grid.YAxisStyle.IsVisible = false;
    }

    static void ShowLegendBelow(Plot plot)
    {
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.FontSize = Styling.LegendSize;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.ShowLegend(Edge.Bottom);
    }

    /// <summary>A chart whose height grows with its rows so that labels never overlap.</summary>
    static Figure Build(Plot plot, string caption, string alt, int rows, int barsPerRow)
    {
        int height = 150 + rows * (barsPerRow * 20 + 14);
        return new Figure(caption, alt, Width, height, canvas => plot.Render(canvas, Width, height));
    }


    internal static string Percent(double fraction) =>
        double.IsFinite(fraction) ? (fraction * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + " %" : "n/a";

    static double Median(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
