using System.CommandLine;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>--threads N</c>: worker threads; results never depend on it.</summary>
static class ThreadsOption
{
    public static Option<int> Create(string description) =>
        new("--threads") { Description = description, DefaultValueFactory = _ => Environment.ProcessorCount };

    public static int Read(ParseResult r, Option<int> option)
    {
        int n = r.GetValue(option);
        if (n < 1) throw new ArgumentException($"--threads must be at least 1 (got {n}).");
        return n;
    }
}
