using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Report;

namespace ScBatchProx.Report;

/// <summary>
/// Builds one self-contained HTML page: images as data: URIs, inline CSS, no script, no network,
/// no external font. The header (input, version, run time, labels, options) comes first, the
/// sections follow in the order they were added, the notes last.
/// </summary>
public sealed class HtmlReport
{
    readonly string _title;
    readonly List<(string Key, string Value)> _facts = [];
    readonly List<(string Key, string Value)> _options = [];
    readonly List<string> _sections = [];
    readonly List<string> _notes = [];
    string _version = InformationalVersion();
    bool? _hasLabels;

    /// <summary>Statement shown when no cell-type labels were given.</summary>
    public const string NoLabelsNotice =
        "No cell-type labels were given. The embeddings are coloured by batch only, and the biological-conservation " +
        "metrics (isolated labels, k-means NMI and ARI, label silhouette, cLISI) and the Bio conservation and Total " +
        "scores were not computed. The label-free change report below still says how much the refinement moved each cell's neighbourhood.";

    /// <summary>Statement shown when the machine has no font for the figures' text.</summary>
    public const string NoFontNotice =
        "No font was found on this machine (install fonts-dejavu-core), so the figures have no titles, axis labels or legend text; the tables carry every value.";

    public HtmlReport(string title) => _title = title;

    /// <summary>The input file, shown by name (the folder stays private).</summary>
    public HtmlReport WithInput(string path) { _facts.Add(("Input", Path.GetFileName(path))); return this; }

    /// <summary>Overrides the tool version (default: this assembly's informational version, which the whole tool shares).</summary>
    public HtmlReport WithToolVersion(string version) { _version = version; return this; }

    /// <summary>Wall-clock time of the run, and optionally when it finished.</summary>
    public HtmlReport WithRunTime(TimeSpan elapsed, DateTimeOffset? finished = null)
    {
        _facts.Add(("Run time", FormatDuration(elapsed)));
        if (finished is { } f) _facts.Add(("Finished", f.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)));
        return this;
    }

    /// <summary>The batch key of the input (obs column).</summary>
    public HtmlReport WithBatchKey(string key) { _facts.Add(("Batch key", key)); return this; }

    /// <summary>The cell-type label key, or null when the run had no labels (the page then says so plainly).</summary>
    public HtmlReport WithLabels(string? labelKey)
    {
        _hasLabels = labelKey != null;
        _facts.Add(("Cell-type labels", labelKey ?? "none"));
        return this;
    }

    public HtmlReport WithOption(string key, string value) { _options.Add((key, value)); return this; }

    public HtmlReport WithOptions(IEnumerable<KeyValuePair<string, string>> options)
    {
        foreach (var (k, v) in options) _options.Add((k, v));
        return this;
    }

    /// <summary>Any figure, with its caption.</summary>
    public HtmlReport AddFigure(Figure figure) { _sections.Add(FigureHtml(figure)); return this; }

    /// <summary>
    /// 2-D layouts before and after, coloured by batch and (when <paramref name="cellType"/> is given)
    /// by cell type: one pair per annotation.
    /// </summary>
    public HtmlReport AddEmbeddings(Embedding before, Embedding after, Categorical batch, Categorical? cellType,
        string beforeTitle = "Before", string afterTitle = "After")
    {
        var html = new StringBuilder("<section><h2>Embeddings</h2>\n");
        html.Append(FigureHtml(EmbeddingPlots.Pair(before, after, batch, beforeTitle, afterTitle)));
        if (cellType != null) html.Append(FigureHtml(EmbeddingPlots.Pair(before, after, cellType, beforeTitle, afterTitle)));
        _sections.Add(html.Append("</section>\n").ToString());
        return this;
    }

    /// <summary>The scIB metric table (before, after, change) and its bar chart, from two benchmark results.</summary>
    public HtmlReport AddMetrics(BenchmarkResult before, BenchmarkResult after)
        => AddMetrics(MetricRow.Compare(before, after), MetricRow.Label(before, "before"), MetricRow.Label(after, "after"));

    /// <summary>The scIB metric table (before, after, change) and its bar chart.</summary>
    public HtmlReport AddMetrics(IReadOnlyList<MetricRow> rows, string beforeName, string afterName)
    {
        var html = new StringBuilder("<section><h2>scIB metrics</h2>\n");
        html.Append("<p>All metrics are scaled so that higher is better; Total = 0.6 &times; Bio conservation + 0.4 &times; Batch correction (scib-metrics 0.6 column set).</p>\n");
        html.Append("<table class=\"num\"><thead><tr><th>Metric</th><th>").Append(Enc(beforeName))
            .Append("</th><th>").Append(Enc(afterName)).Append("</th><th>Change</th></tr></thead><tbody>\n");
        foreach (var r in rows)
            html.Append(r.IsAggregate ? "<tr class=\"aggregate\">" : "<tr>")
                .Append("<td>").Append(Enc(r.Name)).Append("</td><td>").Append(Score(r.Before)).Append("</td><td>")
                .Append(Score(r.After)).Append("</td>").Append(ChangeCell(r.Change, Signed(r.Change))).Append("</tr>\n");
        html.Append("</tbody></table>\n");
        html.Append(FigureHtml(Charts.Metrics(rows, beforeName, afterName)));
        _sections.Add(html.Append("</section>\n").ToString());
        return this;
    }

    /// <summary>The label-free change report: batch mixing and how far neighbourhoods moved.</summary>
    public HtmlReport AddChangeReport(RefinementReport report)
    {
        var html = new StringBuilder("<section><h2>What changed (measured without labels)</h2>\n");
        if (report.Disturbed)
            html.Append("<p class=\"warning\">Warning: ").Append(Pct(report.LowOverlapFraction))
                .Append(" of the cells kept fewer than ").Append(Pct(RefinementReport.LowOverlap))
                .Append(" of their neighbours. The refinement may have moved cells between populations; check the plots.</p>\n");
        html.Append("<table class=\"num\"><tbody>\n")
            .Append(Row($"Batch mixing before (entropy of batches among the {RefinementReport.K} nearest neighbours, 0 = one batch, 1 = even)", Score(report.MixingBefore)))
            .Append(Row("Batch mixing after", Score(report.MixingAfter)))
            .Append(Row("Mean share of neighbours kept", Pct(report.MeanOverlap)))
            .Append(Row($"Cells keeping fewer than {Pct(RefinementReport.LowOverlap)} of their neighbours", Pct(report.LowOverlapFraction)))
            .Append("</tbody></table>\n");
        html.Append("<h3>Share of neighbours kept, per batch</h3>\n<table class=\"num\"><thead><tr><th>Batch</th><th>Kept</th></tr></thead><tbody>\n");
        foreach (var (batch, overlap) in report.OverlapPerBatch) html.Append(Row(batch, Pct(overlap)));
        _sections.Add(html.Append("</tbody></table>\n</section>\n").ToString());
        return this;
    }

    /// <summary>Benchmark: relative Total gain per dataset and embedding, as a table and a chart.</summary>
    public HtmlReport AddBenchmarkGains(IReadOnlyList<TotalGain> gains)
    {
        var html = new StringBuilder("<section><h2>Benchmark</h2>\n<table class=\"num\"><thead><tr><th>Dataset</th><th>Embedding</th><th>Relative Total gain</th></tr></thead><tbody>\n");
        foreach (var g in gains)
            html.Append("<tr><td>").Append(Enc(g.Dataset)).Append("</td><td>").Append(Enc(g.Embedding)).Append("</td>")
                .Append(ChangeCell(g.RelativeGain, Charts.Percent(g.RelativeGain))).Append("</tr>\n");
        html.Append("</tbody></table>\n").Append(FigureHtml(Charts.Gains(gains)));
        _sections.Add(html.Append("</section>\n").ToString());
        return this;
    }

    /// <summary>Continual protocol: Total per step for extend, full re-run and upstream.</summary>
    public HtmlReport AddContinual(IReadOnlyList<ContinualStep> steps)
    {
        var html = new StringBuilder("<section><h2>Continual integration</h2>\n<table class=\"num\"><thead><tr><th>Step</th><th>Extend</th><th>Full re-run</th><th>Upstream</th><th>Extend &minus; full re-run</th></tr></thead><tbody>\n");
        foreach (var s in steps)
            html.Append("<tr><td>").Append(Enc(s.Step)).Append("</td><td>").Append(Score(s.ExtendTotal)).Append("</td><td>")
                .Append(Score(s.FullRerunTotal)).Append("</td><td>").Append(Score(s.UpstreamTotal)).Append("</td>")
                .Append(ChangeCell(s.ExtendTotal - s.FullRerunTotal, Signed(s.ExtendTotal - s.FullRerunTotal))).Append("</tr>\n");
        html.Append("</tbody></table>\n").Append(FigureHtml(Charts.Continual(steps)));
        _sections.Add(html.Append("</section>\n").ToString());
        return this;
    }

    /// <summary>Imbalance protocol: the affected cell type's F1, upstream versus refined.</summary>
    public HtmlReport AddImbalance(IReadOnlyList<ImbalanceCase> cases)
    {
        var html = new StringBuilder("<section><h2>Population imbalance</h2>\n<table class=\"num\"><thead><tr><th>Perturbation</th><th>Affected type</th><th>F1 upstream</th><th>F1 refined</th><th>Change</th></tr></thead><tbody>\n");
        foreach (var c in cases)
            html.Append("<tr><td>").Append(Enc(c.Perturbation)).Append("</td><td>").Append(Enc(c.AffectedType)).Append("</td><td>")
                .Append(Score(c.UpstreamF1)).Append("</td><td>").Append(Score(c.RefinedF1)).Append("</td>")
                .Append(ChangeCell(c.RefinedF1 - c.UpstreamF1, Signed(c.RefinedF1 - c.UpstreamF1))).Append("</tr>\n");
        html.Append("</tbody></table>\n").Append(FigureHtml(Charts.Imbalance(cases)));
        _sections.Add(html.Append("</section>\n").ToString());
        return this;
    }

    /// <summary>A plain-text note, listed at the end.</summary>
    public HtmlReport AddNote(string text) { _notes.Add(text); return this; }

    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Enc(_title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n")
            .Append("<h1>").Append(Enc(_title)).Append("</h1>\n<table class=\"facts\"><tbody>\n")
            .Append(Row("Tool version", Enc(_version)));
        foreach (var (k, v) in _facts) html.Append(Row(k, Enc(v)));
        html.Append("</tbody></table>\n");
        if (_hasLabels == false) html.Append("<p class=\"notice\" id=\"no-labels\">").Append(Enc(NoLabelsNotice)).Append("</p>\n");
        if (!ReportFont.AnyInstalled) html.Append("<p class=\"warning\">").Append(Enc(NoFontNotice)).Append("</p>\n");
        if (_options.Count > 0)
        {
            html.Append("<section><h2>Options</h2>\n<table class=\"facts\"><tbody>\n");
            foreach (var (k, v) in _options) html.Append(Row(Enc(k), Enc(v)));
            html.Append("</tbody></table>\n</section>\n");
        }
        foreach (var s in _sections) html.Append(s);
        if (_notes.Count > 0)
        {
            html.Append("<section><h2>Notes</h2>\n<ul>\n");
            foreach (var n in _notes) html.Append("<li>").Append(Enc(n)).Append("</li>\n");
            html.Append("</ul>\n</section>\n");
        }
        return html.Append("</main>\n</body>\n</html>\n").ToString();
    }

    /// <summary>Writes the page atomically (UTF-8 without BOM).</summary>
    public void Write(string path) => AtomicFile.Write(path, temp => File.WriteAllText(temp, ToHtml(), new UTF8Encoding(false)));

    static string FigureHtml(Figure f) =>
        $"<figure><img src=\"data:image/png;base64,{Convert.ToBase64String(f.ToPng())}\" width=\"{f.Width}\" height=\"{f.Height}\" alt=\"{Enc(f.AltText)}\">" +
        $"<figcaption>{Enc(f.Caption)}</figcaption></figure>\n";

    static string Row(string key, string valueHtml) => $"<tr><th scope=\"row\">{key}</th><td>{valueHtml}</td></tr>\n";

    static string ChangeCell(double change, string text) =>
        $"<td class=\"{(!double.IsFinite(change) || change == 0 ? "same" : change > 0 ? "up" : "down")}\">{text}</td>";

    static string Enc(string s) => WebUtility.HtmlEncode(s);
    static string Score(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
    static string Signed(double v) => double.IsFinite(v) ? v.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "n/a";
    static string Pct(double v) => double.IsFinite(v) ? (v * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %" : "n/a";

    static string FormatDuration(TimeSpan t) => t.TotalSeconds < 60
        ? t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : $"{(int)t.TotalMinutes} min {t.Seconds} s";

    static string InformationalVersion() =>
        typeof(HtmlReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(HtmlReport).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>System fonts only (no download); tables narrow enough for a laptop screen.</summary>
    const string Css = """
body { margin: 0; background: #fafafa; color: #1a1a1a; font: 15px/1.5 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 0.4em 0; }
h2 { font-size: 1.25em; margin: 1.6em 0 0.5em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { padding: 3px 12px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
table.facts th { font-weight: normal; color: #555; }
table.num td, table.num thead th { text-align: right; font-variant-numeric: tabular-nums; }
table.num td:first-child, table.num thead th:first-child { text-align: left; }
table.num tbody th { font-weight: normal; }
tr.aggregate td { font-weight: bold; border-top: 1px solid #bbb; }
td.up { color: #1b7a35; } td.down { color: #b3261e; } td.same { color: #555; }
figure { margin: 1em 0 1.5em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; }
.notice { background: #eef4fb; border-left: 4px solid #1f77b4; padding: 8px 12px; }
.warning { background: #fdf0ef; border-left: 4px solid #d62728; padding: 8px 12px; }
""";
}
