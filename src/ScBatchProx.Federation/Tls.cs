using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ScBatchProx.Data;

namespace ScBatchProx.Federation;

/// <summary>Certificate loading and checks shared by the server and the site client.</summary>
public static class Tls
{
    /// <summary>A certificate with its private key from PEM files.</summary>
    public static X509Certificate2 LoadPair(string certFile, string keyFile)
    {
        if (!File.Exists(certFile)) throw new InputError($"{certFile}: certificate file not found.");
        if (!File.Exists(keyFile)) throw new InputError($"{keyFile}: key file not found.");
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // re-import so the key is usable by SslStream on every platform
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InputError($"{certFile} / {keyFile}: not a PEM certificate and its matching key: {e.Message}", e);
        }
    }

    /// <summary>Every certificate of a PEM file (a CA bundle).</summary>
    public static X509Certificate2Collection LoadBundle(string file)
    {
        if (!File.Exists(file)) throw new InputError($"{file}: CA file not found.");
        var c = new X509Certificate2Collection();
        try { c.ImportFromPemFile(file); }
        catch (System.Security.Cryptography.CryptographicException e) { throw new InputError($"{file}: not a PEM certificate bundle: {e.Message}", e); }
        if (c.Count == 0) throw new InputError($"{file}: no certificate in the file.");
        return c;
    }

    /// <summary>Whether <paramref name="cert"/> chains to one of <paramref name="roots"/> (custom trust, no revocation check).</summary>
    public static bool ChainsTo(X509Certificate2 cert, X509Certificate2Collection roots, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        bool ok = chain.Build(cert);
        problem = ok ? "" : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("not issued by a trusted CA"));
        return ok;
    }

    /// <summary>Server-certificate check of a client: the system store, or the given CA bundle.</summary>
    public static RemoteCertificateValidationCallback ServerValidator(X509Certificate2Collection? ca, Action<string>? log) =>
        (_, cert, _, errors) =>
        {
            if (errors == SslPolicyErrors.None) return true;
            if (cert is null) { log?.Invoke("the server sent no certificate"); return false; }
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) { log?.Invoke($"the server certificate '{cert.Subject}' does not name this host"); return false; }
            if (ca is null) { log?.Invoke($"the server certificate '{cert.Subject}' is not trusted ({errors}); pass --ca with its CA"); return false; }
            var c2 = cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
            if (ChainsTo(c2, ca, out var why)) return true;
            log?.Invoke($"the server certificate '{cert.Subject}' is not issued by the given CA: {why}");
            return false;
        };

    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>Durations on the command line: "60s", "2m", "500ms", "1h", or plain seconds.</summary>
public static class Durations
{
    public static TimeSpan Parse(string text, string option)
    {
        var t = text.Trim().ToLowerInvariant();
        (string num, double unit) = t.EndsWith("ms") ? (t[..^2], 0.001) : t.EndsWith('s') ? (t[..^1], 1.0) : t.EndsWith('m') ? (t[..^1], 60.0)
            : t.EndsWith('h') ? (t[..^1], 3600.0) : (t, 1.0);
        if (!double.TryParse(num, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || !(v > 0) || double.IsInfinity(v))
            throw new ArgumentException($"{option}: '{text}' is not a positive duration (e.g. 60s, 2m, 500ms).");
        return TimeSpan.FromSeconds(v * unit);
    }

    /// <summary>The way <see cref="Parse"/> reads it, for messages: "500 ms", "30 s", "2 min", "1.5 h".</summary>
    public static string Format(TimeSpan t) =>
        t.TotalSeconds < 1 ? FormattableString.Invariant($"{t.TotalMilliseconds:0} ms")
        : t.TotalMinutes < 2 ? FormattableString.Invariant($"{t.TotalSeconds:0.#} s")
        : t.TotalHours < 2 ? FormattableString.Invariant($"{t.TotalMinutes:0.#} min")
        : FormattableString.Invariant($"{t.TotalHours:0.#} h");
}
