using ScBatchProx.Data;
using SkiaSharp;

namespace ScBatchProx.Report;

/// <summary>
/// A finished figure of fixed pixel size: rendered on demand as PNG (always) or SVG (ScottPlot
/// draws through Skia's SVG canvas, so every figure has one; a 1e5-point scatter makes a large SVG).
/// </summary>
public sealed class Figure
{
    readonly Action<SKCanvas> _draw;

    /// <summary>Short caption shown under the figure in the report.</summary>
    public string Caption { get; }
    /// <summary>Text alternative for the image (what the figure shows, in words).</summary>
    public string AltText { get; }
    public int Width { get; }
    public int Height { get; }

    internal Figure(string caption, string altText, int width, int height, Action<SKCanvas> draw)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Caption = caption; AltText = altText; Width = width; Height = height; _draw = draw;
    }

    /// <summary>PNG bytes (8-bit RGBA).</summary>
    public byte[] ToPng()
    {
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"Skia could not create a {Width} x {Height} surface.");
        Draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>SVG document text.</summary>
    public string ToSvg()
    {
        // ScottPlot lays out axes during a render; a raster pass first, as its own SVG export does,
        // so the SVG gets the settled layout.
        using (var warmUp = SKSurface.Create(new SKImageInfo(Width, Height))) Draw(warmUp.Canvas);
        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), stream)) Draw(canvas);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the PNG atomically (readers see the old file or the complete new one).</summary>
    public void SavePng(string path) => AtomicFile.Write(path, temp => File.WriteAllBytes(temp, ToPng()));

    /// <summary>Writes the SVG atomically.</summary>
    public void SaveSvg(string path) => AtomicFile.Write(path, temp => File.WriteAllText(temp, ToSvg()));

    void Draw(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        _draw(canvas);
        canvas.Flush();
    }
}
