using Google.Protobuf;
using ScBatchProx.Core;
using ScBatchProx.Data;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using ScBatchProx.Data.Simulation;
using P = ScBatchProx.Federation.Protocol;

namespace ScBatchProx.Federation.Tests;

public class InProcessTransportTests
{
    internal static List<(string Id, int[] Rows)> Split(Categorical batch)
    {
        var list = new List<(string, int[])>();
        for (int b = 0; b < batch.CategoryCount; b++)
        {
            var rows = Enumerable.Range(0, batch.Length).Where(i => batch.Codes[i] == b).ToArray();
            if (rows.Length > 0) list.Add((batch.Categories[b], rows));
        }
        return list;
    }

    static RoundUpdate FirstRoundUpdate(int cells)
    {
        var sim = Simulator.Generate(new SimulationOptions { Cells = cells, Batches = 1, Dims = 20, Seed = 3 });
        var opt = new RefineOptions { Prototypes = 20, Rounds = 1, Seed = 1 };
        var client = new BatchClient("site-a", sim.Embedding);
        var setup = RunSetup.From(opt, [client.Statistics()]);
        var trainer = client.Setup(setup.Message);
        var server = FederatedServer.Start(setup, [trainer.Centroids(setup.Message.PrototypeCount)]);
        return trainer.Train(server.RoundBroadcast());
    }

    [Fact]
    public void BytesSentPerRoundDoNotGrowWithTheNumberOfCells()
    {
        var small = FirstRoundUpdate(1_000);
        var large = FirstRoundUpdate(100_000);
        int s = ProtoMap.ToProto(small).CalculateSize();
        int l = ProtoMap.ToProto(large).CalculateSize();
        Assert.Equal(1_000, small.Count);
        Assert.Equal(100_000, large.Count);
        Assert.Equal(s, l);
        // theta (h*d + h + d*h + d floats) + K*d + K doubles + a few scalars
        int h = new RefineOptions().Hidden;
        int theta = h * 20 * 2 + h + 20;
        Assert.InRange(s, theta * 4 + 20 * 21 * 8, theta * 4 + 20 * 21 * 8 + 200);
    }

    [Fact]
    public void MessagesSurviveTheWireBitForBit()
    {
        var u = FirstRoundUpdate(1_000) with { Loss = double.Epsilon };
        var back = ProtoMap.FromProto(P.ClientMessage.Parser.ParseFrom(ProtoMap.ToProto(u).ToByteArray()).Round);
        Assert.Equal(u.Theta, back.Theta);
        Assert.Equal(u.PrototypeSums, back.PrototypeSums);
        Assert.Equal(u.Occupancy, back.Occupancy);
        Assert.Equal(BitConverter.DoubleToInt64Bits(u.Loss), BitConverter.DoubleToInt64Bits(back.Loss));
        Assert.Equal((u.ClientId, u.Round, u.Count), (back.ClientId, back.Round, back.Count));
        var final = new FinalReport { ClientId = "b", Count = 7, Round = 3, MeanShift = double.Epsilon };
        Assert.Equal(final, ProtoMap.FromProto(P.ClientMessage.Parser.ParseFrom(ProtoMap.ToProto(final).ToByteArray()).Final));
        // every option differs from its default, so a field the wire format forgets fails here
        var opt = new RefineOptions
        {
            Rounds = 3, Tolerance = 0.5, Hidden = 5, KMeansRestarts = 4, Activation = Activation.Tanh, Prototypes = 7, Sigma = 0.3, Diversity = 1.5,
            DiversityCap = 3, DiversitySweeps = 2, LambdaId = 0.7, LambdaCompact = 0.9, CompactFromRound = 4, CompactMinBatches = 3,
            Mu = 0.2, LearningRate = 0.02, MiniBatch = 17, LocalEpochs = 3, StepsPerRound = 40, StatisticsCells = 99, WorkingCells = 123, AlignTarget = AlignTarget.Output,
            UseFilm = false, Seed = ulong.MaxValue,
        };
        var defaults = new RefineOptions();
        foreach (var prop in typeof(RefineOptions).GetProperties())
            Assert.False(Equals(prop.GetValue(opt), prop.GetValue(defaults)), $"{prop.Name} equals its default in this test");
        Assert.Equal(opt, ProtoMap.FromProto(P.RefineOptions.Parser.ParseFrom(ProtoMap.ToProto(opt).ToByteArray())));
        Assert.Equal(new RefineOptions(), ProtoMap.FromProto(ProtoMap.ToProto(new RefineOptions())));
    }

    [Fact]
    public async Task LoopbackGrpcRunIsBitwiseIdenticalToInProcess()
    {
        var sim = Simulator.Generate(new SimulationOptions { Cells = 1200, Batches = 3, Seed = 9 });
        var opt = new RefineOptions { Rounds = 4, Seed = 5 };
        var expected = await Refiner.FitAsync(sim.Embedding, sim.Batch, opt, new FitSettings { Threads = 2 });

        await using var host = await FederationHost.StartAsync(new ServerSettings { Listen = "http://127.0.0.1:0", Clients = 3, RoundTimeout = TimeSpan.FromSeconds(30) }, opt);
        var run = host.RunAsync();
        var parts = Split(sim.Batch);
        var sites = parts.Select(p => new SiteClient(new BatchClient(p.Id, sim.Embedding.SelectRows(p.Rows)), new SiteSettings { Server = host.Address, RetryFor = TimeSpan.FromSeconds(10) })).ToList();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var results = await Task.WhenAll(sites.Select(s => s.RunAsync(timeout.Token)));
        var server = await run.WaitAsync(timeout.Token);
        foreach (var s in sites) s.Dispose();

        Assert.Equal(expected.Run.RoundsRun, server.Run.RoundsRun);
        Assert.Equal(expected.Model.Theta, server.Model.Theta);
        Assert.Equal(expected.Model.Prototypes, server.Model.Prototypes);
        for (int c = 0; c < parts.Count; c++)
            Assert.Equal(expected.Refined.SelectRows(parts[c].Rows).Data, results[c].Refine(sim.Embedding.SelectRows(parts[c].Rows)).Data);
        Assert.All(results, r => Assert.Equal(1, r.Sessions));
        for (int c = 0; c < parts.Count; c++)   // each site holds the in-process model's global part and its own FiLM
            Assert.Equal((expected.Model with { Batches = [expected.Model.Batches[c]], BatchKey = null }).ToJson(), results[c].Model.ToJson());
        Assert.All(server.Model.Batches, b => Assert.Null(b.Film));   // FiLM never leaves a site
    }

    [Fact]
    public async Task PlainHttpOutsideLoopbackIsRefused()
    {
        var e = await Assert.ThrowsAsync<InputError>(() =>
            FederationHost.StartAsync(new ServerSettings { Listen = "http://0.0.0.0:0", Clients = 1 }, new RefineOptions()));
        Assert.Equal("Insecure", e.Option);
        Assert.Contains("--insecure", e.MessageFor(o => "--" + o.ToLowerInvariant()));
        Assert.Throws<InputError>(() =>
            new SiteClient(new BatchClient("b", new Embedding(2, 2)), new SiteSettings { Server = new Uri("http://192.0.2.1:7000") }));
    }
}
