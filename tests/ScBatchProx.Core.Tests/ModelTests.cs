using ScBatchProx.Core.Method;
using ScBatchProx.Core.Model;
using ScBatchProx.Data;
using ScBatchProx.Data.Simulation;
using ScBatchProx.TestSupport;

namespace ScBatchProx.Core.Tests;

public class ModelTests
{
    static readonly SimulatedData Sim = Simulator.Generate(new SimulationOptions { Cells = 1200, Batches = 4, Seed = 21, BatchStrength = 0.3 });
    static readonly RefineOptions Options = new() { Rounds = 6, Seed = 3 };
    static readonly Lazy<Refinement> Fit = new(() => Refiner.FitAsync(Sim.Embedding, Sim.Batch, Options, new FitSettings { Threads = 2 }).GetAwaiter().GetResult());

    static int[] RowsOf(Categorical c, params string[] batches) =>
        Enumerable.Range(0, c.Length).Where(i => batches.Contains(c.ValueAt(i))).ToArray();

    static Categorical Subset(Categorical c, int[] rows) => Categorical.FromStrings(c.Name, rows.Select(c.ValueAt).ToList());

    [Fact]
    public void TransformOfKnownBatchesEqualsTheRefinementBitwise()
    {
        var fit = Fit.Value;
        Assert.Equal(fit.Refined.Data, fit.Model.Transform(Sim.Embedding, Sim.Batch).Data);
        // any subset, in any order, gives the same rows
        var rows = RowsOf(Sim.Batch, "batch2", "batch4").Reverse().ToArray();
        var part = fit.Model.Transform(Sim.Embedding.SelectRows(rows), Subset(Sim.Batch, rows));
        Assert.Equal(fit.Refined.SelectRows(rows).Data, part.Data);
    }

    [Fact]
    public void ModelFileRoundTripsBitwise()
    {
        using var dir = new TempDir();
        var model = Fit.Value.Model with { EmbedKey = "X_sim" };
        var path = dir.File("m.json");
        model.Save(path);
        var back = RefinementModel.Load(path);
        Assert.Equal(model.ToJson(), back.ToJson());
        Assert.Equal(Bits(model.Theta), Bits(back.Theta));
        Assert.Equal(Bits(model.Prototypes), Bits(back.Prototypes));
        Assert.Equal(model.Normalisation.Mean.Select(BitConverter.DoubleToInt64Bits), back.Normalisation.Mean.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(BitConverter.DoubleToInt64Bits(model.Normalisation.Scale), BitConverter.DoubleToInt64Bits(back.Normalisation.Scale));
        Assert.Equal(model.SharedPrototypes, back.SharedPrototypes);
        for (int b = 0; b < model.Batches.Count; b++) Assert.Equal(Bits(model.Batches[b].Film!), Bits(back.Batches[b].Film!));
        Assert.Equal(Fit.Value.Refined.Data, back.Transform(Sim.Embedding, Sim.Batch).Data);
    }

    static IEnumerable<int> Bits(float[] a) => a.Select(BitConverter.SingleToInt32Bits);

    [Fact]
    public async Task ExtendTrainsOnlyTheNewBatchAndLeavesKnownBatchesBitwise()
    {
        // fit on b0..b2, then b3 arrives
        var first = RowsOf(Sim.Batch, "batch1", "batch2", "batch3");
        var fit = await Refiner.FitAsync(Sim.Embedding.SelectRows(first), Subset(Sim.Batch, first), Options, new FitSettings { Threads = 2 });
        var ext = await fit.Model.ExtendAsync(Sim.Embedding, Sim.Batch, new ExtendSettings { Threads = 2 });
        Assert.Equal(["batch4"], ext.NewBatches);
        Assert.Equal(["batch1", "batch2", "batch3"], ext.KnownBatches);
        Assert.Equal(fit.Refined.Data, ext.Refined.SelectRows(first).Data);                      // known batches: unchanged, bit for bit
        var added = ext.Model.Find("batch4")!;
        Assert.Equal(BatchTraining.Extension, added.Training);
        Assert.NotNull(added.Theta);
        Assert.Equal(fit.Model.Theta, ext.Model.Theta);                                          // the global part is frozen
        var newRows = RowsOf(Sim.Batch, "batch4");
        Assert.NotEqual(Sim.Embedding.SelectRows(newRows).Data, ext.Refined.SelectRows(newRows).Data);
        // the extended model transforms the new batch exactly as the extension wrote it, and is deterministic
        Assert.Equal(ext.Refined.Data, ext.Model.Transform(Sim.Embedding, Sim.Batch).Data);
        var again = await fit.Model.ExtendAsync(Sim.Embedding, Sim.Batch, new ExtendSettings { Threads = 1 });
        Assert.Equal(ext.Refined.Data, again.Refined.Data);
        // the new batch moved towards the others: its mean distance to the known batches' centroid shrinks
        Assert.True(CentroidGap(ext.Refined, newRows, first) < CentroidGap(Sim.Embedding, newRows, first));
    }

    static double CentroidGap(Embedding z, int[] a, int[] b)
    {
        double sq = 0;
        for (int j = 0; j < z.Cols; j++)
        {
            double ma = a.Average(i => z[i, j]), mb = b.Average(i => z[i, j]);
            sq += (ma - mb) * (ma - mb);
        }
        return Math.Sqrt(sq);
    }

    [Fact]
    public async Task UpdateTrainsEveryBatchAndMovesTheKnownOnes()
    {
        var first = RowsOf(Sim.Batch, "batch1", "batch2", "batch3");
        var fit = await Refiner.FitAsync(Sim.Embedding.SelectRows(first), Subset(Sim.Batch, first), Options, new FitSettings { Threads = 2 });
        var upd = await fit.Model.ExtendAsync(Sim.Embedding, Sim.Batch, new ExtendSettings { Update = true, Rounds = 3, Threads = 2 });
        Assert.True(upd.Updated);
        Assert.Equal(fit.Model.RoundsRun + 3, upd.Model.RoundsRun);
        Assert.NotEqual(fit.Refined.Data, upd.Refined.SelectRows(first).Data);
        Assert.All(upd.Model.Batches, b => Assert.Equal(BatchTraining.Federated, b.Training));
        Assert.Equal(upd.Refined.Data, upd.Model.Transform(Sim.Embedding, Sim.Batch).Data);
    }

    [Fact]
    public void BadInputToAModelIsNamed()
    {
        var model = Fit.Value.Model;
        var other = Categorical.FromStrings("batch", Enumerable.Range(0, Sim.Batch.Length).Select(i => i % 2 == 0 ? "batch1" : "zz").ToList());
        var e = Assert.Throws<InputError>(() => model.Transform(Sim.Embedding, other, "f.h5ad"));
        Assert.Contains("'zz'", e.Message); Assert.Contains("'batch1', 'batch2', 'batch3', 'batch4'", e.Message); Assert.Contains("extend", e.Message);
        e = Assert.Throws<InputError>(() => model.Transform(new Embedding(Sim.Batch.Length, 7), Sim.Batch, "f.h5ad"));
        Assert.Contains("7 dimensions", e.Message); Assert.Contains($"trained on {Sim.Embedding.Cols}", e.Message);
    }

    [Fact]
    public void CorruptTruncatedAndForeignModelFilesAreRefusedWithTheReason()
    {
        var json = Fit.Value.Model.ToJson();
        Assert.Contains("malformed or truncated", Assert.Throws<InputError>(() => RefinementModel.FromJson(json[..(json.Length / 2)], "m.json")).Message);
        Assert.Contains("not a scbatchprox-model file", Assert.Throws<InputError>(() => RefinementModel.FromJson("{\"a\": 1}", "m.json")).Message);
        var newer = Assert.Throws<InputError>(() => RefinementModel.FromJson(json.Replace("\"version\": 2", "\"version\": 3"), "m.json")).Message;
        Assert.Contains("version 3 is newer", newer);
        var shape = Assert.Throws<InputError>(() => RefinementModel.FromJson(json.Replace("\"hidden\": 128", "\"hidden\": 64"), "m.json")).Message;
        Assert.Contains("'theta' has", shape);
        var missing = Assert.Throws<InputError>(() => RefinementModel.FromJson(json.Replace("\"masses\"", "\"massez\""), "m.json")).Message;
        Assert.Contains("masses", missing);
    }

    [Fact]
    public async Task AVersion1ModelTransformsButCannotBeExtended()
    {
        // the layout format 1 had: normalisation as mean/scale, per-batch film and local theta, no sharing flags
        var m = Fit.Value.Model;
        var v1 = new System.Text.Json.Nodes.JsonObject
        {
            ["format"] = RefinementModel.FormatName, ["version"] = 1, ["embedKey"] = "X_sim", ["batchKey"] = "batch",
            ["options"] = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(m.Options,
                new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase })),
            ["dim"] = m.Dim, ["mean"] = Arr(m.Normalisation.Mean), ["scale"] = m.Normalisation.Scale, ["theta"] = Arr(m.Theta),
            ["prototypes"] = Arr(m.Prototypes), ["masses"] = Arr(m.Masses), ["roundsRun"] = m.RoundsRun,
            ["batches"] = new System.Text.Json.Nodes.JsonArray(m.Batches.Select(b => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["batch"] = b.Batch, ["cells"] = b.Cells, ["film"] = Arr(b.Film!), ["localTheta"] = Arr(m.Theta),
            }).ToArray()),
        };
        var old = RefinementModel.FromJson(v1.ToJsonString(), "old.json");
        Assert.Equal(Fit.Value.Refined.Data, old.Transform(Sim.Embedding, Sim.Batch).Data);
        var e = await Assert.ThrowsAsync<InputError>(() => old.ExtendAsync(Sim.Embedding, Sim.Batch));
        Assert.Contains("format version 1", e.Message);
    }

    static System.Text.Json.Nodes.JsonArray Arr<T>(IEnumerable<T> values) =>
        new(values.Select(v => (System.Text.Json.Nodes.JsonNode?)System.Text.Json.Nodes.JsonValue.Create(v)).ToArray());
}
