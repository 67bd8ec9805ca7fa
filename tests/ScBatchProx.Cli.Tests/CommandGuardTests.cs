using System.Text.RegularExpressions;
using ScBatchProx.Cli.Commands;

namespace ScBatchProx.Cli.Tests;

public class CommandGuardTests
{
    static Exception Thrown(Exception e) { try { throw e; } catch (Exception caught) { return caught; } }

    [Fact]
    public async Task AnInternalErrorIsOneLineNamingTheFileThatHoldsItsStack()
    {
        var captured = new StringWriter();
        var stderr = Console.Error;
        Console.SetError(captured);
        int exit;
        try { exit = await CommandGuard.Run(() => Task.FromException<int>(Thrown(new NullReferenceException("boom")))); }
        finally { Console.SetError(stderr); }

        Assert.Equal(1, exit);
        var m = Regex.Match(captured.ToString(), @"\Aerror: internal error: boom \(details in (\S+)\)\r?\n\z");
        Assert.True(m.Success, captured.ToString());
        var details = File.ReadAllText(m.Groups[1].Value);
        File.Delete(m.Groups[1].Value);
        Assert.StartsWith(Path.GetTempPath(), m.Groups[1].Value);
        Assert.Contains("System.NullReferenceException: boom", details);
        Assert.Contains($"at {typeof(CommandGuardTests).FullName}.{nameof(Thrown)}", details);
    }
}
