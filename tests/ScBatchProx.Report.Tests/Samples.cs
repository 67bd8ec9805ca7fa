using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.Metrics.Benchmark;
using SkiaSharp;

namespace ScBatchProx.Report.Tests;

/// <summary>Layouts, annotations and results the tests draw: simulated cells, two columns each.</summary>
static class Samples
{
    public static SimulatedData Simulated(int cells, int types, ulong seed = 7) =>
        Simulator.Generate(new SimulationOptions { Cells = cells, Batches = 3, CellTypes = types, Dims = 8, Seed = seed });

    /// <summary>Columns a and b of an embedding as a 2-D layout (the tests' stand-in for UMAP).</summary>
    public static Embedding Columns(Embedding e, int a, int b)
    {
        var xy = new float[e.Rows * 2];
        for (int i = 0; i < e.Rows; i++) { xy[2 * i] = e[i, a]; xy[2 * i + 1] = e[i, b]; }
        return new Embedding(e.Rows, 2, xy);
    }

    public static BenchmarkResult Result(string name, bool labels, double shift) => new()
    {
        Embedding = name,
        Metrics = new Dictionary<string, double>
        {
            [MetricSet.IsolatedLabels] = labels ? 0.60 + shift : double.NaN,
            [MetricSet.KmeansNmi] = labels ? 0.70 + shift : double.NaN,
            [MetricSet.KmeansAri] = labels ? 0.50 + shift : double.NaN,
            [MetricSet.SilhouetteLabel] = labels ? 0.55 + shift : double.NaN,
            [MetricSet.ClisiKnn] = labels ? 0.95 : double.NaN,
            [MetricSet.Bras] = 0.80 + shift,
            [MetricSet.IlisiKnn] = 0.10 + 2 * shift,
            [MetricSet.KbetPerLabel] = 0.20 + 2 * shift,
            [MetricSet.GraphConnectivity] = 0.85 + shift,
            [MetricSet.PcrComparison] = 0.30 + 3 * shift,
        },
    };

    public static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new InvalidDataException("not a decodable image");

    /// <summary>Number of distinct RGBA values in the image.</summary>
    public static int DistinctColours(SKBitmap bitmap)
    {
        var seen = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++) seen.Add((uint)bitmap.GetPixel(x, y));
        return seen.Count;
    }

    /// <summary>Pixels within <paramref name="tolerance"/> per channel of the colour.</summary>
    public static int CountNear(SKBitmap bitmap, (byte R, byte G, byte B) c, int tolerance)
    {
        int count = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var p = bitmap.GetPixel(x, y);
                if (Math.Abs(p.Red - c.R) <= tolerance && Math.Abs(p.Green - c.G) <= tolerance && Math.Abs(p.Blue - c.B) <= tolerance) count++;
            }
        return count;
    }

    public static (byte R, byte G, byte B) Hex(string hex) => CategoryPalette.Parse(hex);

    /// <summary>The colour a pixel fully covered by one disc of colour c at the given opacity shows on white.</summary>
    public static (byte R, byte G, byte B) OnWhite((byte R, byte G, byte B) c, double opacity)
    {
        byte Mix(byte v) => (byte)Math.Round(opacity * v + (1 - opacity) * 255);
        return (Mix(c.R), Mix(c.G), Mix(c.B));
    }
}
