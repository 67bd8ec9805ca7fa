using System.CommandLine;
using ScBatchProx.Data;
using ScBatchProx.Core.Federation;
using ScBatchProx.Federation;

namespace ScBatchProx.Cli.Commands;

/// <summary><c>scbatchprox serve</c>: the coordinator of a federated refinement over gRPC (docs/protocol.md).</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Address to listen on: https://0.0.0.0:7443 (with --tls-cert/--tls-key), or http://127.0.0.1:7000 (plain HTTP only on loopback unless --insecure). Port 0 picks a free port.", Required = true };
        var clients = new Option<int>("--clients") { Description = "Number of clients (batches) to wait for before the run starts.", Required = true };
        var minClients = new Option<int?>("--min-clients") { Description = "A round continues while at least this many clients report; missing clients are carried forward. Default: all." };
        var roundTimeout = new Option<string>("--round-timeout") { Description = "A client that has not answered a round by then is dropped from that round (e.g. 60s, 2m).", DefaultValueFactory = _ => "60s" };
        var joinTimeout = new Option<string?>("--join-timeout") { Description = "Give up when not all --clients have joined within this time (default: wait forever)." };
        var tlsCert = new Option<FileInfo?>("--tls-cert") { Description = "Server certificate (PEM) for https://." };
        var tlsKey = new Option<FileInfo?>("--tls-key") { Description = "Private key (PEM) of --tls-cert." };
        var clientCa = new Option<FileInfo?>("--client-ca") { Description = "Require client certificates issued by this CA (PEM): mutual TLS." };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = "File holding a bearer token every client must send (authorization: Bearer ...)." };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP on a non-loopback address (only on an otherwise protected network)." };
        var modelOut = new Option<FileInfo?>("--model-out") { Description = "Write the global model (normalisation, shared adapter, prototypes, options) as JSON; no site's FiLM parameters." };
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Folder for the per-round checkpoint (checkpoint.json). Default: next to --model-out (MODEL.checkpoint.json)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint when it exists (same options and clients); the sites rejoin by themselves." };
        var method = new MethodOptions();
        var cmd = new Command("serve",
            "Coordinate a federated refinement: wait for --clients sites to join (one client per batch), run the rounds, and send every " +
            "client the final parameters. Only parameters and sums travel; cells never leave a site.")
        { listen, clients, minClients, roundTimeout, joinTimeout, tlsCert, tlsKey, clientCa, tokenFile, insecure, modelOut, checkpoint, resume };
        method.AddTo(cmd);
        cmd.SetAction((r, ct) => CommandGuard.Run(async () =>
        {
            var options = method.Read(r);
            string? token = r.GetValue(tokenFile) is FileInfo tf ? ReadToken(tf.FullName) : null;
            var model = r.GetValue(modelOut)?.FullName;
            string? cpFile = r.GetValue(checkpoint) is DirectoryInfo dir ? Path.Combine(dir.FullName, "checkpoint.json")
                : model != null ? model + ".checkpoint.json" : null;
            var settings = new ServerSettings
            {
                Listen = r.GetValue(listen)!, Clients = r.GetValue(clients), MinClients = r.GetValue(minClients),
                RoundTimeout = Durations.Parse(r.GetValue(roundTimeout)!, "--round-timeout"),
                JoinTimeout = r.GetValue(joinTimeout) is string jt ? Durations.Parse(jt, "--join-timeout") : null,
                TlsCert = r.GetValue(tlsCert)?.FullName, TlsKey = r.GetValue(tlsKey)?.FullName, ClientCa = r.GetValue(clientCa)?.FullName,
                Token = token, Insecure = r.GetValue(insecure), ModelOut = model, CheckpointFile = cpFile, Resume = r.GetValue(resume),
                Log = Log,
            };
            await using var host = await FederationHost.StartAsync(settings, options, ct);
            var result = await host.RunAsync(new LineProgress(), ct);
            Console.Out.WriteLine($"federated run complete: {result.Run.RoundsRun} round(s){(result.Run.Converged ? " (converged)" : "")}, {result.Elapsed.TotalSeconds:F1} s");
            foreach (var (id, shift) in result.Run.MeanShift.OrderBy(k => k.Key, StringComparer.Ordinal))
                Console.Out.WriteLine($"  {id}: mean shift {shift:G4}");
            foreach (var id in result.MissedFinal) Console.Out.WriteLine($"  {id}: did not collect the final parameters");
            return 0;
        }));
        return cmd;
    }

    internal static string ReadToken(string path)
    {
        if (!File.Exists(path)) throw new InputError($"{path}: token file not found.");
        var t = File.ReadAllText(path).Trim();
        if (t.Length == 0) throw new InputError($"{path}: the token file is empty.");
        return t;
    }

    internal static void Log(string line) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] {line}");

    sealed class LineProgress : IProgress<RoundProgress>
    {
        public void Report(RoundProgress p)
        {
            if (p.Stage == "round") Log($"round {p.Round}/{p.MaxRounds}: objective {p.Objective:G6}, prototype shift {p.PrototypeShift:G4}");
            else Log($"stage {p.Stage}");
        }
    }
}
