using ScBatchProx.Data;
using ScBatchProx.IO;

namespace ScBatchProx.Cli.Commands;

/// <summary>An embedding with its batch labels, and where it came from.</summary>
public sealed record LoadedInput(string Path, Embedding Embedding, Categorical Batch, string[]? ObsNames, bool IsAnnData, bool WasFloat64);

/// <summary>Reads the CLI's inputs: an .h5ad obsm key plus an obs column, or a plain embedding plus a label file.</summary>
public static class InputLoader
{
    public static bool IsAnnData(string path) => path.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);

    public static LoadedInput Load(string path, string embedKey, string batchColumn, string? batchFile)
    {
        if (!File.Exists(path)) throw new InputError($"{path}: file not found.");
        if (IsAnnData(path))
        {
            using var file = AnnDataFile.Open(path);
            var emb = file.ReadObsm(embedKey);
            var batch = file.ReadObsColumn(batchColumn);
            return new LoadedInput(path, emb, batch, file.ObsNames, true, file.ObsmIsFloat64(embedKey));
        }
        if (batchFile is null)
            throw new InputError($"{path}: a plain embedding needs --batch-file with one batch label per cell.");
        var plain = PlainEmbedding.Read(path);
        var labels = LabelFile.Read(batchFile, batchColumn);
        if (labels.Length != plain.Embedding.Rows)
            throw new InputError($"{batchFile}: {labels.Length} batch labels for the {plain.Embedding.Rows} rows of {path}.");
        return new LoadedInput(path, plain.Embedding, labels, plain.ObsNames, false, false);
    }
}
