namespace ScBatchProx.Report;

/// <summary>
/// Colours for categorical annotations (batch, cell type). The first ten are Vega's category10
/// (matplotlib's tab10, what scanpy users know); further colours are chosen greedily as in
/// Glasbey et al. (2007, "Colour displays for categorical images"): each next colour is the
/// candidate whose CIELAB distance to every colour already taken, to the white background and to
/// the grey of missing values is largest. Unlike tab20, whose light twins sit next to their dark
/// originals, this keeps 30 categories apart (the tests measure the minimum distance).
/// </summary>
public static class CategoryPalette
{
    /// <summary>Vega category10 / matplotlib tab10.</summary>
    static readonly string[] Category10 =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>Cells whose value is missing (code -1), drawn underneath everything else.</summary>
    public const string MissingHex = "#d3d3d3";

    /// <summary>Lightness window of the extra colours: dark enough to see on white, light enough not to read as black.</summary>
    const double MinLightness = 30, MaxLightness = 85;

    /// <summary>Candidate grid steps per RGB channel (16 levels: 4,096 candidates).</summary>
    const int Levels = 16;

    /// <summary>The first <paramref name="count"/> colours as "#rrggbb"; a prefix of every longer palette.</summary>
    public static string[] Hex(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var chosen = new List<(byte R, byte G, byte B)>(Math.Max(count, Category10.Length));
        foreach (var h in Category10) chosen.Add(Parse(h));
        if (count > Category10.Length) ExtendGreedily(chosen, count);
        return chosen.Take(count).Select(c => $"#{c.R:x2}{c.G:x2}{c.B:x2}").ToArray();
    }

    static void ExtendGreedily(List<(byte R, byte G, byte B)> chosen, int count)
    {
        var candidates = new List<((byte, byte, byte) Rgb, Lab Lab)>();
        for (int r = 0; r < Levels; r++)
            for (int g = 0; g < Levels; g++)
                for (int b = 0; b < Levels; b++)
                {
                    var rgb = (Level(r), Level(g), Level(b));
                    var lab = Lab.FromRgb(rgb.Item1, rgb.Item2, rgb.Item3);
                    if (lab.L >= MinLightness && lab.L <= MaxLightness) candidates.Add((rgb, lab));
                }
        var nearest = new double[candidates.Count];
        Array.Fill(nearest, double.PositiveInfinity);
        void Occupy(Lab taken)
        {
            for (int i = 0; i < candidates.Count; i++) nearest[i] = Math.Min(nearest[i], Lab.Distance(candidates[i].Lab, taken));
        }
        Occupy(Lab.FromRgb(255, 255, 255));
        var missing = Parse(MissingHex);
        Occupy(Lab.FromRgb(missing.R, missing.G, missing.B));
        foreach (var c in chosen) Occupy(Lab.FromRgb(c.R, c.G, c.B));
        while (chosen.Count < count)
        {
            int best = 0; // strict '>' keeps the lowest index on ties: the palette never depends on anything but this code
            for (int i = 1; i < nearest.Length; i++) if (nearest[i] > nearest[best]) best = i;
            chosen.Add(candidates[best].Rgb);
            Occupy(candidates[best].Lab);
        }
    }

    static byte Level(int i) => (byte)Math.Round(i * 255.0 / (Levels - 1));

    internal static (byte R, byte G, byte B) Parse(string hex) =>
        (Convert.ToByte(hex.Substring(1, 2), 16), Convert.ToByte(hex.Substring(3, 2), 16), Convert.ToByte(hex.Substring(5, 2), 16));

    /// <summary>CIELAB under D65 from sRGB (IEC 61966-2-1 transfer curve).</summary>
    readonly record struct Lab(double L, double A, double B)
    {
        public static Lab FromRgb(byte r, byte g, byte b)
        {
            double R = Linear(r), G = Linear(g), B = Linear(b);
            double x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
            double y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
            double z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
            double fx = F(x), fy = F(y), fz = F(z);
            return new Lab(116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz));
        }

        /// <summary>CIE76 colour difference (Euclidean in L*a*b*), the measure Glasbey et al. maximise.</summary>
        public static double Distance(Lab p, Lab q) =>
            Math.Sqrt((p.L - q.L) * (p.L - q.L) + (p.A - q.A) * (p.A - q.A) + (p.B - q.B) * (p.B - q.B));

        static double Linear(byte c)
        {
            double v = c / 255.0;
            return v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
        }

        static double F(double t) => t > 216.0 / 24389 ? Math.Cbrt(t) : (24389.0 / 27 * t + 16) / 116;
    }
}
