using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

// process tests use real time-outs: do not let test classes compete for the (few) cores
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ScBatchProx.Federation.Tests;

/// <summary>Self-signed CAs and the certificates they issue, written as PEM files.</summary>
public static class TestCerts
{
    public static X509Certificate2 Ca(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A leaf issued by <paramref name="ca"/>, for a server (SAN 127.0.0.1, localhost) or a client.</summary>
    public static X509Certificate2 Leaf(X509Certificate2 ca, string name, bool server)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback); san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(12);
        var cert = req.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(10), serial);
        return cert.CopyWithPrivateKey(key);
    }

    public static (string Cert, string Key) WritePem(X509Certificate2 c, string dir, string name)
    {
        string cert = Path.Combine(dir, name + ".crt"), key = Path.Combine(dir, name + ".key");
        File.WriteAllText(cert, c.ExportCertificatePem());
        File.WriteAllText(key, c.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }
}

/// <summary>
/// The certificates of a mutual-TLS run as PEM files: a server CA and the server's certificate
/// (127.0.0.1, localhost), a client CA and a site's certificate, and a rogue CA with an intruder's.
/// </summary>
public sealed record TestPki(string ServerCert, string ServerKey, string ServerCa, string ClientCa, string RogueCa,
    X509Certificate2 Client, string ClientCert, string ClientKey, string RogueCert, string RogueKey)
{
    public static TestPki Write(string dir)
    {
        var serverCa = TestCerts.Ca("test server CA");
        var clientCa = TestCerts.Ca("test client CA");
        var rogueCa = TestCerts.Ca("rogue CA");
        var (serverCrt, serverKey) = TestCerts.WritePem(TestCerts.Leaf(serverCa, "coordinator", server: true), dir, "server");
        string CaFile(X509Certificate2 ca, string name) { var f = Path.Combine(dir, name); File.WriteAllText(f, ca.ExportCertificatePem()); return f; }
        var client = TestCerts.Leaf(clientCa, "site", server: false);
        var (clientCrt, clientKey) = TestCerts.WritePem(client, dir, "client");
        var (rogueCrt, rogueKey) = TestCerts.WritePem(TestCerts.Leaf(rogueCa, "intruder", server: false), dir, "rogue");
        return new(serverCrt, serverKey, CaFile(serverCa, "server-ca.pem"), CaFile(clientCa, "client-ca.pem"), CaFile(rogueCa, "rogue-ca.pem"),
            client, clientCrt, clientKey, rogueCrt, rogueKey);
    }
}
