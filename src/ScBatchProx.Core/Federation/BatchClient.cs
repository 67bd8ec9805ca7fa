using ScBatchProx.Core.Method;
using ScBatchProx.Data;

namespace ScBatchProx.Core.Federation;

/// <summary>
/// One batch as a federated client before the run is set up: it holds only its own cells and
/// answers the opening request with sums. <see cref="Setup"/> turns it into a <see cref="LocalTrainer"/>.
/// </summary>
public sealed class BatchClient
{
    public string Id { get; }
    /// <summary>The batch's rows inside the site's (or the whole) embedding.</summary>
    public RowView Cells { get; }
    public int CellCount => Cells.Count;

    public BatchClient(string id, RowView cells)
    {
        if (cells.Count < 2) throw new ArgumentException($"batch '{id}' has {cells.Count} cell(s); at least 2 are needed.");
        Id = id; Cells = cells;
    }

    /// <summary>A client holding every row of <paramref name="cells"/>.</summary>
    public BatchClient(string id, Embedding cells) : this(id, RowView.All(cells)) { }

    public BatchStatistics Statistics()
    {
        int d = Cells.Cols;
        var sum = new double[d];
        double sumSq = 0;
        for (int i = 0; i < Cells.Count; i++)
        {
            var row = Cells.Row(i);
            for (int j = 0; j < d; j++) { double v = row[j]; sum[j] += v; sumSq += v * v; }
        }
        return new BatchStatistics { ClientId = Id, Count = Cells.Count, Sum = sum, SumSquares = sumSq };
    }

    /// <summary>The client's training state for this run: FiLM at zero, theta as the server sent it.</summary>
    public LocalTrainer Setup(SetupMessage setup) =>
        new(Id, Cells, setup.Options, setup.Normalisation, setup.Theta, phi: null, TrainingAnchor.Global);
}
