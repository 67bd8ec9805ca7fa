using System.Text.RegularExpressions;

namespace ScBatchProx.Report.Tests;

/// <summary>The report as a browser shows it: Debian's headless Chromium, offline, from a file.</summary>
public class BrowserTests
{
    /// <summary>
    /// Added by the test only (the report itself has no script): once the page has loaded, every
    /// image's complete flag and natural size are written into the DOM for --dump-dom to return.
    /// </summary>
    const string Probe = """
        <script>
        window.addEventListener('load', () => {
          const out = document.createElement('pre');
          out.id = 'image-probe';
          out.textContent = [...document.images].map(i => `${i.complete}:${i.naturalWidth}x${i.naturalHeight}`).join(' ');
          document.body.appendChild(out);
        });
        </script>
        """;

    [SkippableFact]
    public void EveryImageLoadsInChromium()
    {
        Chromium.Require();
        using var dir = new TempDir();
        var html = ReportSamples.WithLabels().ToHtml();
        var expected = Regex.Matches(html, "<img [^>]*width=\"(\\d+)\" height=\"(\\d+)\"").Select(m => $"true:{m.Groups[1].Value}x{m.Groups[2].Value}").ToList();
        Assert.Equal(6, expected.Count);
        var page = dir.File("probe.html");
        File.WriteAllText(page, html.Replace("</body>", Probe + "</body>"));
        var dom = Chromium.DumpDom(page, dir.Path);
        var probe = Regex.Match(dom, "<pre id=\"image-probe\">([^<]*)</pre>");
        Assert.True(probe.Success, "the probe did not run; DOM starts: " + dom[..Math.Min(dom.Length, 300)]);
        Assert.Equal(expected, probe.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableFact]
    public void ScreenshotIsNotBlank()
    {
        Chromium.Require();
        using var dir = new TempDir();
        var page = dir.File("report.html");
        ReportSamples.WithLabels().Write(page);
        var shot = dir.File("shot.png");
        Chromium.Screenshot(page, shot, dir.Path, 1280, 1600);
        using var bitmap = Samples.Decode(File.ReadAllBytes(shot));
        Assert.Equal(1280, bitmap.Width);
        // the first screen holds the header and the batch pair: text, table rules and coloured dots
        Assert.True(Samples.DistinctColours(bitmap) > 500, $"{Samples.DistinctColours(bitmap)} distinct colours");
        foreach (var hex in CategoryPalette.Hex(3))
            Assert.True(Samples.CountNear(bitmap, Samples.Hex(hex), 3) >= 10, $"legend colour {hex} on screen");
    }

    [SkippableFact]
    public void NoLabelsNoticeIsOnThePage()
    {
        Chromium.Require();
        using var dir = new TempDir();
        var page = dir.File("report.html");
        ReportSamples.WithoutLabels().Write(page);
        var dom = Chromium.DumpDom(page, dir.Path);
        Assert.Contains("No cell-type labels were given.", dom);
        Assert.Equal(2, Regex.Matches(dom, "<img ").Count);
    }
}
