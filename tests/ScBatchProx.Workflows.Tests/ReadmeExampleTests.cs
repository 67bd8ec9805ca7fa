namespace ScBatchProx.Workflows.Tests;

/// <summary>The README's C# example is examples/ReadmeExample/Program.cs, word for word, and it runs.</summary>
public class ReadmeExampleTests
{
    static string Repo => SharedData.RepoRoot ?? throw new InvalidOperationException("the tests are not inside the repository");

    [Fact]
    public void TheReadmeShowsExactlyTheExampleProgram()
    {
        var readme = File.ReadAllText(Path.Combine(Repo, "README.md")).Replace("\r\n", "\n");
        var program = File.ReadAllText(Path.Combine(Repo, "examples", "ReadmeExample", "Program.cs")).Replace("\r\n", "\n");
        Assert.Contains("```csharp\n" + program.TrimEnd('\n') + "\n```", readme);
    }

    [SkippableFact]
    public async Task TheExampleRunsOnTheSharedData()
    {
        var pbmc = SharedData.Require("pbmc_symphony.h5ad");
        using var dir = new TempDir();
        File.Copy(pbmc, dir.File("pbmc.h5ad"));
        var dll = Path.Combine(AppContext.BaseDirectory, "ReadmeExample.dll");
        var (exit, output) = await CliProcess.RunDllAsync(dll, dir.Path, TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, output);
        Assert.Contains("the saved model reproduces the output: True", output);
        Assert.True(File.Exists(dir.File("pbmc.refined.h5ad")) && File.Exists(dir.File("pbmc.model.json")));
        using var refined = IO.Dataset.Open(dir.File("pbmc.refined.h5ad"));
        Assert.Equal(["command"], refined.RunRecord.Keys);
        Assert.Equal(1200, refined.Obsm("X_scbatchprox").Rows);
    }
}
