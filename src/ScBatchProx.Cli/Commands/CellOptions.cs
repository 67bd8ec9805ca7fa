using System.CommandLine;
using ScBatchProx.Workflows;

namespace ScBatchProx.Cli.Commands;

/// <summary>The input and output options every command that writes a refined embedding shares.</summary>
public sealed class CellOptions
{
    readonly Argument<FileInfo> _input = new("IN") { Description = "Input .h5ad (AnnData), or a plain embedding .csv/.tsv/.npy together with --batch-file." };
    readonly Option<string?> _embed;
    readonly Option<string?> _batch;
    readonly Option<FileInfo?> _batchFile = new("--batch-file") { Description = "For plain embeddings: a file with one batch label per cell (or a csv/tsv with a header and the --batch column)." };
    readonly Option<FileInfo?> _output = new("--out") { Description = "Output file (default: IN with '.scbatchprox' before the extension). Never the input unless --in-place." };
    readonly Option<string> _key = new("--key") { Description = "obsm key the refined embedding is written to.", DefaultValueFactory = _ => OutputTarget.DefaultKey };
    readonly Option<bool> _inPlace = new("--in-place") { Description = "Write into the input file (replaced atomically, its permissions kept; a read-only input is refused)." };
    readonly Option<bool> _overwriteKey = new("--overwrite-key") { Description = "Allow --key to replace an obsm entry the input already has." };

    /// <param name="keysFromModel">The keys default to the model's own (apply, extend) rather than X_pca and batch.</param>
    public CellOptions(bool keysFromModel = false)
    {
        string from = keysFromModel ? "the key the model was trained on" : CellSource.DefaultEmbedKey;
        _embed = new("--embed") { Description = $"obsm key of the embedding, e.g. X_pca, X_scVI, X_harmony (default: {from})." };
        _batch = new("--batch") { Description = $"obs column holding the batch of each cell (default: {(keysFromModel ? "the model's" : CellSource.DefaultBatchKey)}); for --batch-file: its column, if it has a header." };
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(_input);
        foreach (var o in new Option[] { _embed, _batch, _batchFile, _output, _key, _inPlace, _overwriteKey }) command.Options.Add(o);
    }

    public CellSource Source(ParseResult r) =>
        new(r.GetValue(_input)!.FullName, r.GetValue(_embed), r.GetValue(_batch), r.GetValue(_batchFile)?.FullName);

    public OutputTarget Output(ParseResult r) => new()
    {
        Path = r.GetValue(_output)?.FullName, Key = r.GetValue(_key)!, InPlace = r.GetValue(_inPlace), OverwriteKey = r.GetValue(_overwriteKey),
    };
}
