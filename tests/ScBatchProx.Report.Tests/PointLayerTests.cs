namespace ScBatchProx.Report.Tests;

public class PointLayerTests
{
    static readonly (float R, float G, float B)[] Colours = [(1f, 0f, 0f), (0f, 0f, 1f)];

    static double Channel(byte[] rgba, int width, int x, int y, int channel) => rgba[(y * width + x) * 4 + channel] / 255.0;

    [Theory]
    [InlineData(3.0f, 20.3f, 17.8f)]
    [InlineData(1.5f, 10.5f, 9.25f)]
    [InlineData(3.5f, 12.71f, 13.13f)]
    public void OneDiscIsItsCoverageRampSampledAtPixelCentres(float radius, float cx, float cy)
    {
        const int w = 40, h = 32;
        const float opacity = 0.8f;
        var rgba = PointLayer.Paint(w, h, [cx], [cy], [0], Colours, radius, opacity);
        double mass = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // brute force, per pixel: opacity * clamp(r + 0.5 - d, 0, 1), d from the pixel centre;
                // stored as a byte, so within half a step
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                double expected = opacity * Math.Clamp(radius + 0.5 - d, 0, 1);
                double a = Channel(rgba, w, x, y, 3);
                Assert.Equal(expected, a, 0.5 / 255 + 1e-6);
                Assert.Equal(a, Channel(rgba, w, x, y, 0), 1e-9); // premultiplied red = alpha
                Assert.Equal(0, Channel(rgba, w, x, y, 2));
                mass += a;
            }
        // Closed form: the ramp integrates to pi (r^2 + 1/12) over the plane. Sampling it at pixel
        // centres is off by +0.05 % (r = 3), -1.3 % (r = 1.5) and -0.2 % (r = 3.5) for these
        // centres (numpy sum over the same grid); bytes add < 0.1 %.
        double area = opacity * Math.PI * (radius * radius + 1.0 / 12);
        Assert.True(Math.Abs(mass - area) / area < 0.015, $"alpha mass {mass:F4} vs {area:F4}");
    }

    [Fact]
    public void LaterDiscsArePaintedOverEarlierOnesSourceOver()
    {
        const int w = 20, h = 20;
        const float opacity = 0.6f;
        // red first, then blue, both centred on pixel (10, 10) with coverage 1 there
        var rgba = PointLayer.Paint(w, h, [10.5f, 10.5f], [10.5f, 10.5f], [0, 1], Colours, 3f, opacity);
        double a = opacity;
        Assert.Equal(a + a * (1 - a), Channel(rgba, w, 10, 10, 3), 0.003);       // alpha
        Assert.Equal(a * (1 - a), Channel(rgba, w, 10, 10, 0), 0.003);           // red shows through
        Assert.Equal(a, Channel(rgba, w, 10, 10, 2), 0.003);                     // blue on top
        var swapped = PointLayer.Paint(w, h, [10.5f, 10.5f], [10.5f, 10.5f], [1, 0], Colours, 3f, opacity);
        Assert.Equal(a, Channel(swapped, w, 10, 10, 0), 0.003);
    }

    [Fact]
    public void DiscsAreClippedAtTheImageEdge()
    {
        var rgba = PointLayer.Paint(8, 8, [0.2f, 7.9f, -50f], [0.2f, 7.9f, 3f], [0, 1, 0], Colours, 2f, 1f);
        Assert.Equal(1.0, Channel(rgba, 8, 0, 0, 3), 1e-9);
        Assert.Equal(1.0, Channel(rgba, 8, 7, 7, 3), 1e-9);
        Assert.Equal(1.0, Channel(rgba, 8, 7, 7, 2), 1e-9);
    }

    [Theory]
    [InlineData(20_000, 0.9)]
    [InlineData(100_000, 0.6019)] // 0.9 * 0.2^(1/4)
    [InlineData(1_000_000, 0.35)]   // clamped
    [InlineData(500, 0.9)]         // clamped
    public void OpacityFollowsTheQuarterPowerOfDensity(int n, double expected)
        => Assert.Equal(expected, CategoryScatter.MarkerFor(n, 250_000).Opacity, 1e-4);

    [Fact]
    public void MarkersCoverAboutAThirdOfTheAreaUntilClamped()
    {
        // 2,000 cells on 250,000 px^2: r = sqrt(250000 / 3 / (pi 2000)) = 3.642 -> clamped to 3.5
        Assert.Equal(3.5f, CategoryScatter.MarkerFor(2_000, 250_000).Radius);
        // 10,000 cells: 1.6287 px
        Assert.Equal(Math.Sqrt(250_000 / 3.0 / (Math.PI * 10_000)), CategoryScatter.MarkerFor(10_000, 250_000).Radius, 1e-5);
        // 1e5 cells: 0.515 -> clamped to 0.8 so single cells stay visible
        Assert.Equal(0.8f, CategoryScatter.MarkerFor(100_000, 250_000).Radius);
    }
}
