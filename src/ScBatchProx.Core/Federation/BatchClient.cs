using ScBatchProx.Core.Method;
using ScBatchProx.Data;

namespace ScBatchProx.Core.Federation;

/// <summary>
/// One batch as a federated client before the run is set up: it answers the opening request with
/// sums over all its cells, and at setup becomes a <see cref="LocalTrainer"/> on its working set.
/// It holds either every cell of the batch (a site; the working set is drawn at setup) or a working
/// set already drawn, with the sums precomputed (an in-process run that streamed its input).
/// </summary>
public sealed class BatchClient
{
    readonly RowView _cells;
    readonly bool _isWorkingSet;
    readonly BatchStatistics _statistics;

    public string Id { get; }
    public long CellCount => _statistics.Count;

    /// <summary>A client holding every cell of its batch (<paramref name="cells"/>: rows inside a larger embedding, not copied).</summary>
    public BatchClient(string id, RowView cells) : this(id, cells, false, Sums(id, cells)) { }

    /// <summary>A client holding every row of <paramref name="cells"/>.</summary>
    public BatchClient(string id, Embedding cells) : this(id, RowView.All(cells)) { }

    BatchClient(string id, RowView cells, bool isWorkingSet, BatchStatistics statistics)
    {
        if (statistics.Count < 2) throw new ArgumentException($"batch '{id}' has {statistics.Count} cell(s); at least 2 are needed.");
        Id = id; _cells = cells; _isWorkingSet = isWorkingSet; _statistics = statistics;
    }

    /// <summary>A client given its working set (drawn with <see cref="WorkingSet.Draw"/> and the run's options) and the sums over all its cells.</summary>
    public static BatchClient FromWorkingSet(string id, RowView workingSet, BatchStatistics statistics) => new(id, workingSet, true, statistics);

    public BatchStatistics Statistics() => _statistics;

    /// <summary>sum z and sum ||z||^2 over the rows, in row order.</summary>
    public static BatchStatistics Sums(string id, RowView cells)
    {
        var acc = new StatisticsAccumulator(cells.Cols);
        for (int i = 0; i < cells.Count; i++) acc.Add(cells.Row(i));
        return acc.ToMessage(id);
    }

    /// <summary>The client's training state for this run: FiLM at zero, theta as the server sent it.</summary>
    public LocalTrainer Setup(SetupMessage setup) =>
        new(Id, _isWorkingSet ? _cells : WorkingSet.Of(setup.Options, Id, _cells), CellCount, setup.Options, setup.Normalisation, setup.Theta, phi: null, TrainingAnchor.Global);
}

/// <summary>Sums for the federated normalisation, fed one row at a time (so a streamed pass gives the same bits as a pass in memory).</summary>
public sealed class StatisticsAccumulator(int dim)
{
    readonly double[] _sum = new double[dim];
    double _sumSq;
    long _count;

    public void Add(ReadOnlySpan<float> row)
    {
        for (int j = 0; j < _sum.Length; j++) { double v = row[j]; _sum[j] += v; _sumSq += v * v; }
        _count++;
    }

    public BatchStatistics ToMessage(string id) => new() { ClientId = id, Count = _count, Sum = (double[])_sum.Clone(), SumSquares = _sumSq };
}
