using System.Text.Json;
using ScBatchProx.Data;

namespace ScBatchProx.IO.Tests;

/// <summary>Files we write, read back by us and by the real anndata / h5py.</summary>
public class AnnDataWriteTests
{
    /// <summary>
    /// Checks with h5py that every group, dataset and attribute of the input is in the output with
    /// equal dtype and values (numpy bool enums may change base type, still reading as bool), and
    /// with anndata that X, obs, var, uns and every other obsm are equal; saves the new entry as .npy
    /// and prints uns/scbatchprox as JSON.
    /// </summary>
    const string CompareScript = """
        import sys, json, h5py, numpy as np, anndata as ad, scipy.sparse as sp
        old, new, key, npy = sys.argv[1:5]
        def same(x, y):
            x, y = np.asarray(x), np.asarray(y)
            return x.shape == y.shape and (x.dtype == y.dtype or (x.dtype.kind == y.dtype.kind == 'b')) and (
                np.array_equal(x, y, equal_nan=x.dtype.kind == 'f') if x.dtype.kind != 'O' else list(x.ravel()) == list(y.ravel()))
        with h5py.File(old, 'r') as fo, h5py.File(new, 'r') as fn:
            def check(name, o):
                if name == 'obsm/' + key: return
                assert not name or name in fn, name
                n = fn[name] if name else fn
                assert type(n) == type(o), name
                assert set(o.attrs) == set(n.attrs), (name, set(o.attrs), set(n.attrs))
                for a in o.attrs:
                    assert same(o.attrs[a], n.attrs[a]), (name, a, o.attrs[a], n.attrs[a])
                if isinstance(o, h5py.Dataset):
                    assert o.dtype == n.dtype or o.dtype.kind == n.dtype.kind == 'b', (name, o.dtype, n.dtype)
                    assert same(o.asstr()[()] if h5py.check_string_dtype(o.dtype) else o[()],
                                n.asstr()[()] if h5py.check_string_dtype(n.dtype) else n[()]), name
            check('', fo)
            fo.visititems(check)
            assert dict(fn['obsm/' + key].attrs) == {'encoding-type': 'array', 'encoding-version': '0.2.0'}
        a, b = ad.read_h5ad(old), ad.read_h5ad(new)
        assert a.shape == b.shape
        if a.X is None: assert b.X is None
        elif sp.issparse(a.X): assert type(a.X) == type(b.X) and a.X.dtype == b.X.dtype and (a.X != b.X).nnz == 0
        else: assert np.array_equal(a.X, b.X)
        assert a.obs.equals(b.obs) and a.obs.dtypes.equals(b.obs.dtypes) and a.obs_names.equals(b.obs_names)
        assert a.var.equals(b.var) and a.var_names.equals(b.var_names)
        for k in a.obsm:
            if k != key: assert a.obsm[k].dtype == b.obsm[k].dtype and np.array_equal(a.obsm[k], b.obsm[k]), k
        assert set(b.obsm) == set(a.obsm) | {key}
        extra = b.uns.pop('scbatchprox', {})
        def eq(x, y):
            if isinstance(x, dict): return isinstance(y, dict) and x.keys() == y.keys() and all(eq(x[k], y[k]) for k in x)
            return same(x, y)
        assert eq(dict(a.uns), dict(b.uns))
        np.save(npy, b.obsm[key])
        print(json.dumps({"dtype": str(b.obsm[key].dtype), "uns": {k: str(v) for k, v in extra.items()}}))
        """;

    public static TheoryData<string, string, bool> Cases => new()
    {
        { "pbmc_symphony.h5ad", "X_scbatchprox", false },
        { "cellbench_lung5.h5ad", "X_scbatchprox", true },
        { "cell_lines_harmony.h5ad", "X_harmony", false },
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Copy_with_new_obsm_keeps_everything_else(string file, string key, bool asFloat64)
    {
        var input = SharedData.Require(file);
        Python.RequireModules("anndata", "h5py");
        using var tmp = new TempDir();
        Embedding refined;
        using (var ad = AnnDataFile.Open(input))
        {
            refined = ad.ReadObsm("X_pca");
            // Values a float32 -> float64 -> float32 trip must keep exactly, including signs and tiny values.
            for (int i = 0; i < refined.Data.Length; i++) refined.Data[i] = refined.Data[i] * 0.5f - 1e-30f;
        }
        var output = tmp.File("out.h5ad");
        var uns = new Dictionary<string, string> { ["key"] = key, ["options"] = "{\"theta\": 2}" };
        AnnDataWriter.WriteWithObsm(input, output, key, refined, asFloat64, uns);

        var json = Python.Check(CompareScript, input, output, key, tmp.File("new.npy"));
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(asFloat64 ? "float64" : "float32", doc.RootElement.GetProperty("dtype").GetString());
        Assert.Equal(key, doc.RootElement.GetProperty("uns").GetProperty("key").GetString());
        Assert.Equal("{\"theta\": 2}", doc.RootElement.GetProperty("uns").GetProperty("options").GetString());
        Bits.Equal(refined, PlainEmbedding.Read(tmp.File("new.npy")).Embedding);

        using var back = AnnDataFile.Open(output);
        Assert.Equal(asFloat64, back.ObsmIsFloat64(key));
        Bits.Equal(refined, back.ReadObsm(key));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp-*", SearchOption.AllDirectories));
    }

    /// <summary>
    /// Datasets of a million values or more are not read whole but copied block by block while the
    /// output is written: a file made by anndata with such a sparse X, a float32 and a float64 obsm
    /// (rows not a multiple of the block) must come out equal in every dataset and attribute.
    /// </summary>
    [SkippableFact]
    public void Copy_streams_large_datasets_and_keeps_them_equal()
    {
        Python.RequireModules("anndata", "h5py", "scipy");
        using var tmp = new TempDir();
        var input = tmp.File("large.h5ad");
        Python.Check("""
            import sys, numpy as np, anndata as ad, pandas as pd, scipy.sparse as sp
            rng = np.random.default_rng(3)
            n = 25_013
            X = sp.random(n, 200, density=0.25, format='csr', dtype=np.float32, random_state=4)
            a = ad.AnnData(X=X, obs=pd.DataFrame({'batch': pd.Categorical(rng.choice(['a', 'b', 'c'], n))}, index=[f'cell{i}' for i in range(n)]))
            a.obsm['X_pca'] = rng.normal(size=(n, 50)).astype(np.float32)
            a.obsm['X_f64'] = rng.normal(size=(n, 44))
            a.write_h5ad(sys.argv[1])
            """, input);
        Embedding refined;
        using (var ad = AnnDataFile.Open(input)) refined = ad.ReadObsm("X_pca");
        Assert.True(refined.Data.Length >= 1 << 20);
        var output = tmp.File("out.h5ad");
        AnnDataWriter.WriteWithObsm(input, output, "X_scbatchprox", refined, false);
        Python.Check(CompareScript, input, output, "X_scbatchprox", tmp.File("new.npy"));
        using var back = AnnDataFile.Open(output);
        Bits.Equal(refined, back.ReadObsm("X_scbatchprox"));
    }

    [SkippableFact]
    public void Output_may_replace_its_input()
    {
        var source = SharedData.Require("pbmc_symphony.h5ad");
        using var tmp = new TempDir();
        var path = tmp.File("in.h5ad");
        File.Copy(source, path);
        var refined = new Embedding(1200, 2, Enumerable.Range(0, 2400).Select(i => (float)i).ToArray());
        AnnDataWriter.WriteWithObsm(path, path, "X_new", refined, false);
        using var back = AnnDataFile.Open(path);
        Bits.Equal(refined, back.ReadObsm("X_new"));
        Assert.Equal(1200, back.ReadObsColumn("batch").Length);
    }

    [SkippableFact]
    public void New_file_opens_in_anndata_with_the_categories()
    {
        Python.RequireModules("anndata");
        using var tmp = new TempDir();
        var path = tmp.File("demo.h5ad");
        var batch = Categorical.FromStrings("batch", ["b", "a", null, "b", "c"]);
        var type = new Categorical("cell_type", Enumerable.Range(0, 200).Select(i => "t" + i.ToString("D3")).ToArray(), [0, 199, 5, 5, -1]);
        var x = new Embedding(5, 3, Enumerable.Range(0, 15).Select(i => i / 7f).ToArray());
        var y = new Embedding(5, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, float.NaN]);
        AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { ["X_pca"] = x, ["X_scbatchprox"] = y },
            ["c0", "c1", "c2", "c3", "c4"], [batch, type], new Dictionary<string, string> { ["options"] = "{}" });

        var json = Python.Check("""
            import sys, json, anndata as ad, numpy as np
            a = ad.read_h5ad(sys.argv[1])
            np.save(sys.argv[2], a.obsm["X_pca"])
            print(json.dumps({
                "shape": list(a.shape), "names": list(a.obs_names), "columns": list(a.obs.columns),
                "dtypes": [str(a.obs[c].dtype) for c in a.obs.columns],
                "batch_categories": list(a.obs["batch"].cat.categories),
                "batch": [None if v != v else v for v in a.obs["batch"].tolist()],
                "type": [None if v != v else v for v in a.obs["cell_type"].tolist()],
                "type_categories": len(a.obs["cell_type"].cat.categories),
                "obsm": sorted(a.obsm), "nan": bool(np.isnan(a.obsm["X_scbatchprox"][4, 1])),
                "uns": a.uns["scbatchprox"]["options"]}))
            """, path, tmp.File("x.npy"));
        var r = JsonDocument.Parse(json).RootElement;
        Assert.Equal([5, 0], r.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["c0", "c1", "c2", "c3", "c4"], r.GetProperty("names").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(["batch", "cell_type"], r.GetProperty("columns").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(["category", "category"], r.GetProperty("dtypes").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(["a", "b", "c"], r.GetProperty("batch_categories").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(["b", "a", null, "b", "c"], r.GetProperty("batch").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["t000", "t199", "t005", "t005", null], r.GetProperty("type").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(200, r.GetProperty("type_categories").GetInt32());
        Assert.Equal(["X_pca", "X_scbatchprox"], r.GetProperty("obsm").EnumerateArray().Select(e => e.GetString()!));
        Assert.True(r.GetProperty("nan").GetBoolean());
        Assert.Equal("{}", r.GetProperty("uns").GetString());
        Bits.Equal(x, PlainEmbedding.Read(tmp.File("x.npy")).Embedding);

        using var back = AnnDataFile.Open(path);
        Assert.Equal(["c0", "c1", "c2", "c3", "c4"], back.ObsNames);
        Assert.Equal(batch.Codes, back.ReadObsColumn("batch").Codes);
        Bits.Equal(y, back.ReadObsm("X_scbatchprox"));
    }
}
