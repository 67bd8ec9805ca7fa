using System.CommandLine;
using ScBatchProx.Federation;
using ScBatchProx.Workflows;

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
        var cells = new CellOptions();
        var server = new Option<string>("--server") { Description = "The coordinator, e.g. https://coordinator.example.org:7443 (plain http:// only to loopback unless --insecure).", Required = true };
        var batches = new Option<string?>("--batches") { Description = "Comma-separated batches this site contributes (default: every batch in IN). Each batch is its own client; the batch name is its client id." };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = "File holding the bearer token the server expects." };
        var ca = new Option<FileInfo?>("--ca") { Description = "CA (PEM) that issued the server certificate (default: the system trust store)." };
        var cert = new Option<FileInfo?>("--cert") { Description = "Client certificate (PEM) for mutual TLS." };
        var certKey = new Option<FileInfo?>("--cert-key") { Description = "Private key (PEM) of --cert." };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP to a non-loopback server." };
        var connectFor = new Option<string>("--connect-for") { Description = "Give up when the server cannot be reached at all for this long (e.g. 30s, 5m).", DefaultValueFactory = _ => "30s" };
        var retryFor = new Option<string>("--retry-for") { Description = "Once the server has been reached: keep reconnecting this long after losing it (e.g. 2m).", DefaultValueFactory = _ => "2m" };
        var modelOut = new Option<FileInfo?>("--model-out") { Description = "Write the site's model (the global part plus this site's FiLM parameters)." };
        var cmd = new Command("join",
            "Join a federated refinement run by 'scbatchprox serve'. Each selected batch is a client; cells never leave this machine. " +
            "Rows of the site's batches are replaced by their refined values under --key; rows of other batches in IN keep their input values.")
        { server, batches, tokenFile, ca, cert, certKey, insecure, connectFor, retryFor, modelOut };
        cells.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            if (!Uri.TryCreate(r.GetValue(server)!, UriKind.Absolute, out var url)) throw new ArgumentException($"--server: '{r.GetValue(server)}' is not a URL.");
            var job = new SiteJob
            {
                Input = cells.Source(r), Output = cells.Output(r), ModelOut = r.GetValue(modelOut)?.FullName,
                Batches = r.GetValue(batches)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Connection = new SiteSettings
                {
                    Server = url, Token = r.GetValue(tokenFile) is FileInfo tf ? ServeCommand.ReadToken(tf.FullName) : null,
                    CaFile = r.GetValue(ca)?.FullName, CertFile = r.GetValue(cert)?.FullName, KeyFile = r.GetValue(certKey)?.FullName,
                    Insecure = r.GetValue(insecure), ConnectFor = Durations.Parse(r.GetValue(connectFor)!, "--connect-for"),
                    RetryFor = Durations.Parse(r.GetValue(retryFor)!, "--retry-for"), Log = ServeCommand.Log,
                },
            };
            var outcome = await SiteWorkflow.RunAsync(job, ServeCommand.Log, ct);
            Console.Out.WriteLine($"wrote {outcome.OutputPath} (obsm '{job.Output.Key}'): refined {string.Join(", ", outcome.Clients.Select(x => $"{x.ClientId} (mean shift {x.MeanShift:G4})"))}" +
                (outcome.OtherBatches.Count > 0 ? $"; rows of {string.Join(", ", outcome.OtherBatches)} keep their input values" : ""));
            return 0;
        }));
        return cmd;
    }
}
