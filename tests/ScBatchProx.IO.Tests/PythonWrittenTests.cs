using ScBatchProx.Data;

namespace ScBatchProx.IO.Tests;

/// <summary>Files written by the real anndata (and, for the pre-0.8 layout, crafted with h5py) read back exactly.</summary>
public class PythonWrittenTests
{
    // Six cells: a categorical with a missing value and an unused category, a unique string column
    // (anndata keeps it as strings), int, bool and float (NaN) columns, float32/float64 obsm, plus
    // obsm entries our reader must reject (1-D, int32, wrong row count) added with h5py.
    const string MakeScript = """
        import sys, h5py, numpy as np, pandas as pd, anndata as ad
        path = sys.argv[1]
        obs = pd.DataFrame({
            "batch": pd.Categorical(["b", "a", None, "b", "c", "a"], categories=["c", "b", "a", "unused"]),
            "name": [f"s{i}" for i in range(6)],
            "count": np.array([3, -1, 0, 7, 3, 3], dtype=np.int64),
            "flag": np.array([True, False, True, True, False, False]),
            "score": np.array([0.5, np.nan, 1.25, 0.5, -2.0, 1e-3], dtype=np.float32),
        }, index=[f"cell{i}" for i in range(6)])
        rng = np.random.default_rng(1)
        a = ad.AnnData(obs=obs, obsm={"f32": rng.standard_normal((6, 3)).astype(np.float32), "f64": rng.standard_normal((6, 4))})
        a.write_h5ad(path)
        np.save(sys.argv[2], a.obsm["f32"])
        np.save(sys.argv[3], a.obsm["f64"].astype(np.float32))
        with h5py.File(path, "a") as f:
            f["obsm/bad1d"] = np.zeros(6)
            f["obsm/ints"] = np.zeros((6, 2), dtype=np.int32)
            f["obsm/short"] = np.zeros((5, 2), dtype=np.float32)
        """;

    [SkippableFact]
    public void Reads_every_column_kind_anndata_writes()
    {
        Python.RequireModules("anndata", "h5py");
        using var tmp = new TempDir();
        var path = tmp.File("py.h5ad");
        Python.Check(MakeScript, path, tmp.File("f32.npy"), tmp.File("f64.npy"));

        using var ad = AnnDataFile.Open(path);
        Assert.Equal(6, ad.NObs);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => "cell" + i), ad.ObsNames);
        Assert.Equal(["batch", "name", "count", "flag", "score"], ad.ObsColumns);
        AssertValues(ad.ReadObsColumn("batch"), ["b", "a", null, "b", "c", "a"], ["a", "b", "c"]);
        AssertValues(ad.ReadObsColumn("name"), ["s0", "s1", "s2", "s3", "s4", "s5"], ["s0", "s1", "s2", "s3", "s4", "s5"]);
        AssertValues(ad.ReadObsColumn("count"), ["3", "-1", "0", "7", "3", "3"], ["-1", "0", "3", "7"]);
        AssertValues(ad.ReadObsColumn("flag"), ["True", "False", "True", "True", "False", "False"], ["False", "True"]);
        AssertValues(ad.ReadObsColumn("score"), ["0.5", null, "1.25", "0.5", "-2", "0.001"], ["-2", "0.001", "0.5", "1.25"]);

        Assert.False(ad.ObsmIsFloat64("f32"));
        Assert.True(ad.ObsmIsFloat64("f64"));
        Bits.Equal(PlainEmbedding.Read(tmp.File("f32.npy")).Embedding, ad.ReadObsm("f32"));
        Bits.Equal(PlainEmbedding.Read(tmp.File("f64.npy")).Embedding, ad.ReadObsm("f64"));

        Assert.Contains("2-D", Assert.Throws<InputError>(() => ad.ReadObsm("bad1d")).Message);
        Assert.Contains("expected float32 or float64", Assert.Throws<InputError>(() => ad.ReadObsm("ints")).Message);
        var rows = Assert.Throws<InputError>(() => ad.ReadObsm("short")).Message;
        Assert.Contains("5 rows", rows);
        Assert.Contains("6 cells", rows);
    }

    /// <summary>
    /// anndata 0.7 stored a categorical as a codes dataset whose "categories" attribute references the
    /// category strings; older writers kept them in uns/NAME_categories, and some files have only
    /// obs/__categories/NAME. anndata 0.8 cannot write these, so they are made with h5py.
    /// </summary>
    [SkippableFact]
    public void Reads_and_copies_the_pre_0_8_categorical_layouts()
    {
        Python.RequireModules("h5py");
        using var tmp = new TempDir();
        var path = tmp.File("old.h5ad");
        Python.Check("""
            import sys, h5py, numpy as np
            s = h5py.string_dtype()
            with h5py.File(sys.argv[1], "w") as f:
                obs = f.create_group("obs")
                obs.attrs["_index"] = "_index"
                obs.attrs["column-order"] = np.array(["batch", "tissue", "donor"], dtype=object)
                obs.create_dataset("_index", data=np.array(["x", "y", "z"], dtype=object), dtype=s)
                cats = obs.create_group("__categories")
                cats.create_dataset("batch", data=np.array(["p", "q"], dtype=object), dtype=s)
                obs.create_dataset("batch", data=np.array([1, -1, 0], dtype=np.int8))
                obs["batch"].attrs["categories"] = cats["batch"].ref
                uns = f.create_group("uns")
                uns.create_dataset("tissue_categories", data=np.array(["lung", "gut"], dtype=object), dtype=s)
                obs.create_dataset("tissue", data=np.array([0, 0, 1], dtype=np.int16))
                obs["tissue"].attrs["categories"] = uns["tissue_categories"].ref
                cats.create_dataset("donor", data=np.array(["d1", "d2"], dtype=object), dtype=s)
                obs.create_dataset("donor", data=np.array([1, 1, 0], dtype=np.int32))
                f.create_group("obsm").create_dataset("X_pca", data=np.arange(6, dtype=np.float32).reshape(3, 2))
            """, path);

        using (var ad = AnnDataFile.Open(path))
        {
            AssertValues(ad.ReadObsColumn("batch"), ["q", null, "p"], ["p", "q"]);
            AssertValues(ad.ReadObsColumn("tissue"), ["lung", "lung", "gut"], ["gut", "lung"]);
            AssertValues(ad.ReadObsColumn("donor"), ["d2", "d2", "d1"], ["d1", "d2"]);
        }

        // obs/batch references obs/__categories/batch, written before it: copied as a reference.
        // obs/tissue references uns/tissue_categories, written after obs: PureHDF cannot write
        // that, so the copy is refused instead of writing a broken reference.
        var copy = tmp.File("copy.h5ad");
        var refused = Assert.Throws<InputError>(() => AnnDataWriter.WriteWithObsm(path, copy, "X_new", new Embedding(3, 1, [1, 2, 3]), false));
        Assert.Contains("stored later in the file", refused.Message);
        Assert.False(File.Exists(copy));
        Python.Check("""
            import sys, h5py
            with h5py.File(sys.argv[1], "a") as f:
                del f["obs/tissue"], f["uns/tissue_categories"]
                f["obs"].attrs["column-order"] = ["batch", "donor"]
            """, path);
        AnnDataWriter.WriteWithObsm(path, copy, "X_new", new Embedding(3, 1, [1, 2, 3]), false);
        using (var ad = AnnDataFile.Open(copy))
            AssertValues(ad.ReadObsColumn("batch"), ["q", null, "p"], ["p", "q"]);
        var deref = Python.Check("""
            import sys, h5py
            with h5py.File(sys.argv[1], "r") as f:
                print(",".join(f[f["obs/batch"].attrs["categories"]].asstr()[()]))
            """, copy);
        Assert.Equal("p,q", deref.Trim());
    }

    static void AssertValues(Categorical column, string?[] values, string[] categories)
    {
        Assert.Equal(categories, column.Categories);
        Assert.Equal(values, Enumerable.Range(0, column.Length).Select(column.ValueAt));
    }
}
