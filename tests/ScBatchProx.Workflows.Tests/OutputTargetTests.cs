using ScBatchProx.Data;
using ScBatchProx.IO;

namespace ScBatchProx.Workflows.Tests;

/// <summary>Every output problem is found before any work, and a replaced file keeps its permissions.</summary>
public class OutputTargetTests
{
    static string Input(TempDir dir)
    {
        var path = dir.File("in.h5ad");
        AnnDataWriter.WriteNew(path, new Dictionary<string, Embedding> { ["X_pca"] = new Embedding(4, 2, [1, 2, 3, 4, 5, 6, 7, 8]) },
            ["a", "b", "c", "d"], [Categorical.FromStrings("batch", ["x", "x", "y", "y"])]);
        return path;
    }

    static InputError Refused(OutputTarget target, Dataset input) => Assert.Throws<InputError>(() => target.Resolve(input));

    [Fact]
    public void BadOutputsAreRefusedBeforeAnyWork()
    {
        using var dir = new TempDir();
        using var input = Dataset.Open(Input(dir));
        Assert.Equal(dir.File("in.scbatchprox.h5ad"), new OutputTarget().Resolve(input));
        Assert.Equal("Key", Refused(new OutputTarget { Key = "" }, input).Option);
        Assert.Equal("Key", Refused(new OutputTarget { Key = "a/b" }, input).Option);
        var overwrite = Refused(new OutputTarget { Key = "X_pca" }, input);
        Assert.Equal("OverwriteKey", overwrite.Option);
        Assert.Contains("obsm 'X_pca' already exists", overwrite.Message);
        Assert.Equal(dir.File("o.h5ad"), new OutputTarget { Key = "X_pca", OverwriteKey = true, Path = dir.File("o.h5ad") }.Resolve(input));
        Assert.Equal("InPlace", Refused(new OutputTarget { Path = input.Path }, input).Option);
        Assert.Contains("does not exist", Refused(new OutputTarget { Path = dir.File("missing/o.h5ad") }, input).Message);
        Assert.Contains(".h5ad output", Refused(new OutputTarget { Path = dir.File("o.csv") }, input).Message);
        Assert.Contains("is a folder", Refused(new OutputTarget { Path = dir.Path }, input).Message);
        // a folder nobody can write to, root included
        Assert.Contains("not writable", Refused(new OutputTarget { Path = "/proc/self/o.h5ad" }, input).Message);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));
    }

    [Fact, System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void InPlaceWritesIntoTheInputKeepsItsModeAndRefusesAReadOnlyInput()
    {
        using var dir = new TempDir();
        var path = Input(dir);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        using (var input = Dataset.Open(path))
        {
            var target = new OutputTarget { InPlace = true };
            Assert.Equal(path, target.Resolve(input));
            input.Save(path, target.Key, new Embedding(4, 2), new Dictionary<string, string> { ["command"] = "test" }, "X_pca");
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        using (var written = Dataset.Open(path)) Assert.Contains("X_scbatchprox", written.ObsmKeys);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        using var readOnly = Dataset.Open(path);
        Assert.Contains("read-only", Refused(new OutputTarget { InPlace = true, OverwriteKey = true }, readOnly).Message);
    }
}
