using ScBatchProx.Core.Method;

namespace ScBatchProx.Core.Federation;

/// <summary>
/// Everything a <see cref="FederatedServer"/> holds between rounds, for checkpoints and for
/// continuing a run: <see cref="FederatedServer.FromState"/> continues exactly where
/// <see cref="FederatedServer.ExportState"/> left off.
/// </summary>
public sealed record ServerState
{
    public required RefineOptions Options { get; init; }
    /// <summary>The round the server is at (the next one to aggregate, or the last when stopped).</summary>
    public required int Round { get; init; }
    /// <summary>The last round this run aggregates (Options.Rounds for a fresh run).</summary>
    public required int LastRound { get; init; }
    /// <summary>Rounds aggregated so far (over every run of this model).</summary>
    public required int RoundsRun { get; init; }
    public required IReadOnlyDictionary<string, long> Counts { get; init; }
    public required Normalisation Normalisation { get; init; }
    public required float[] Theta { get; init; }
    public required float[] Prototypes { get; init; }
    public required double[] Masses { get; init; }
    public required bool[] Shared { get; init; }
    public required double LastObjective { get; init; }
    /// <summary>Each client's last valid round update (carried forward when it misses a round).</summary>
    public required IReadOnlyList<RoundUpdate> Latest { get; init; }
}
