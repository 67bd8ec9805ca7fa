using System.Globalization;
using ScBatchProx.Core.Model;

namespace ScBatchProx.Workflows;

/// <summary>What a run leaves under uns/scbatchprox of its output: the command, keys, options and tool version.</summary>
public static class RunRecord
{
    public static Dictionary<string, string> Of(string command, RefinementModel model, string outputKey, params (string Key, string Value)[] extra)
    {
        var record = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["command"] = command,
            ["tool_version"] = RefinementModel.CurrentToolVersion,
            ["key"] = outputKey,
            ["embed_key"] = model.EmbedKey ?? "",
            ["batch_key"] = model.BatchKey ?? "",
            ["rounds_run"] = model.RoundsRun.ToString(CultureInfo.InvariantCulture),
            ["options"] = model.Options.ToJson(),
        };
        foreach (var (k, v) in extra) record[k] = v;
        return record;
    }
}
