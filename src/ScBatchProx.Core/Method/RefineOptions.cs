using ScBatchProx.Data;
using System.Text.Json.Serialization;

namespace ScBatchProx.Core.Method;

[JsonConverter(typeof(JsonStringEnumConverter<Activation>))]
public enum Activation { SiLU, Tanh }

/// <summary>What the alignment term pulls a cell towards (see docs/method.md).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AlignTarget>))]
public enum AlignTarget
{
    /// <summary>target = x + sum_k R_ik (c_k - m_bk), cluster means of the upstream input (Harmony-style; no drift).</summary>
    Input,
    /// <summary>target = x' + sum_k R_ik (c_k - m_bk), cluster means of the current output (METHOD.md as written).</summary>
    Output,
}

/// <summary>
/// Hyper-parameters of the refinement. Defaults follow ../shared/spec/METHOD.md except where
/// docs/method.md records measured evidence for another value.
/// </summary>
public sealed record RefineOptions
{
    /// <summary>Maximum number of federated rounds T.</summary>
    public int Rounds { get; init; } = 20;
    /// <summary>Early stop when the prototype shift and the relative objective change both fall below this.</summary>
    public double Tolerance { get; init; } = 1e-4;
    /// <summary>Adapter hidden width h.</summary>
    public int Hidden { get; init; } = 128;
    public Activation Activation { get; init; } = Activation.SiLU;
    /// <summary>Number of global prototypes K; null means min(100, max(2, n / 30)).</summary>
    public int? Prototypes { get; init; }
    /// <summary>k-means++ restarts of the prototype initialisation (client-local and server k-means); the lowest inertia wins.</summary>
    public int KMeansRestarts { get; init; } = 1;
    /// <summary>Soft-assignment temperature sigma.</summary>
    public double Sigma { get; init; } = 0.1;
    /// <summary>Diversity penalty exponent theta_div.</summary>
    public double Diversity { get; init; } = 2.0;
    /// <summary>
    /// Upper bound on the diversity boost ((E+1)/(O+1))^theta; infinity means uncapped. The cap keeps a
    /// batch from being pushed into prototypes of cell types it lacks (docs/method.md).
    /// </summary>
    public double DiversityCap { get; init; } = 8;
    /// <summary>Assignment sweeps per round; sweeps before the last only re-estimate the occupancies O_bk.</summary>
    public int DiversitySweeps { get; init; } = 1;
    /// <summary>Identity-preservation weight lambda_id.</summary>
    public double LambdaId { get; init; } = 0.2;
    /// <summary>Compactness weight lambda_c.</summary>
    public double LambdaCompact { get; init; } = 0.5;
    /// <summary>First round (1-based) in which the compactness term is on.</summary>
    public int CompactFromRound { get; init; } = 10;
    /// <summary>Pull cells only towards prototypes populated by at least this many batches.</summary>
    public int CompactMinBatches { get; init; } = 2;
    /// <summary>FedProx proximal weight mu on the shared parameters.</summary>
    public double Mu { get; init; } = 0.01;
    /// <summary>Adam learning rate (3e-3 makes up for the weaker push of the capped diversity boost).</summary>
    public double LearningRate { get; init; } = 3e-3;
    public int MiniBatch { get; init; } = 256;
    /// <summary>Local epochs E per round.</summary>
    public int LocalEpochs { get; init; } = 10;
    /// <summary>
    /// Budget of optimiser steps per client per round: the training sample holds
    /// min(n_b, StepsPerRound x MiniBatch / LocalEpochs) cells, so a round costs the same at any n.
    /// 140 is what the largest shared batch (3,364 cells) took before the budget existed.
    /// </summary>
    public int StepsPerRound { get; init; } = 140;
    /// <summary>
    /// At most this many cells of a client are held for training: the working set, a seeded sample
    /// drawn once, from which every round samples. Larger batches are still transformed whole.
    /// </summary>
    public int WorkingCells { get; init; } = 32_768;
    /// <summary>At most this many cells per client per round enter the prototype statistics (a seeded sample; the sums are scaled to the batch).</summary>
    public int StatisticsCells { get; init; } = 4096;
    public AlignTarget AlignTarget { get; init; } = AlignTarget.Input;
    /// <summary>Train only the shared part, no FiLM (ablation).</summary>
    public bool UseFilm { get; init; } = true;
    public ulong Seed { get; init; } = 0;

    static readonly System.Text.Json.JsonSerializerOptions Json = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Compact JSON of every option (infinity written as "Infinity").</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, Json);

    /// <summary>Cells in a client's training sample: the step budget spread over the local epochs (at least one minibatch).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int TrainingCells => Math.Max(MiniBatch, (int)Math.Min(int.MaxValue, (long)StepsPerRound * MiniBatch / LocalEpochs));

    /// <summary>K for n cells: the explicit value, else min(100, max(2, n / 30)).</summary>
    public int PrototypeCount(long n) => Prototypes ?? (int)Math.Min(100, Math.Max(2, n / 30));

    /// <summary>Throws an <see cref="InputError"/> naming the first out-of-range option.</summary>
    public void Validate()
    {
        static void Require(bool ok, string option, string rule) { if (!ok) throw InputError.ForOption(option, "{option} " + rule); }
        Require(Rounds >= 0, nameof(Rounds), "must be >= 0");
        Require(Tolerance >= 0, nameof(Tolerance), "must be >= 0");
        Require(Hidden >= 1, nameof(Hidden), "must be >= 1");
        Require(Prototypes is null or >= 2, nameof(Prototypes), "must be >= 2");
        Require(KMeansRestarts >= 1, nameof(KMeansRestarts), "must be >= 1");
        Require(Sigma > 0, nameof(Sigma), "must be > 0");
        Require(Diversity >= 0, nameof(Diversity), "must be >= 0");
        Require(DiversityCap >= 1, nameof(DiversityCap), "must be >= 1");
        Require(DiversitySweeps >= 1, nameof(DiversitySweeps), "must be >= 1");
        Require(LambdaId >= 0, nameof(LambdaId), "must be >= 0");
        Require(LambdaCompact >= 0, nameof(LambdaCompact), "must be >= 0");
        Require(Mu >= 0, nameof(Mu), "must be >= 0");
        Require(LearningRate > 0, nameof(LearningRate), "must be > 0");
        Require(MiniBatch >= 1, nameof(MiniBatch), "must be >= 1");
        Require(LocalEpochs >= 1, nameof(LocalEpochs), "must be >= 1");
        Require(StepsPerRound >= LocalEpochs, nameof(StepsPerRound), "must be at least the number of local epochs");
        Require(StatisticsCells >= 1, nameof(StatisticsCells), "must be >= 1");
        Require(WorkingCells >= StatisticsCells, nameof(WorkingCells), "must be at least the statistics sample");
        Require(CompactMinBatches >= 1, nameof(CompactMinBatches), "must be >= 1");
    }
}
