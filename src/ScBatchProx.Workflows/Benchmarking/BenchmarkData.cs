using ScBatchProx.Data;
using ScBatchProx.IO;

namespace ScBatchProx.Workflows.Benchmarking;

/// <summary>One upstream embedding of one dataset, with what scoring needs: batches, labels and the pre-integration embedding.</summary>
public sealed record BenchmarkPair(string Dataset, string Key, Embedding Embedding, Categorical Batches, Categorical Labels, Embedding Pre)
{
    /// <summary>The same pair restricted to <paramref name="rows"/> (in that order).</summary>
    public BenchmarkPair Subset(int[] rows) => this with
    {
        Embedding = Embedding.SelectRows(rows), Pre = Pre.SelectRows(rows),
        Batches = Categorical.FromStrings(Batches.Name, rows.Select(Batches.ValueAt).ToList()),
        Labels = Categorical.FromStrings(Labels.Name, rows.Select(Labels.ValueAt).ToList()),
    };
}

/// <summary>
/// A folder of benchmark datasets (.h5ad with obs 'batch', obs 'cell_type' and obsm 'X_pca'). A file
/// that cannot be read is named, skipped and listed in <see cref="Skipped"/>; the others go on.
/// </summary>
public sealed class BenchmarkData
{
    public const string BatchKey = "batch", LabelKey = "cell_type", PreKey = "X_pca";

    readonly string[] _files;
    readonly List<(string File, string Problem)> _skipped = [];

    BenchmarkData(string[] files) { _files = files; }

    public IReadOnlyList<(string File, string Problem)> Skipped => _skipped;

    public static BenchmarkData Open(string dir)
    {
        if (File.Exists(dir)) throw new InputError($"{dir}: is a file; the benchmark reads a folder of .h5ad files.");
        if (!Directory.Exists(dir)) throw new InputError($"{dir}: folder not found.");
        var files = Directory.GetFiles(dir, "*.h5ad").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InputError($"{dir}: no .h5ad files found.");
        return new BenchmarkData(files);
    }

    /// <summary>Every (dataset, embedding), file by file in ordinal order; <paramref name="keys"/> restricts the embeddings.</summary>
    public IEnumerable<BenchmarkPair> Pairs(IReadOnlyCollection<string>? keys, Action<string> log)
    {
        foreach (var path in _files)
        {
            var pairs = new List<BenchmarkPair>();
            try
            {
                using var file = Dataset.Open(path);
                var batches = file.Obs(BatchKey);
                var labels = file.Obs(LabelKey);
                var pre = file.Obsm(PreKey);
                foreach (var key in file.ObsmKeys.Where(k => keys is null || keys.Contains(k)))
                    pairs.Add(new BenchmarkPair(System.IO.Path.GetFileNameWithoutExtension(path), key, file.Obsm(key), batches, labels, pre));
            }
            catch (InputError e)
            {
                log($"skipping {path}: {e.Message}");
                _skipped.Add((path, e.Message));
                continue;
            }
            foreach (var p in pairs) yield return p;
        }
    }
}
