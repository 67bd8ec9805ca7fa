using System.CommandLine;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>--kmeans-seeds N</c>, shared by <c>evaluate</c> and <c>benchmark</c>.</summary>
static class KMeansSeedsOption
{
    public static Option<int> Create() => new("--kmeans-seeds")
    {
        Description = "Score KMeans NMI/ARI as the mean over this many k-means seeds (0..N-1). 1 = scib-metrics' single " +
                      "initialisation; more average out initialisations that merge two labels.",
        DefaultValueFactory = _ => 1,
    };

    public static int Read(ParseResult r, Option<int> option)
    {
        int n = r.GetValue(option);
        if (n < 1) throw new ArgumentException($"--kmeans-seeds must be at least 1 (got {n}).");
        return n;
    }
}
