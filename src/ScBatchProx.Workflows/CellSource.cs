using ScBatchProx.Data;
using ScBatchProx.IO;

namespace ScBatchProx.Workflows;

/// <summary>
/// Where a job's cells come from: an .h5ad obsm key and obs column, or a plain embedding with a
/// batch-label file. A null key means the default: a model's own key where a model is used, else
/// <see cref="DefaultEmbedKey"/> and <see cref="DefaultBatchKey"/>.
/// </summary>
public sealed record CellSource(string Path, string? EmbedKey = null, string? BatchKey = null, string? BatchFile = null)
{
    public const string DefaultEmbedKey = "X_pca", DefaultBatchKey = "batch";

    /// <summary>The keys a model was trained on, where this source leaves them open.</summary>
    public CellSource WithDefaults(Core.Model.RefinementModel model) =>
        this with { EmbedKey = EmbedKey ?? model.EmbedKey, BatchKey = BatchKey ?? model.BatchKey };

    /// <summary>Opens the file and reads the embedding and the batch column; bad input is an <see cref="InputError"/>.</summary>
    public LoadedCells Load()
    {
        var dataset = BatchFile is null ? Dataset.Open(Path) : Dataset.OpenPlain(Path, BatchFile, BatchKey);
        try
        {
            string key = dataset.IsAnnData ? EmbedKey ?? DefaultEmbedKey : Dataset.PlainKey;
            return new LoadedCells(dataset, key, dataset.Obsm(key), dataset.Obs(dataset.IsAnnData ? BatchKey ?? DefaultBatchKey : dataset.ObsColumns[0]));
        }
        catch { dataset.Dispose(); throw; }
    }
}

/// <summary>An opened input: the dataset (for writing the output next to everything else), the embedding and the batches.</summary>
public sealed record LoadedCells(Dataset Dataset, string EmbedKey, Embedding Embedding, Categorical Batches) : IDisposable
{
    public string Path => Dataset.Path;
    public void Dispose() => Dataset.Dispose();
}
