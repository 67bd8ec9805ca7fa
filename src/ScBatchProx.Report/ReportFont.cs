using SkiaSharp;

namespace ScBatchProx.Report;

/// <summary>
/// The sans-serif family every figure uses: the first of a short preference list that fontconfig
/// knows. DejaVu Sans (Debian's fonts-dejavu-core) comes first because it is on bare Debian
/// machines and covers Greek and most symbols used in cell-type names.
/// </summary>
public static class ReportFont
{
    static readonly string[] Preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Lato", "Arial", "Helvetica"];

    /// <summary>The chosen family, or null when none of the preferred ones is installed (then Skia's default is used).</summary>
    public static string? Family { get; } = Choose(SKFontManager.Default.FontFamilies);

    /// <summary>
    /// False when Skia finds no font at all: figures then render without any text (no crash), and
    /// the report says so; the tables still carry every number.
    /// </summary>
    public static bool AnyInstalled { get; } = SKFontManager.Default.FontFamilyCount > 0;

    internal static string? Choose(IEnumerable<string> installed)
    {
        var set = new HashSet<string>(installed, StringComparer.OrdinalIgnoreCase);
        return Preferred.FirstOrDefault(set.Contains);
    }
}
