using ScBatchProx.Data;

namespace ScBatchProx.IO.Tests;

/// <summary>Bad inputs give an <see cref="InputError"/> that names the file, the key and the problem.</summary>
public class ErrorTests
{
    [Fact]
    public void Missing_file_is_named()
    {
        var path = Path.Combine(Path.GetTempPath(), "scbp-does-not-exist.h5ad");
        var e = Assert.Throws<InputError>(() => AnnDataFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Theory]
    [InlineData("this is not an HDF5 file\n")]
    [InlineData("")]
    public void Non_hdf5_file_is_reported_as_unreadable(string content)
    {
        using var tmp = new TempDir();
        var path = tmp.File("text.h5ad");
        File.WriteAllText(path, content);
        var e = Assert.Throws<InputError>(() => AnnDataFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("is not a readable HDF5/.h5ad file", e.Message);
    }

    [SkippableFact]
    public void Truncated_file_is_reported_as_unreadable()
    {
        var source = SharedData.Require("pbmc_symphony.h5ad");
        using var tmp = new TempDir();
        var path = tmp.File("half.h5ad");
        var bytes = File.ReadAllBytes(source);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InputError>(() =>
        {
            using var ad = AnnDataFile.Open(path);
            foreach (var key in ad.ObsmKeys) ad.ReadObsm(key);
            foreach (var column in ad.ObsColumns) ad.ReadObsColumn(column);
        });
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated or corrupt", e.Message);
    }

    [SkippableFact]
    public void Missing_obsm_key_and_obs_column_list_what_is_there()
    {
        var path = SharedData.Require("cell_lines_harmony.h5ad");
        using var ad = AnnDataFile.Open(path);
        var key = Assert.Throws<InputError>(() => ad.ReadObsm("X_umap")).Message;
        Assert.Contains(path, key);
        Assert.Contains("'X_umap'", key);
        Assert.Contains("X_harmony, X_pca", key);
        var column = Assert.Throws<InputError>(() => ad.ReadObsColumn("donor")).Message;
        Assert.Contains("'donor'", column);
        Assert.Contains("batch, cell_type, n_genes, percent_mito", column);
    }

    [SkippableFact]
    public void Failed_write_leaves_no_output_and_no_temporary_file()
    {
        var input = SharedData.Require("pbmc_symphony.h5ad");
        using var tmp = new TempDir();
        var output = tmp.File("out.h5ad");
        var e = Assert.Throws<InputError>(() => AnnDataWriter.WriteWithObsm(input, output, "X_new", new Embedding(10, 2), false));
        Assert.Contains("10 rows", e.Message);
        Assert.Contains("1200 cells", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void Atomic_write_that_throws_keeps_the_old_file_and_removes_the_temporary_one()
    {
        using var tmp = new TempDir();
        var path = tmp.File("out.csv");
        File.WriteAllText(path, "old");
        string? tempSeen = null;
        Assert.Throws<IOException>(() => AtomicFile.Write(path, temp =>
        {
            tempSeen = temp;
            File.WriteAllText(temp, "partial");
            throw new IOException("disk full");
        }));
        Assert.Equal(tmp.Path, Path.GetDirectoryName(tempSeen));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(tmp.Path));

        AtomicFile.Write(path, temp => File.WriteAllText(temp, "new"));
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void Output_folder_must_exist()
    {
        var path = Path.Combine(Path.GetTempPath(), "scbp-no-such-dir", "out.csv");
        var e = Assert.Throws<InputError>(() => PlainEmbedding.Write(path, new Embedding(1, 1)));
        Assert.Contains("does not exist", e.Message);
    }
}
