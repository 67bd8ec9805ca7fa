using System.CommandLine;
using ScBatchProx.Core.Method;

namespace ScBatchProx.Cli.Commands;

/// <summary>The method's hyper-parameters as command-line options, shared by refine, demo and benchmark.</summary>
public sealed class MethodOptions
{
    static readonly RefineOptions D = new();

    readonly Option<int> _rounds = new("--rounds") { Description = "Maximum number of federated rounds T (0 returns the input unchanged).", DefaultValueFactory = _ => D.Rounds };
    readonly Option<double> _tol = new("--tol") { Description = "Stop early when prototypes and objective change less than this.", DefaultValueFactory = _ => D.Tolerance };
    readonly Option<int> _hidden = new("--hidden") { Description = "Adapter hidden width h.", DefaultValueFactory = _ => D.Hidden };
    readonly Option<Activation> _act = new("--activation") { Description = "Adapter activation.", DefaultValueFactory = _ => D.Activation };
    readonly Option<int?> _protos = new("--prototypes") { Description = "Number of global prototypes K. Default min(100, max(2, n/30))." };
    readonly Option<int> _restarts = new("--kmeans-restarts") { Description = "k-means++ restarts when initialising the prototypes (lowest inertia wins).", DefaultValueFactory = _ => D.KMeansRestarts };
    readonly Option<double> _sigma = new("--sigma") { Description = "Soft-assignment temperature.", DefaultValueFactory = _ => D.Sigma };
    readonly Option<double> _div = new("--diversity") { Description = "Diversity penalty theta (keeps prototypes shared across batches).", DefaultValueFactory = _ => D.Diversity };
    readonly Option<double> _divCap = new("--diversity-cap") { Description = "Cap on the diversity boost.", DefaultValueFactory = _ => D.DiversityCap };
    readonly Option<int> _sweeps = new("--diversity-sweeps") { Description = "Assignment sweeps per round (extra sweeps re-estimate the diversity penalty).", DefaultValueFactory = _ => D.DiversitySweeps };
    readonly Option<double> _lid = new("--lambda-id") { Description = "Identity-preservation weight (higher = closer to the input).", DefaultValueFactory = _ => D.LambdaId };
    readonly Option<double> _lc = new("--lambda-compact") { Description = "Compactness weight (pull towards shared prototypes).", DefaultValueFactory = _ => D.LambdaCompact };
    readonly Option<int> _cFrom = new("--compact-from") { Description = "First round with the compactness term on.", DefaultValueFactory = _ => D.CompactFromRound };
    readonly Option<int> _cMin = new("--compact-min-batches") { Description = "Pull only towards prototypes populated by at least this many batches.", DefaultValueFactory = _ => D.CompactMinBatches };
    readonly Option<double> _mu = new("--mu") { Description = "FedProx proximal weight on the shared adapter.", DefaultValueFactory = _ => D.Mu };
    readonly Option<double> _lr = new("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => D.LearningRate };
    readonly Option<int> _mb = new("--minibatch") { Description = "Minibatch size.", DefaultValueFactory = _ => D.MiniBatch };
    readonly Option<int> _epochs = new("--epochs") { Description = "Local epochs per round.", DefaultValueFactory = _ => D.LocalEpochs };
    readonly Option<int> _steps = new("--steps") { Description = "Budget of optimiser steps per batch per round (the training sample is steps x minibatch / epochs cells).", DefaultValueFactory = _ => D.StepsPerRound };
    readonly Option<int> _statsCells = new("--stats-cells") { Description = "Cells per batch per round sampled for the prototype statistics (sums scaled to the batch).", DefaultValueFactory = _ => D.StatisticsCells };
    readonly Option<AlignTarget> _target = new("--align-target") { Description = "Anchor of the alignment target: Input (Harmony-style) or Output (METHOD.md as written).", DefaultValueFactory = _ => D.AlignTarget };
    readonly Option<bool> _noFilm = new("--no-film") { Description = "Train the shared adapter only, without per-batch FiLM (ablation)." };
    readonly Option<ulong> _seed = new("--seed") { Description = "Random seed; the same seed and options give bitwise-identical output.", DefaultValueFactory = _ => 0UL };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _rounds, _tol, _hidden, _act, _protos, _restarts, _sigma, _div, _divCap, _sweeps, _lid, _lc, _cFrom, _cMin, _mu, _lr, _mb, _epochs, _steps, _statsCells, _target, _noFilm, _seed })
            command.Options.Add(o);
    }

    public RefineOptions Read(ParseResult r)
    {
        var o = new RefineOptions
        {
            Rounds = r.GetValue(_rounds), Tolerance = r.GetValue(_tol), Hidden = r.GetValue(_hidden), Activation = r.GetValue(_act),
            Prototypes = r.GetValue(_protos), KMeansRestarts = r.GetValue(_restarts), Sigma = r.GetValue(_sigma), Diversity = r.GetValue(_div), DiversityCap = r.GetValue(_divCap), DiversitySweeps = r.GetValue(_sweeps),
            LambdaId = r.GetValue(_lid), LambdaCompact = r.GetValue(_lc), CompactFromRound = r.GetValue(_cFrom), CompactMinBatches = r.GetValue(_cMin),
            Mu = r.GetValue(_mu), LearningRate = r.GetValue(_lr), MiniBatch = r.GetValue(_mb), LocalEpochs = r.GetValue(_epochs),
            StepsPerRound = r.GetValue(_steps), StatisticsCells = r.GetValue(_statsCells), AlignTarget = r.GetValue(_target), UseFilm = !r.GetValue(_noFilm), Seed = r.GetValue(_seed),
        };
        o.Validate();
        return o;
    }
}
