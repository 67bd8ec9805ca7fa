using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Method;
using P = ScBatchProx.Federation.Protocol;

namespace ScBatchProx.Federation;

/// <summary>
/// Converts the Core messages to and from their protobuf form, one pair per message. Values are
/// copied bit for bit (float stays float, double stays double), so a run over gRPC computes exactly
/// what the in-process run computes. Arrays are copied when converting, which also snapshots the
/// server's mutable state at the moment a broadcast is sent.
/// </summary>
public static class ProtoMap
{
    public const string ProtocolVersion = "scbatchprox-federation/2";
    /// <summary>Response header with which the server acknowledges an admitted session (value: the client id).</summary>
    public const string AdmittedHeader = "scbatchprox-admitted";

    // client -> server

    public static P.ClientMessage ToProto(BatchStatistics m) => new()
    {
        Statistics = new P.BatchStatistics { ClientId = m.ClientId, Count = (ulong)m.Count, Sum = { m.Sum }, SumSquares = m.SumSquares },
    };

    public static P.ClientMessage ToProto(LocalCentroids m) => new()
    {
        Centroids = new P.LocalCentroids { ClientId = m.ClientId, Count = (ulong)m.Count, Centroids = { m.Centroids }, Sizes = { m.Sizes } },
    };

    public static P.ClientMessage ToProto(RoundUpdate m) => new()
    {
        Round = new P.RoundUpdate
        {
            ClientId = m.ClientId, Count = (ulong)m.Count, Round = m.Round, Theta = { m.Theta },
            PrototypeSums = { m.PrototypeSums }, Occupancy = { m.Occupancy }, Loss = m.Loss,
        },
    };

    public static P.ClientMessage ToProto(FinalReport m) => new()
    {
        Final = new P.FinalReport { ClientId = m.ClientId, Count = (ulong)m.Count, Round = m.Round, MeanShift = m.MeanShift },
    };

    static long Count(ulong c) => (long)Math.Min(c, long.MaxValue);

    public static BatchStatistics FromProto(P.BatchStatistics p) => new()
    {
        ClientId = p.ClientId, Count = Count(p.Count), Sum = [.. p.Sum], SumSquares = p.SumSquares,
    };

    public static LocalCentroids FromProto(P.LocalCentroids p) => new()
    {
        ClientId = p.ClientId, Count = Count(p.Count), Centroids = [.. p.Centroids], Sizes = [.. p.Sizes],
    };

    public static RoundUpdate FromProto(P.RoundUpdate p) => new()
    {
        ClientId = p.ClientId, Count = Count(p.Count), Round = p.Round, Theta = [.. p.Theta],
        PrototypeSums = [.. p.PrototypeSums], Occupancy = [.. p.Occupancy], Loss = p.Loss,
    };

    public static FinalReport FromProto(P.FinalReport p) => new()
    {
        ClientId = p.ClientId, Count = Count(p.Count), Round = p.Round, MeanShift = p.MeanShift,
    };

    // server -> client

    public static P.ServerMessage StatisticsRequest() => new() { StatisticsRequest = new P.StatisticsRequest() };

    public static P.ServerMessage ToProto(SetupMessage m) => new()
    {
        Setup = new P.Setup
        {
            Options = ToProto(m.Options), Mean = { m.Normalisation.Mean }, Scale = m.Normalisation.Scale,
            PrototypeCount = m.PrototypeCount, Theta = { m.Theta },
        },
    };

    public static P.ServerMessage ToProto(RoundBroadcast m) => new()
    {
        Round = new P.RoundBroadcast
        {
            Round = m.Round, Theta = { m.Theta }, Prototypes = { m.Prototypes }, Masses = { m.Masses },
            SharedPrototypes = { m.SharedPrototypes }, CompactOn = m.CompactOn,
        },
    };

    public static P.ServerMessage ToProto(FinalBroadcast m) => new()
    {
        Final = new P.FinalBroadcast
        {
            Round = m.Round, RoundsRun = m.RoundsRun, Theta = { m.Theta }, Prototypes = { m.Prototypes }, Masses = { m.Masses },
            SharedPrototypes = { m.SharedPrototypes },
        },
    };

    public static SetupMessage FromProto(P.Setup p) => new()
    {
        Options = FromProto(p.Options ?? new P.RefineOptions()), Normalisation = new Normalisation([.. p.Mean], p.Scale),
        PrototypeCount = p.PrototypeCount, Theta = [.. p.Theta],
    };

    public static RoundBroadcast FromProto(P.RoundBroadcast p) => new()
    {
        Round = p.Round, Theta = [.. p.Theta], Prototypes = [.. p.Prototypes], Masses = [.. p.Masses],
        SharedPrototypes = [.. p.SharedPrototypes], CompactOn = p.CompactOn,
    };

    public static FinalBroadcast FromProto(P.FinalBroadcast p) => new()
    {
        Round = p.Round, RoundsRun = p.RoundsRun, Theta = [.. p.Theta], Prototypes = [.. p.Prototypes], Masses = [.. p.Masses],
        SharedPrototypes = [.. p.SharedPrototypes],
    };

    public static P.RefineOptions ToProto(RefineOptions o) => new()
    {
        Rounds = o.Rounds, Tolerance = o.Tolerance, Hidden = o.Hidden, Activation = (P.Activation)(int)o.Activation,
        Prototypes = o.Prototypes ?? 0, Sigma = o.Sigma, Diversity = o.Diversity, DiversityCap = o.DiversityCap,
        LambdaId = o.LambdaId, LambdaCompact = o.LambdaCompact, CompactFromRound = o.CompactFromRound,
        CompactMinBatches = o.CompactMinBatches, Mu = o.Mu, LearningRate = o.LearningRate, MiniBatch = o.MiniBatch,
        LocalEpochs = o.LocalEpochs, StepsPerRound = o.StepsPerRound, StatisticsCells = o.StatisticsCells, WorkingCells = o.WorkingCells, AlignTarget = (P.AlignTarget)(int)o.AlignTarget,
        UseFilm = o.UseFilm, Seed = o.Seed, DiversitySweeps = o.DiversitySweeps, KmeansRestarts = o.KMeansRestarts,
    };

    public static RefineOptions FromProto(P.RefineOptions p) => new()
    {
        Rounds = p.Rounds, Tolerance = p.Tolerance, Hidden = p.Hidden, Activation = (Activation)(int)p.Activation,
        Prototypes = p.Prototypes == 0 ? null : p.Prototypes, Sigma = p.Sigma, Diversity = p.Diversity, DiversityCap = p.DiversityCap,
        LambdaId = p.LambdaId, LambdaCompact = p.LambdaCompact, CompactFromRound = p.CompactFromRound,
        CompactMinBatches = p.CompactMinBatches, Mu = p.Mu, LearningRate = p.LearningRate, MiniBatch = p.MiniBatch,
        LocalEpochs = p.LocalEpochs, StepsPerRound = p.StepsPerRound, StatisticsCells = p.StatisticsCells, WorkingCells = p.WorkingCells, AlignTarget = (AlignTarget)(int)p.AlignTarget,
        UseFilm = p.UseFilm, Seed = p.Seed, DiversitySweeps = p.DiversitySweeps, KMeansRestarts = p.KmeansRestarts,
    };
}
