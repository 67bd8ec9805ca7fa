using System.CommandLine;
using ScBatchProx.Data;
using ScBatchProx.Core.Federation;
using ScBatchProx.Core.Model;
using ScBatchProx.Federation;
using ScBatchProx.IO;

namespace ScBatchProx.Cli.Commands;

/// <summary>
/// <c>scbatchprox join</c>: a site takes part in a federated refinement with its own data. Each of
/// its batches is its own client. Only counts, parameters and sums leave the site; the refined
/// embedding is written only here.
/// </summary>
public static class JoinCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("IN") { Description = "The site's .h5ad (AnnData), or a plain embedding .csv/.tsv/.npy together with --batch-file." };
        var server = new Option<string>("--server") { Description = "The coordinator, e.g. https://coordinator.example.org:7443 (plain http:// only to loopback unless --insecure).", Required = true };
        var embed = new Option<string>("--embed") { Description = "obsm key of the embedding to refine.", DefaultValueFactory = _ => "X_pca" };
        var batch = new Option<string>("--batch") { Description = "obs column holding the batch of each cell.", DefaultValueFactory = _ => "batch" };
        var batchFile = new Option<FileInfo?>("--batch-file") { Description = "For plain embeddings: one batch label per cell." };
        var batches = new Option<string?>("--batches") { Description = "Comma-separated batches this site contributes (default: every batch in IN). Each batch is its own client; the batch name is its client id." };
        var output = new Option<FileInfo?>("--out") { Description = "Output file (default: IN with '.scbatchprox' before the extension)." };
        var key = new Option<string>("--key") { Description = "obsm key the refined embedding is written to.", DefaultValueFactory = _ => "X_scbatchprox" };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = "File holding the bearer token the server expects." };
        var ca = new Option<FileInfo?>("--ca") { Description = "CA (PEM) that issued the server certificate (default: the system trust store)." };
        var cert = new Option<FileInfo?>("--cert") { Description = "Client certificate (PEM) for mutual TLS." };
        var certKey = new Option<FileInfo?>("--cert-key") { Description = "Private key (PEM) of --cert." };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP to a non-loopback server." };
        var retryFor = new Option<string>("--retry-for") { Description = "Keep reconnecting this long when the server is unreachable (e.g. 2m).", DefaultValueFactory = _ => "2m" };
        var modelOut = new Option<FileInfo?>("--model-out") { Description = "Write the site's model (global part plus this site's FiLM parameters) as JSON." };
        var cmd = new Command("join",
            "Join a federated refinement run by 'scbatchprox serve'. Each selected batch is a client; cells never leave this machine. " +
            "Rows of the site's batches are replaced by their refined values under --key; rows of other batches in IN keep their input values.")
        { input, server, embed, batch, batchFile, batches, output, key, tokenFile, ca, cert, certKey, insecure, retryFor, modelOut };
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var inFile = r.GetValue(input)!;
            if (!Uri.TryCreate(r.GetValue(server)!, UriKind.Absolute, out var url)) throw new ArgumentException($"--server: '{r.GetValue(server)}' is not a URL.");
            var outFile = r.GetValue(output) ?? new FileInfo(Path.Combine(inFile.DirectoryName ?? ".", Path.GetFileNameWithoutExtension(inFile.Name) + ".scbatchprox" + inFile.Extension));
            if (string.Equals(Path.GetFullPath(inFile.FullName), outFile.FullName, StringComparison.Ordinal))
                throw new InputError($"{outFile.FullName}: the output is the input file; choose --out.");
            var data = InputLoader.Load(inFile.FullName, r.GetValue(embed)!, r.GetValue(batch)!, r.GetValue(batchFile)?.FullName);
            var (chosen, rowsOf) = SelectBatches(data, r.GetValue(batches), inFile.FullName);
            var settings = new SiteSettings
            {
                Server = url, Token = r.GetValue(tokenFile) is FileInfo tf ? ServeCommand.ReadToken(tf.FullName) : null,
                CaFile = r.GetValue(ca)?.FullName, CertFile = r.GetValue(cert)?.FullName, KeyFile = r.GetValue(certKey)?.FullName,
                Insecure = r.GetValue(insecure), RetryFor = Durations.Parse(r.GetValue(retryFor)!, "--retry-for"), Log = ServeCommand.Log,
            };
            var sites = chosen.Select(b => new SiteClient(new BatchClient(b, data.Embedding.SelectRows(rowsOf[b].ToArray())), settings)).ToList();
            SiteResult[] results;
            try
            {
                ServeCommand.Log($"joining {url} with {sites.Count} client(s): {string.Join(", ", chosen.Select(b => $"{b} ({rowsOf[b].Count} cells)"))}");
                results = await Task.WhenAll(sites.Select(s => s.RunAsync(ct)));
            }
            catch (FederationException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
            finally { foreach (var s in sites) s.Dispose(); }

            // rows of the site's batches are refined; every other row keeps its (finite) input value
            var refined = data.Embedding.Clone();
            foreach (var res in results)
            {
                var rows = rowsOf[res.ClientId];
                for (int i = 0; i < rows.Count; i++) res.Refined.RowReadOnly(i).CopyTo(refined.Row(rows[i]));
            }
            var model = SiteModel(results, r.GetValue(embed)!, data.Batch.Name);
            Write(data, outFile.FullName, r.GetValue(key)!, refined, model, chosen);
            if (r.GetValue(modelOut) is FileInfo mf)
            {
                var tmp = Path.Combine(mf.DirectoryName ?? ".", "." + mf.Name + "." + Environment.ProcessId + ".tmp");
                File.WriteAllText(tmp, model.ToJson());
                File.Move(tmp, mf.FullName, overwrite: true);
            }
            var others = data.Batch.Categories.Where((c, i) => data.Batch.Counts()[i] > 0 && !chosen.Contains(c)).ToList();
            Console.Out.WriteLine($"wrote {outFile.FullName} (obsm '{r.GetValue(key)}'): refined {string.Join(", ", results.Select(x => $"{x.ClientId} (mean shift {x.MeanShift:G4})"))}" +
                (others.Count > 0 ? $"; rows of {string.Join(", ", others)} keep their input values" : ""));
            return 0;
        }));
        return cmd;
    }

    static (List<string> Chosen, Dictionary<string, List<int>> RowsOf) SelectBatches(LoadedInput data, string? list, string source)
    {
        var b = data.Batch;
        var rowsOf = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < b.Length; i++)
        {
            var v = b.ValueAt(i);
            if (v is null) continue;
            if (!rowsOf.TryGetValue(v, out var rows)) rowsOf[v] = rows = [];
            rows.Add(i);
        }
        List<string> chosen;
        if (string.IsNullOrWhiteSpace(list)) chosen = rowsOf.Keys.Order(StringComparer.Ordinal).ToList();
        else
        {
            chosen = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            foreach (var c in chosen)
                if (!rowsOf.ContainsKey(c))
                    throw new InputError($"{source}: batch '{c}' (--batches) is not in column '{b.Name}'; it has {string.Join(", ", rowsOf.Keys.Order(StringComparer.Ordinal).Take(20))}.");
        }
        if (chosen.Count == 0) throw new InputError($"{source}: no batch to contribute.");
        foreach (var c in chosen)
            if (rowsOf[c].Count < 2) throw new InputError($"{source}: batch '{c}' has {rowsOf[c].Count} cell; every batch needs at least 2.");
        var bad = data.Embedding.NonFiniteRows();
        if (bad.Count > 0)
            throw new InputError($"{source}: the embedding has NaN or Inf values in {bad.Count} row(s), first rows (0-based): {string.Join(", ", bad.Take(10))}.");
        return (chosen, rowsOf);
    }

    static readonly System.Text.Json.JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The input with the refined key added (atomic); a record of the federated run under uns/scbatchprox.</summary>
    static void Write(LoadedInput input, string outPath, string key, Embedding refined, RefinementModel model, List<string> batches)
    {
        var uns = new Dictionary<string, string>
        {
            ["key"] = key,
            ["embed_key"] = model.EmbedKey ?? "",
            ["batch_key"] = model.BatchKey ?? "",
            ["rounds_run"] = model.RoundsRun.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["options"] = System.Text.Json.JsonSerializer.Serialize(model.Options, Json),
            ["federated_batches"] = string.Join(",", batches),
        };
        if (InputLoader.IsAnnData(outPath))
        {
            if (input.IsAnnData) AnnDataWriter.WriteWithObsm(input.Path, outPath, key, refined, input.WasFloat64, uns);
            else AnnDataWriter.WriteNew(outPath, new Dictionary<string, Embedding> { [key] = refined },
                input.ObsNames ?? Enumerable.Range(0, refined.Rows).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), [input.Batch], uns);
            return;
        }
        if (input.IsAnnData) throw new InputError($"{outPath}: an .h5ad input is written to an .h5ad output; use --out with the .h5ad extension.");
        PlainEmbedding.Write(outPath, refined, input.ObsNames);
    }

    static RefinementModel SiteModel(SiteResult[] results, string embedKey, string batchKey)
    {
        var first = results.Select(r => r.Model).FirstOrDefault(m => m != null);
        var batches = results.SelectMany(r => r.Model?.Batches ?? []).ToList();
        return first is null
            ? new RefinementModel
            {
                Options = new(), Dim = results[0].Refined.Cols, Mean = [], Scale = 1, Theta = [], Prototypes = [], Masses = [],
                RoundsRun = 0, Batches = batches, EmbedKey = embedKey, BatchKey = batchKey,
            }
            : first with { Batches = batches, EmbedKey = embedKey, BatchKey = batchKey };
    }
}
