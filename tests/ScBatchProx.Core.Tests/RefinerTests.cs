using ScBatchProx.Core.Federation;
using ScBatchProx.Data;
using ScBatchProx.Core.Method;
using ScBatchProx.Data.Simulation;

namespace ScBatchProx.Core.Tests;

public class RefinerTests
{
    static readonly SimulatedData Sim = Simulator.Generate(new SimulationOptions { Cells = 1500, Seed = 5, BatchStrength = 0.2 });

    [Fact]
    public async Task ZeroRoundsReturnsTheInputExactly()
    {
        var result = await Refiner.FitAsync(Sim.Embedding, Sim.Batch, new RefineOptions { Rounds = 0 }, new FitSettings { Threads = 2 });
        Assert.Equal(Sim.Embedding.Data, result.Refined.Data);
        Assert.Equal(0, result.Run.RoundsRun);
    }

    [Fact]
    public async Task OutputIsBitwiseIdenticalForOneAndTwoThreads()
    {
        var opt = new RefineOptions { Rounds = 4, Seed = 11 };
        var one = await Refiner.FitAsync(Sim.Embedding, Sim.Batch, opt, new FitSettings { Threads = 1 });
        var two = await Refiner.FitAsync(Sim.Embedding, Sim.Batch, opt, new FitSettings { Threads = 2 });
        Assert.Equal(one.Refined.Data, two.Refined.Data);
        Assert.NotEqual(Sim.Embedding.Data, one.Refined.Data);
        var otherSeed = await Refiner.FitAsync(Sim.Embedding, Sim.Batch, opt with { Seed = 12 }, new FitSettings { Threads = 2 });
        Assert.NotEqual(one.Refined.Data, otherSeed.Refined.Data);
    }

    [Fact]
    public async Task RefinementMixesBatchesAndKeepsCellTypesApart()
    {
        // brute-force 15-NN: the share of neighbours from another batch must rise clearly, while
        // the share of neighbours of the same cell type may drop by at most 0.02
        var result = await Refiner.FitAsync(Sim.Embedding, Sim.Batch, new RefineOptions(), new FitSettings { Threads = 2 });
        var (otherBefore, typeBefore) = NeighbourShares(Sim.Embedding);
        var (otherAfter, typeAfter) = NeighbourShares(result.Refined);
        Assert.True(otherAfter > otherBefore + 0.1, $"other-batch neighbours {otherBefore:F3} -> {otherAfter:F3}");
        Assert.True(typeAfter > typeBefore - 0.02, $"same-type neighbours {typeBefore:F3} -> {typeAfter:F3}");
        Assert.Equal(Sim.Batch.Categories, result.Run.MeanShift.Keys.Order(StringComparer.Ordinal));
        Assert.All(result.Run.MeanShift.Values, v => Assert.True(v > 0));
    }

    static (double OtherBatch, double SameType) NeighbourShares(Embedding z)
    {
        const int k = 14;
        double other = 0, same = 0;
        var d = new (float Dist, int Index)[z.Rows];
        for (int i = 0; i < z.Rows; i++)
        {
            for (int j = 0; j < z.Rows; j++) d[j] = (j == i ? float.PositiveInfinity : Kernels.Vec.SquaredDistance(z.RowReadOnly(i), z.RowReadOnly(j)), j);
            Array.Sort(d);
            for (int q = 0; q < k; q++)
            {
                if (Sim.Batch.Codes[d[q].Index] != Sim.Batch.Codes[i]) other++;
                if (Sim.CellType.Codes[d[q].Index] == Sim.CellType.Codes[i]) same++;
            }
        }
        return (other / (k * z.Rows), same / (k * z.Rows));
    }

    [Fact]
    public void BadInputIsRejectedWithTheProblemNamed()
    {
        var z = new Embedding(4, 2, [0, 1, 2, 3, float.NaN, 5, 6, 7]);
        var b = Categorical.FromStrings("batch", ["x", "x", "y", "y"]);
        var e = Assert.Throws<InputError>(() => Refiner.ValidateInput(z, b, new RefineOptions { Prototypes = 2 }, "f.h5ad"));
        Assert.Contains("NaN or Inf", e.Message); Assert.Contains("rows (0-based): 2", e.Message);
        var ok = new Embedding(4, 2);
        e = Assert.Throws<InputError>(() => Refiner.ValidateInput(ok, Categorical.FromStrings("batch", ["x", "x", "x", "y"]), new RefineOptions { Prototypes = 2 }));
        Assert.Contains("batch 'y'", e.Message); Assert.Contains("at least 2", e.Message);
        e = Assert.Throws<InputError>(() => Refiner.ValidateInput(ok, Categorical.FromStrings("batch", ["x", "x", "y"]), new RefineOptions()));
        Assert.Contains("4 rows", e.Message); Assert.Contains("3 values", e.Message);
        e = Assert.Throws<InputError>(() => Refiner.ValidateInput(ok, b, new RefineOptions { Prototypes = 5 }));
        Assert.Contains("fewer than the 5 prototypes", e.Message);
        e = Assert.Throws<InputError>(() => Refiner.ValidateInput(ok, Categorical.FromStrings("batch", ["x", "", "y", "y"]), new RefineOptions { Prototypes = 2 }));
        Assert.Contains("missing for 1 cell", e.Message);
    }
}

public class WorkingSetTests
{
    static readonly SimulatedData Sim = Simulator.Generate(new SimulationOptions { Cells = 2400, Batches = 3, Seed = 8 });
    // batches of 800 cells, working sets of 500, statistics samples of 300, training samples of 256
    static readonly RefineOptions Small = new() { Rounds = 3, Seed = 2, WorkingCells = 500, StatisticsCells = 300, StepsPerRound = 10, LocalEpochs = 10 };

    [Fact]
    public async Task AClientGivenOnlyItsWorkingSetAndSumsTrainsExactlyLikeOneHoldingEveryCell()
    {
        var settings = new FitSettings { Threads = 2 };
        var parts = BatchPartition.Of(Sim.Batch).Parts;
        var whole = await Refiner.FitModelAsync(parts.Select(p => new BatchClient(p.Batch, new RowView(Sim.Embedding, p.Rows))).ToList(), Small, settings);
        // what a streamed input hands over: the working set's rows gathered into a small embedding, and the sums over every cell
        var streamed = await Refiner.FitModelAsync(parts.Select(p =>
        {
            var ws = WorkingSet.Draw(Small, p.Batch, p.Rows.Length).Select(i => p.Rows[i]).ToArray();
            Assert.Equal(500, ws.Length);
            var gathered = Sim.Embedding.SelectRows(ws);
            return BatchClient.FromWorkingSet(p.Batch, RowView.All(gathered), BatchClient.Sums(p.Batch, new RowView(Sim.Embedding, p.Rows)));
        }).ToList(), Small, settings);
        Assert.Equal(whole.Model.ToJson(), streamed.Model.ToJson());
        Assert.All(whole.Model.Batches, b => Assert.Equal(800, b.Cells));
    }

    [Fact]
    public async Task BlockwiseTransformEqualsTheWholeTransformAndThreadsDoNotMatter()
    {
        var one = await Refiner.FitAsync(Sim.Embedding, Sim.Batch, Small, new FitSettings { Threads = 1 });
        var two = await Refiner.FitAsync(Sim.Embedding, Sim.Batch, Small, new FitSettings { Threads = 2 });
        Assert.Equal(one.Refined.Data, two.Refined.Data);
        var blocks = new Embedding(Sim.Embedding.Rows, Sim.Embedding.Cols);
        one.Model.TransformBlocks(Sim.Embedding.Rows, (start, count) => Sim.Embedding.SelectRows(Enumerable.Range(start, count).ToArray()), Sim.Batch,
            (start, block) => block.Data.CopyTo(blocks.Data, start * Sim.Embedding.Cols), 333, 2);
        Assert.Equal(one.Refined.Data, blocks.Data);
    }
}
