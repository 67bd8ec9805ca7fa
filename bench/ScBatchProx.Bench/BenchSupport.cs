using System.Diagnostics;

namespace ScBatchProx.Bench;

/// <summary>The value after <c>name</c> in a benchmark's arguments, or null.</summary>
static class BenchArgs
{
    public static string? Value(string[] args, string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
}

/// <summary>Debian's python3 (python3-anndata, python3-harmonypy), the baselines' interpreter.</summary>
static class Python
{
    const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs <c>python3 -c script args...</c>; exit code 127 when the interpreter is missing.</summary>
    public static (int Code, string Out, string Err) Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, err.Result);
        }
        catch (System.ComponentModel.Win32Exception e) { return (127, "", $"{Interpreter}: {e.Message}"); }
    }
}
