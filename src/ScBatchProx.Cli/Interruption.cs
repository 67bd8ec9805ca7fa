using System.Runtime.InteropServices;
using ScBatchProx.Data;

namespace ScBatchProx.Cli;

/// <summary>
/// The process's one handler of SIGINT (Ctrl-C) and SIGTERM. The first signal cancels
/// <see cref="Token"/>, which every command receives as its cancellation token, so the command
/// winds down through its ordinary cancellation path (a coordinator tells its sites and keeps its
/// checkpoint, a partly written output is removed) and the process exits with 128 + the signal
/// number, as a shell reports a process ended by that signal: 130 for SIGINT, 143 for SIGTERM. A
/// second signal ends the process at once, after removing the temporary files of writes under way.
/// </summary>
public static class Interruption
{
    static readonly CancellationTokenSource Source = new();
    static int _exitCode;

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public static CancellationToken Token => Source.Token;

    /// <summary>130 or 143 once a signal arrived, else null.</summary>
    public static int? ExitCode => Volatile.Read(ref _exitCode) is var code and not 0 ? code : null;

    /// <summary>Starts listening; dispose to stop.</summary>
    public static IDisposable Listen() => new Registrations(
        PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));

    static void OnSignal(PosixSignalContext context)
    {
        var (name, code) = context.Signal == PosixSignal.SIGINT ? ("SIGINT", 130) : ("SIGTERM", 143);
        if (Interlocked.CompareExchange(ref _exitCode, code, 0) != 0)
        {
            AtomicFile.DeletePending();   // the runtime's default action ends the process next
            return;
        }
        context.Cancel = true;
        Console.Error.WriteLine($"{name} received: stopping (a second signal quits at once)");
        // cancellation callbacks run on a pool thread, not on the runtime's signal thread
        _ = Task.Run(Source.Cancel);
    }

    sealed class Registrations(params PosixSignalRegistration[] all) : IDisposable
    {
        public void Dispose() { foreach (var r in all) r.Dispose(); }
    }
}
