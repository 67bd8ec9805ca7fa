using System.Reflection;
using System.Text.RegularExpressions;

namespace ScBatchProx.Report.Tests;

public class HtmlReportTests
{
    static readonly Regex Img = new("<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\" width=\"(\\d+)\" height=\"(\\d+)\" alt=\"([^\"]*)\">");

    [Fact]
    public void PageIsSelfContained()
    {
        var html = ReportSamples.WithLabels().ToHtml();
        // nothing is fetched: no script, stylesheet link, external font, remote image or CSS url()
        foreach (var banned in new[] { "<script", "<link", "@import", "@font-face", "url(", "http://", "https://", "src=\"//" })
            Assert.DoesNotContain(banned, html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Regex.Matches(html, "<img ").Count, Img.Matches(html).Count);
        foreach (Match m in Img.Matches(html))
        {
            using var bitmap = Samples.Decode(Convert.FromBase64String(m.Groups[1].Value));
            Assert.Equal(int.Parse(m.Groups[2].Value), bitmap.Width);
            Assert.Equal(int.Parse(m.Groups[3].Value), bitmap.Height);
            Assert.NotEmpty(m.Groups[4].Value);
        }
    }

    [Fact]
    public void HeaderTablesAndFiguresAreThere()
    {
        var html = ReportSamples.WithLabels().ToHtml();
        // the input by file name only, escaped; the version this assembly was built with; the run time
        Assert.Contains("pbmc &lt;3k&gt;.h5ad", html);
        Assert.DoesNotContain("/data/private", html);
        var version = typeof(HtmlReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Contains($"<th scope=\"row\">Tool version</th><td>{version}</td>", html);
        Assert.Contains("<th scope=\"row\">Run time</th><td>1 min 23 s</td>", html);
        Assert.Contains("<th scope=\"row\">rounds</th><td>20</td>", html);
        // figures: batch pair, cell-type pair, metrics, gains, continual, imbalance
        Assert.Equal(6, Img.Matches(html).Count);
        Assert.Contains("Coloured by cell_type", html);
        // the metric table: Total by hand 0.6 * 0.66 + 0.4 * 0.45 = 0.576 -> 0.6 * 0.70 + 0.4 * 0.54 = 0.636
        Assert.Matches("<tr class=\"aggregate\"><td>Total</td><td>0.576</td><td>0.636</td><td class=\"up\">\\+0.060</td></tr>", html);
        Assert.Contains("<td>kmeans_nmi</td><td>0.700</td><td>0.750</td>", html);
        Assert.Contains("<td class=\"down\">-1.2 %</td>", html);
        Assert.Contains("Layouts are the first columns", html);
        Assert.DoesNotContain("id=\"no-labels\"", html);
    }

    [Fact]
    public void WithoutLabelsThePageSaysSoAndShowsNoLabelPlotsOrBioMetrics()
    {
        var html = ReportSamples.WithoutLabels().ToHtml();
        Assert.Contains("<p class=\"notice\" id=\"no-labels\">No cell-type labels were given.", html);
        Assert.Contains("<th scope=\"row\">Cell-type labels</th><td>none</td>", html);
        var alts = Img.Matches(html).Select(m => m.Groups[4].Value).ToList();
        Assert.Equal(2, alts.Count); // the batch pair and the metric bars
        Assert.Contains("coloured by batch", alts[0]);
        Assert.DoesNotContain(alts, a => a.Contains("cell_type") || a.Contains("cell type"));
        foreach (var bio in new[] { "isolated_labels", "kmeans_nmi", "kmeans_ari", "silhouette_label", "clisi_knn", "Bio conservation", "Total" })
            Assert.DoesNotContain($"<td>{bio}</td>", html);
        Assert.Contains("<td>Batch correction</td><td>0.450</td><td>0.540</td>", html);
    }

    [Fact]
    public void ChangeReportWarnsWhenNeighbourhoodsAreDisturbed()
    {
        var calm = new ScBatchProx.Metrics.Report.RefinementReport(0.2, 0.6, 0.7, 0.1, new Dictionary<string, double> { ["b1"] = 0.65, ["b2"] = 0.75 }, false);
        var html = new HtmlReport("t").AddChangeReport(calm).ToHtml();
        Assert.Contains("<tr><th scope=\"row\">b1</th><td>65 %</td></tr>", html);
        Assert.Contains("<td>0.600</td>", html);
        Assert.DoesNotContain("class=\"warning\">Warning", html);
        var disturbed = calm with { LowOverlapFraction = 0.62, Disturbed = true };
        Assert.Contains("<p class=\"warning\">Warning: 62 % of the cells kept fewer than 20 % of their neighbours.",
            new HtmlReport("t").AddChangeReport(disturbed).ToHtml());
    }

    [Fact]
    public void TextFromTheUserIsEscaped()
    {
        var html = new HtmlReport("a <b> & \"c\"").WithOption("<script>", "x\"y").AddNote("1 < 2").ToHtml();
        Assert.Contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("<li>1 &lt; 2</li>", html);
    }

    [Fact]
    public void WriteReplacesTheFileAtomically()
    {
        using var dir = new TempDir();
        var path = dir.File("report.html");
        File.WriteAllText(path, "old");
        var report = ReportSamples.WithoutLabels();
        report.Write(path);
        Assert.Equal(report.ToHtml(), File.ReadAllText(path));
        Assert.Equal(new[] { "report.html" }, Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)));
        Assert.Throws<ScBatchProx.Data.InputError>(() => report.Write(dir.File("missing-folder/report.html")));
    }
}
