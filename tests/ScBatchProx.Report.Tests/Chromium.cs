using System.Diagnostics;

namespace ScBatchProx.Report.Tests;

/// <summary>
/// Debian's headless Chromium (/usr/bin/chromium), run with sandbox, GPU, background networking,
/// component updates and sync off and a fresh profile per call; the test skips when it is absent.
/// </summary>
static class Chromium
{
    public const string Binary = "/usr/bin/chromium";

    public static void Require() =>
        Skip.IfNot(File.Exists(Binary), $"{Binary} is absent (Debian package 'chromium'; .ci/run installs it); skipping the browser test.");

    /// <summary>The DOM after the page's scripts ran (virtual time lets load handlers finish).</summary>
    public static string DumpDom(string htmlPath, string scratch) => Run(scratch, "--virtual-time-budget=10000", "--dump-dom", new Uri(htmlPath).AbsoluteUri);

    /// <summary>A PNG screenshot of the page at the given window size.</summary>
    public static void Screenshot(string htmlPath, string pngPath, string scratch, int width, int height) =>
        Run(scratch, "--hide-scrollbars", $"--window-size={width},{height}", "--virtual-time-budget=10000", $"--screenshot={pngPath}", new Uri(htmlPath).AbsoluteUri);

    static string Run(string scratch, params string[] args)
    {
        var profile = Path.Combine(scratch, "profile-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--no-default-browser-check", $"--user-data-dir={profile}" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within 2 minutes: {stderr.Result}");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"chromium exited with {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
