using System.Globalization;
using ScBatchProx.Metrics.Report;
using ScBatchProx.Workflows;
using Spectre.Console;

namespace ScBatchProx.Cli.Terminal;

/// <summary>The end-of-run summary on stdout: rounds, time, how far each batch moved, label-free checks.</summary>
public static class Summary
{
    static string F(double v, string fmt = "F3") => v.ToString(fmt, CultureInfo.InvariantCulture);

    public static void Print(RefineOutcome outcome)
    {
        var (input, fit, report) = (outcome.Input, outcome.Fit, outcome.Report);
        var run = fit.Run;
        AnsiConsole.WriteLine($"Refined {input.Path} -> {outcome.OutputPath} (obsm['{fit.Model.EmbedKey ?? input.EmbedKey}'] -> obsm['{outcome.Key}'])");
        AnsiConsole.WriteLine($"rounds run: {run.RoundsRun}{(run.Converged ? " (converged early)" : "")}, time: {F(fit.Elapsed.TotalSeconds, "F1")} s, " +
                               $"{input.Embedding.Rows} cells x {input.Embedding.Cols} dims, {fit.MeanShift.Count} batches");
        PrintShifts(fit.MeanShift, b => fit.Model.Find(b)!.Cells, fit.Model.Normalisation.Scale * Math.Sqrt(input.Embedding.Cols), report);
        PrintReport(report);
    }

    /// <summary>How far each batch moved, in input units and relative to the spread of the data.</summary>
    public static void PrintShifts(IReadOnlyDictionary<string, double> shifts, Func<string, long> cellsOf, double spread, RefinementReport? report = null)
    {
        var table = new Table().AddColumns("batch", "cells", "mean shift", "shift / scale");
        if (report is not null) table.AddColumn("neighbours kept");
        foreach (var (batch, shift) in shifts.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            string[] row = [Markup.Escape(batch), cellsOf(batch).ToString(CultureInfo.InvariantCulture), F(shift), F(shift / spread)];
            table.AddRow(report is null ? row : [.. row, F(report.OverlapPerBatch[batch])]);
        }
        AnsiConsole.Write(table);
    }

    public static void PrintReport(RefinementReport report)
    {
        if (report.SampledCells is int sampled)
            AnsiConsole.WriteLine($"(the figures below are measured within a seeded sample of {sampled:N0} cells, drawn from every batch in proportion to its size)");
        AnsiConsole.WriteLine($"batch mixing (15-NN batch entropy, 0..1): {F(report.MixingBefore)} -> {F(report.MixingAfter)}");
        AnsiConsole.WriteLine($"15-NN neighbourhood kept: mean {F(report.MeanOverlap)}; cells keeping < {F(RefinementReport.LowOverlap, "F1")}: {F(100 * report.LowOverlapFraction, "F1")} %");
        if (report.Disturbed)
            AnsiConsole.WriteLine($"warning: more than {F(100 * RefinementReport.WarnFraction, "F0")} % of the cells lost most of their neighbours; " +
                                   "the refinement may have disturbed biology. Try a larger --lambda-id or fewer --rounds, and check with 'scbatchprox evaluate' if labels exist.");
    }
}
