using System.Diagnostics;
using System.Globalization;
using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.Report;

namespace ScBatchProx.Bench;

/// <summary>
/// Rendering time of the before/after UMAP pair: a simulated embedding (default 100,000 cells,
/// 30 cell types), its first four columns as the two layouts; prints the time to build the figure,
/// the first PNG (font and Skia start-up included), the mean of the following PNGs, one SVG, and
/// the PNG and SVG sizes. Measure the whole process with /usr/bin/time -v.
/// Usage: report [--cells 100000] [--types 30] [--repeat 3] [--out DIR]
/// </summary>
public static class ReportBench
{
    public static int Run(string[] args)
    {
        int cells = int.Parse(BenchArgs.Value(args, "--cells") ?? "100000", CultureInfo.InvariantCulture);
        int types = int.Parse(BenchArgs.Value(args, "--types") ?? "30", CultureInfo.InvariantCulture);
        int repeat = int.Parse(BenchArgs.Value(args, "--repeat") ?? "3", CultureInfo.InvariantCulture);
        var sim = Simulator.Generate(new SimulationOptions { Cells = cells, Batches = 3, CellTypes = types, Dims = 10 });
        Embedding before = Columns(sim.Embedding, 0, 1), after = Columns(sim.Embedding, 2, 3);
        Console.WriteLine($"report bench: {cells:N0} cells, {types} cell types, font {ReportFont.Family ?? "(none)"}");

        var sw = Stopwatch.StartNew();
        var figure = EmbeddingPlots.Pair(before, after, sim.CellType, "Before", "After");
        Console.WriteLine($"build figure: {sw.Elapsed.TotalMilliseconds:F0} ms");
        sw.Restart();
        var png = figure.ToPng();
        Console.WriteLine($"first PNG: {sw.Elapsed.TotalMilliseconds:F0} ms ({figure.Width} x {figure.Height}, {png.Length:N0} bytes)");
        sw.Restart();
        for (int i = 0; i < repeat; i++) png = figure.ToPng();
        Console.WriteLine($"next PNGs: {sw.Elapsed.TotalMilliseconds / Math.Max(repeat, 1):F0} ms each (mean of {repeat})");
        sw.Restart();
        var svg = figure.ToSvg();
        Console.WriteLine($"SVG: {sw.Elapsed.TotalMilliseconds:F0} ms ({svg.Length:N0} characters)");
        if (BenchArgs.Value(args, "--out") is { } dir)
        {
            figure.SavePng(Path.Combine(dir, "umap-pair.png"));
            File.WriteAllText(Path.Combine(dir, "umap-pair.svg"), svg);
        }
        return 0;
    }

    static Embedding Columns(Embedding e, int a, int b)
    {
        var xy = new float[e.Rows * 2];
        for (int i = 0; i < e.Rows; i++) { xy[2 * i] = e[i, a]; xy[2 * i + 1] = e[i, b]; }
        return new Embedding(e.Rows, 2, xy);
    }
}
