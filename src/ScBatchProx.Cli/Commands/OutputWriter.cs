using ScBatchProx.Data;
using ScBatchProx.Core.Model;
using ScBatchProx.IO;

namespace ScBatchProx.Cli.Commands;

/// <summary>Writes the refined embedding next to everything the input held; atomic (temporary file, then rename).</summary>
public static class OutputWriter
{
    public static void Write(LoadedInput input, string outPath, string key, Embedding refined, RefinementModel model)
    {
        if (InputLoader.IsAnnData(outPath))
        {
            var uns = new Dictionary<string, string>
            {
                ["key"] = key,
                ["embed_key"] = model.EmbedKey ?? "",
                ["batch_key"] = model.BatchKey ?? "",
                ["rounds_run"] = model.RoundsRun.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["options"] = model.Options.ToJson(),
            };
            if (input.IsAnnData)
                AnnDataWriter.WriteWithObsm(input.Path, outPath, key, refined, input.WasFloat64, uns);
            else
                AnnDataWriter.WriteNew(outPath, new Dictionary<string, Embedding> { [key] = refined }, ObsNames(input), [input.Batch], uns);
            return;
        }
        if (input.IsAnnData)
            throw new InputError($"{outPath}: an .h5ad input is written to an .h5ad output; use --out with the .h5ad extension.");
        PlainEmbedding.Write(outPath, refined, input.ObsNames);
    }

    static string[] ObsNames(LoadedInput input) =>
        input.ObsNames ?? Enumerable.Range(0, input.Embedding.Rows).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
