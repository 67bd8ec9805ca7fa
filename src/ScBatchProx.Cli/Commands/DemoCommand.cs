using System.CommandLine;
using System.Globalization;
using ScBatchProx.Cli.Terminal;
using ScBatchProx.Core;
using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.IO;
using ScBatchProx.Metrics.Benchmark;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.Metrics.Report;
using Spectre.Console;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>scbatchprox demo</c>: the whole job on simulated data, no files needed.</summary>
public static class DemoCommand
{
    public const string InputKey = "X_sim";

    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "Where to write the simulated data with the refined embedding.", DefaultValueFactory = _ => new FileInfo("demo.h5ad") };
        var cells = new Option<int>("--cells") { Description = "Number of simulated cells.", DefaultValueFactory = _ => 3000 };
        var batches = new Option<int>("--batches") { Description = "Number of simulated batches.", DefaultValueFactory = _ => 3 };
        var types = new Option<int>("--cell-types") { Description = "Number of simulated cell types.", DefaultValueFactory = _ => 6 };
        var simSeed = new Option<ulong>("--sim-seed") { Description = "Seed of the simulator.", DefaultValueFactory = _ => 42UL };
        var threads = ThreadsOption.Create("Batches refined in parallel (results do not depend on it).");
        var method = new MethodOptions();
        var cmd = new Command("demo",
            "Simulate cells of several types in batches with nonlinear batch effects and different compositions " +
            "(one type missing from one batch), refine, print before/after figures and write demo.h5ad. Needs no input file.")
        { output, cells, batches, types, simSeed, threads };
        method.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var options = method.Read(r);
            var sim = Simulator.Generate(new SimulationOptions
            {
                Cells = r.GetValue(cells), Batches = r.GetValue(batches), CellTypes = r.GetValue(types), Seed = r.GetValue(simSeed),
            });
            int nThreads = ThreadsOption.Read(r, threads);
            AnsiConsole.WriteLine($"Simulated {sim.Embedding.Rows} cells x {sim.Embedding.Cols} dims: {sim.Batch.CategoryCount} batches, " +
                                   $"{sim.CellType.CategoryCount} cell types ('{sim.CellType.Categories[^1]}' absent from '{sim.Batch.Categories[0]}').");
            var result = await ProgressDisplay.RunAsync("demo", options.Rounds,
                p => Refiner.FitAsync(sim.Embedding, sim.Batch, options, new FitSettings { Threads = nThreads, Progress = p, Cancel = ct }));
            // one pair of 15-NN graphs serves the figures and the label-free report
            var before = ExactNeighbors.Search(sim.Embedding, RefinementReport.K, nThreads);
            var after = ExactNeighbors.Search(result.Refined, RefinementReport.K, nThreads);
            PrintFigures(sim, before, after);
            var scoring = new BenchmarkOptions { Threads = nThreads, Metrics = MetricSet.Current };
            AnsiConsole.Write(ScoreTables.BeforeAfter(
                Benchmarker.Evaluate(sim.Embedding, sim.CellType, sim.Batch, sim.Embedding, scoring, name: InputKey),
                Benchmarker.Evaluate(result.Refined, sim.CellType, sim.Batch, sim.Embedding, scoring, name: "X_scbatchprox")));
            var report = RefinementReport.Compute(before, after, sim.Batch);
            Summary.PrintReport(report);
            var path = r.GetValue(output)!.FullName;
            var names = Enumerable.Range(0, sim.Embedding.Rows).Select(i => "cell" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { [InputKey] = sim.Embedding, ["X_scbatchprox"] = result.Refined },
                names, [sim.Batch, sim.CellType], new Dictionary<string, string> { ["options"] = options.ToJson() });
            AnsiConsole.WriteLine($"Wrote {path}: obsm['{InputKey}'] (input), obsm['X_scbatchprox'] (refined), obs['batch'], obs['cell_type']; " +
                                   $"{result.Run.RoundsRun} rounds in {result.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s.");
            return 0;
        }));
        return cmd;
    }

    static void PrintFigures(SimulatedData sim, NeighborGraph before, NeighborGraph after)
    {
        var table = new Table().AddColumns("figure (15-NN)", "before", "after");
        table.AddRow("batch mixing (higher = better mixed)", F(KnnFigures.BatchMixing(before, sim.Batch)), F(KnnFigures.BatchMixing(after, sim.Batch)));
        table.AddRow("label purity (higher = types kept apart)", F(KnnFigures.LabelPurity(before, sim.CellType)), F(KnnFigures.LabelPurity(after, sim.CellType)));
        AnsiConsole.Write(table);
    }

    static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
