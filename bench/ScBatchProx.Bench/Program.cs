using ScBatchProx.Bench;

// Benchmark dispatcher: `dotnet run -c Release --project bench/ScBatchProx.Bench -- <name> [options]`.
// Add a case per benchmark class (each exposes `static int Run(string[] args)`).
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: ScBatchProx.Bench <neighbors|federation|metrics|refine|harmony-again|report> [options]");
    return 2;
}
var rest = args[1..];
switch (args[0])
{
    case "neighbors": return NeighborsBench.Run(rest);
    case "federation": return FederationBench.Run(rest);
    case "metrics": return MetricsBench.Run(rest);
    case "refine": return RefineBench.Run(rest);
    case "harmony-again": return HarmonyAgainBench.Run(rest);
    case "report": return ReportBench.Run(rest);
    case "classify": return ClassifyBench.Run(rest);
    case "atlas": return AtlasBench.Run(rest);
    default:
        Console.Error.WriteLine($"unknown benchmark '{args[0]}'; known: neighbors, federation, metrics, refine, harmony-again, report, classify, atlas");
        return 2;
}
