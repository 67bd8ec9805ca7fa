using ScBatchProx.Core.Method;

namespace ScBatchProx.Core.Federation;

// One record per message of the round protocol (docs/protocol.md). Clients send counts, parameter
// vectors and sums over their cells; no field holds a cell's row, so the in-process engine and the
// network transport share one privacy boundary.

/// <summary>What every client message carries: who sends it.</summary>
public abstract record ClientMessage
{
    /// <summary>The batch name; one client per batch.</summary>
    public required string ClientId { get; init; }
    /// <summary>n_b, the client's number of cells.</summary>
    public required long Count { get; init; }
}

/// <summary>Answer to the opening request: sums for the federated normalisation.</summary>
public sealed record BatchStatistics : ClientMessage
{
    /// <summary>sum_i z_i (d values).</summary>
    public required double[] Sum { get; init; }
    /// <summary>sum_i ||z_i||^2.</summary>
    public required double SumSquares { get; init; }
}

/// <summary>Answer to <see cref="SetupMessage"/>: a local k-means summary for the prototype initialisation.</summary>
public sealed record LocalCentroids : ClientMessage
{
    /// <summary>k_b x d, row-major, in the normalised space.</summary>
    public required float[] Centroids { get; init; }
    /// <summary>Cluster sizes scaled to the whole batch.</summary>
    public required double[] Sizes { get; init; }
}

/// <summary>Answer to a <see cref="RoundBroadcast"/>: trained shared parameters and prototype statistics.</summary>
public sealed record RoundUpdate : ClientMessage
{
    public required int Round { get; init; }
    /// <summary>The locally trained shared parameters theta_b.</summary>
    public required float[] Theta { get; init; }
    /// <summary>S_bk = sum_i R_ik f_b(x_i), K x d.</summary>
    public required double[] PrototypeSums { get; init; }
    /// <summary>O_bk = sum_i R_ik, K values.</summary>
    public required double[] Occupancy { get; init; }
    /// <summary>Mean local objective over the last local epoch.</summary>
    public required double Loss { get; init; }
}

/// <summary>Answer to the <see cref="FinalBroadcast"/>: how far the batch moved.</summary>
public sealed record FinalReport : ClientMessage
{
    public required int Round { get; init; }
    /// <summary>Mean ||z' - z|| over the batch, in input units.</summary>
    public required double MeanShift { get; init; }
}

/// <summary>Server to clients after the statistics: the normalisation, the initial shared parameters and K.</summary>
public sealed record SetupMessage
{
    public required RefineOptions Options { get; init; }
    public required Normalisation Normalisation { get; init; }
    /// <summary>K, the number of global prototypes the clients' local k-means should aim for.</summary>
    public required int PrototypeCount { get; init; }
    /// <summary>theta at round 0 (the adapter is the identity).</summary>
    public required float[] Theta { get; init; }
    public int Dim => Normalisation.Dim;
}

/// <summary>Server to clients at the start of a round: global parameters and prototypes.</summary>
public sealed record RoundBroadcast
{
    public required int Round { get; init; }
    /// <summary>Global shared parameters theta_bar.</summary>
    public required float[] Theta { get; init; }
    /// <summary>Global prototypes c_k (K x d) in the normalised space.</summary>
    public required float[] Prototypes { get; init; }
    /// <summary>Global prototype masses p_k (sum to 1).</summary>
    public required double[] Masses { get; init; }
    /// <summary>Per prototype, whether enough batches populate it for the compactness pull.</summary>
    public required bool[] SharedPrototypes { get; init; }
    /// <summary>Whether the compactness term is on in this round.</summary>
    public required bool CompactOn { get; init; }
}

/// <summary>
/// Server to clients after the last round: the final global model, so that every site holds the
/// coordinator's model (each with its own FiLM parameters).
/// </summary>
public sealed record FinalBroadcast
{
    public required int Round { get; init; }
    /// <summary>Rounds aggregated so far, over every run of this model.</summary>
    public required int RoundsRun { get; init; }
    public required float[] Theta { get; init; }
    public required float[] Prototypes { get; init; }
    public required double[] Masses { get; init; }
    public required bool[] SharedPrototypes { get; init; }
}
