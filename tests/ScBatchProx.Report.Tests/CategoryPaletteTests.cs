using System.Globalization;

namespace ScBatchProx.Report.Tests;

public class CategoryPaletteTests
{
    /// <summary>
    /// CIELAB (D65, sRGB curve, the 7-digit sRGB matrix) and the smallest CIE76 distance between
    /// two colours of the list, written independently of the palette's own conversion.
    /// </summary>
    const string MinDistanceScript = """
        import sys, numpy as np
        from matplotlib import colors
        def lab(hexes):
            rgb = np.array([colors.to_rgb(h) for h in hexes])
            lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
            m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
            xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
            f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
            return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)
        def min_distance(hexes):
            p = lab(hexes)
            d = np.sqrt(((p[:, None] - p[None]) ** 2).sum(-1))
            np.fill_diagonal(d, np.inf)
            return d.min()
        ours = sys.argv[1].split(",")
        from matplotlib import cm
        tab20 = [colors.to_hex(c) for c in cm.tab20.colors]
        background = lab(["#ffffff", sys.argv[2]])
        to_background = np.sqrt(((lab(ours)[:, None] - background[None]) ** 2).sum(-1)).min()
        print(min_distance(ours), min_distance(tab20), to_background)
        """;

    [SkippableFact]
    public void ThirtyColoursStayFurtherApartThanTab20()
    {
        Python.RequireModules("numpy", "matplotlib");
        var palette = CategoryPalette.Hex(30);
        Assert.Equal(30, palette.Distinct().Count());
        var values = Python.Check(MinDistanceScript, string.Join(",", palette), CategoryPalette.MissingHex)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        double ours = values[0], tab20 = values[1], toBackground = values[2];
        // Measured: 27.7, tab10's own closest pair (purple and pink), which the 20 added colours
        // do not undercut; tab20: 16.6 (its light blue and light purple).
        Assert.True(ours >= 27.5, $"closest pair of the 30 colours is {ours:F2} apart in CIELAB");
        Assert.True(tab20 < ours - 10, $"tab20 {tab20:F2} vs ours {ours:F2}");
        // Every colour stands out from the white background and from the grey of missing values (measured 31.4).
        Assert.True(toBackground >= 30, $"a colour is {toBackground:F2} from white or the missing grey");
    }

    [SkippableFact]
    public void StartsWithMatplotlibTab10()
    {
        Python.RequireModules("matplotlib");
        var tab10 = Python.Check("from matplotlib import cm, colors; print(','.join(colors.to_hex(c) for c in cm.tab10.colors))").Trim().Split(',');
        Assert.Equal(tab10, CategoryPalette.Hex(10));
    }

    [Fact]
    public void ShorterPalettesArePrefixesOfLongerOnes()
    {
        var long40 = CategoryPalette.Hex(40);
        foreach (var n in new[] { 0, 1, 10, 11, 25, 30 })
            Assert.Equal(long40.Take(n), CategoryPalette.Hex(n));
        Assert.Equal(40, long40.Distinct().Count());
        Assert.DoesNotContain(CategoryPalette.MissingHex, long40);
    }
}
