using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace ScBatchProx.TestSupport;

/// <summary>A CLI process (dotnet scbatchprox.dll ...) with its output collected; killed (by id) on dispose.</summary>
public sealed class CliProcess : IDisposable
{
    readonly Process _p;
    readonly ConcurrentQueue<string> _lines = new();
    public string Name { get; }

    public CliProcess(string name, params string[] args) : this(name, Path.Combine(AppContext.BaseDirectory, "scbatchprox.dll"), null, args) { }

    /// <summary>Any .NET program next to the tests, started in <paramref name="workingDirectory"/> (null: the current one).</summary>
    CliProcess(string name, string dll, string? workingDirectory, string[] args)
    {
        Name = name;
        if (!File.Exists(dll)) throw new FileNotFoundException("the program is not next to the tests", dll);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _p.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue(e.Data); };
        _p.Start();
        _p.BeginOutputReadLine(); _p.BeginErrorReadLine();
    }

    public string Output => string.Join("\n", _lines);
    public bool HasExited => _p.HasExited;

    /// <summary>Waits (bounded) for an output line matching the pattern and returns the match.</summary>
    public Match WaitForLine(string pattern, TimeSpan timeout)
    {
        var re = new Regex(pattern);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            foreach (var l in _lines) { var m = re.Match(l); if (m.Success) return m; }
            if (_p.HasExited) { Thread.Sleep(200); foreach (var l in _lines) { var m = re.Match(l); if (m.Success) return m; } break; }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"{Name}: no line matching '{pattern}' within {timeout}; output:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"{Name} did not exit within {timeout}; output:\n{Output}"); }
        _p.WaitForExit();
        return _p.ExitCode;
    }

    /// <summary>Sends a POSIX signal (2 = SIGINT, 15 = SIGTERM) to the process, as Ctrl-C or a supervisor would.</summary>
    public void Signal(int signal)
    {
        if (kill(_p.Id, signal) != 0) throw new InvalidOperationException($"{Name}: kill({_p.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// Whether this process ignores <paramref name="signal"/> (a shell starts background jobs with
    /// SIGINT ignored); the processes it starts inherit that and never see the signal.
    /// </summary>
    public static bool Ignores(int signal)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line != null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    public void Kill() { try { if (!_p.HasExited) _p.Kill(entireProcessTree: true); _p.WaitForExit(10_000); } catch (InvalidOperationException) { } }

    public void Dispose() { Kill(); _p.Dispose(); }

    /// <summary>Runs the CLI to completion (bounded by <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var p = new CliProcess("scbatchprox " + string.Join(' ', args.Take(2)), args);
        int exit = await p.WaitForExitAsync(timeout);
        return (exit, p.Output);
    }

    /// <summary>Runs <paramref name="dll"/> in <paramref name="workingDirectory"/> to completion and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Output)> RunDllAsync(string dll, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        using var p = new CliProcess(Path.GetFileName(dll), dll, workingDirectory, args);
        int exit = await p.WaitForExitAsync(timeout);
        return (exit, p.Output);
    }
}

