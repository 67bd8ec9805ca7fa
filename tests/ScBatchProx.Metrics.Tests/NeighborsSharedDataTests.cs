using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using ScBatchProx.Data;
using ScBatchProx.Metrics.Neighbors;
using ScBatchProx.TestSupport;
using Xunit;

namespace ScBatchProx.Metrics.Tests;

/// <summary>
/// Loads the shared .h5ad files for the metric tests: through ScBatchProx.IO (AnnDataFile) when
/// that project provides it, otherwise by a one-off export with /usr/bin/python3 + anndata to raw
/// float32 / JSON files. Also caches the exact 90-NN graph of each embedding, which several metric
/// tests share.
/// </summary>
internal static class SharedDatasets
{
    public const string Batch = "batch";
    public const string Label = "cell_type";

    public sealed record Dataset(string Name, IReadOnlyDictionary<string, Embedding> Obsm, Categorical Batches, Categorical Labels, string Source);

    static readonly ConcurrentDictionary<string, Lazy<Dataset>> Cache = new();
    static readonly ConcurrentDictionary<string, Lazy<NeighborGraph>> Graphs = new();
    static readonly Lazy<JsonDocument?> ReferenceDoc = new(() =>
    {
        var dir = SharedData.Directory;
        var path = dir == null ? null : Path.Combine(dir, "reference_metrics.json");
        return path != null && File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)) : null;
    });

    /// <summary>(dataset, embedding) pairs of reference_metrics.json, listed statically so test discovery works without the data.</summary>
    public static IEnumerable<object[]> Embeddings()
    {
        yield return ["cell_lines_harmony", "X_pca"];
        yield return ["cell_lines_harmony", "X_harmony"];
        foreach (var ds in new[] { "cellbench_lung5", "pbmc_symphony" })
            foreach (var e in new[] { "X_pca", "X_harmony", "X_seurat", "X_seurat_rpca", "X_combat", "X_limma" })
                yield return [ds, e];
    }

    public static Dataset Load(string name) => Cache.GetOrAdd(name, n => new Lazy<Dataset>(() => LoadUncached(n))).Value;

    /// <summary>Exact 90-NN graph of an embedding (cached).</summary>
    public static NeighborGraph Graph(string dataset, string key) =>
        Graphs.GetOrAdd(dataset + "/" + key, _ => new Lazy<NeighborGraph>(() => ExactNeighbors.Search(Load(dataset).Obsm[key], 90))).Value;

    /// <summary>Reference value of a metric; skips when reference_metrics.json is absent.</summary>
    public static double Reference(string dataset, string key, string metric)
    {
        SharedData.Require("reference_metrics.json");
        var doc = ReferenceDoc.Value!;
        return doc.RootElement.GetProperty("datasets").GetProperty(dataset).GetProperty("embeddings").GetProperty(key)
            .GetProperty("metrics").GetProperty(metric).GetDouble();
    }

    static Dataset LoadUncached(string name)
    {
        var path = SharedData.Require(name + ".h5ad");
        return TryLoadWithIo(name, path) ?? LoadWithPython(name, path);
    }

    /// <summary>Uses ScBatchProx.IO's AnnDataFile.Open(path).ReadObsm / ReadObsColumn if that API exists (bound late so these tests build before it does).</summary>
    static Dataset? TryLoadWithIo(string name, string path)
    {
        var type = Type.GetType("ScBatchProx.IO.AnnDataFile, ScBatchProx.IO");
        var open = type?.GetMethod("Open", BindingFlags.Public | BindingFlags.Static, [typeof(string)]);
        if (type == null || open == null) return null;
        try
        {
            var file = open.Invoke(null, [path])!;
            try
            {
                var readObsm = type.GetMethod("ReadObsm", [typeof(string)])!;
                var readObs = type.GetMethod("ReadObsColumn", [typeof(string)])!;
                var keys = name == "cell_lines_harmony" ? new[] { "X_pca", "X_harmony" } : ["X_pca", "X_harmony", "X_seurat", "X_seurat_rpca", "X_combat", "X_limma"];
                var obsm = keys.ToDictionary(k => k, k => (Embedding)readObsm.Invoke(file, [k])!);
                var batches = ((Categorical)readObs.Invoke(file, [Batch])!).Normalized();
                var labels = ((Categorical)readObs.Invoke(file, [Label])!).Normalized();
                return new Dataset(name, obsm, batches, labels, "ScBatchProx.IO");
            }
            finally { (file as IDisposable)?.Dispose(); }
        }
        catch (Exception) { return null; } // IO not functional yet: fall back to python
    }

    static Dataset LoadWithPython(string name, string path)
    {
        Python.RequireModules("anndata", "numpy");
        var dir = Path.Combine(Path.GetTempPath(), "scbp-metrics-a-export", name);
        var metaPath = Path.Combine(dir, "meta.json");
        if (!File.Exists(metaPath))
        {
            Directory.CreateDirectory(dir);
            const string script = """
                import sys, json, numpy as np, anndata
                a = anndata.read_h5ad(sys.argv[1]); out = sys.argv[2]
                meta = {"obsm": {}, "obs": {}}
                for key in a.obsm.keys():
                    X = np.ascontiguousarray(np.asarray(a.obsm[key], dtype="<f4"))
                    X.tofile(f"{out}/{key}.f32"); meta["obsm"][key] = list(X.shape)
                for col in ["batch", "cell_type"]:
                    meta["obs"][col] = [str(v) for v in a.obs[col]]
                json.dump(meta, open(f"{out}/meta.json.tmp", "w"))
                """;
            Python.Check(script, path, dir);
            File.Move(Path.Combine(dir, "meta.json.tmp"), metaPath, overwrite: true);
        }
        using var meta = JsonDocument.Parse(File.ReadAllText(metaPath));
        var obsmDict = new Dictionary<string, Embedding>();
        foreach (var p in meta.RootElement.GetProperty("obsm").EnumerateObject())
        {
            int rows = p.Value[0].GetInt32(), cols = p.Value[1].GetInt32();
            var bytes = File.ReadAllBytes(Path.Combine(dir, p.Name + ".f32"));
            var data = new float[rows * cols];
            Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
            obsmDict[p.Name] = new Embedding(rows, cols, data);
        }
        Categorical Column(string col) =>
            Categorical.FromStrings(col, meta.RootElement.GetProperty("obs").GetProperty(col).EnumerateArray().Select(v => v.GetString()).ToList());
        return new Dataset(name, obsmDict, Column(Batch), Column(Label), "python anndata export");
    }
}

public class NeighborsSharedDataTests
{
    [SkippableFact]
    public void SharedDataLoadsWithExpectedShapes()
    {
        var ds = SharedDatasets.Load("cell_lines_harmony");
        Assert.Equal(9478, ds.Obsm["X_pca"].Rows);
        Assert.Equal(20, ds.Obsm["X_harmony"].Cols);
        Assert.Equal(["half", "jurkat", "t293"], ds.Batches.Categories);
        Assert.Equal(["jurkat", "t293"], ds.Labels.Categories);
        Assert.Equal(1799 + 3255, ds.Labels.Counts()[0]);
    }
}
