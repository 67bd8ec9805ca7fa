using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ScBatchProx.Federation.Tests;

/// <summary>
/// A TCP relay on loopback between one site and the server: the site connects to <see cref="Port"/>,
/// the relay forwards to the server's port. <see cref="Cut"/> resets every connection through it,
/// as a network fault would; the relay keeps accepting, so the site can reconnect.
/// </summary>
public sealed class LoopbackRelay : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly int _server;
    readonly ConcurrentDictionary<Socket, byte> _open = new();
    readonly CancellationTokenSource _stop = new();

    public LoopbackRelay(int serverPort)
    {
        _server = serverPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }
    /// <summary>Cuts that reset at least one open connection.</summary>
    public int Cuts { get; private set; }

    async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket site;
            try { site = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = RelayAsync(site);
        }
    }

    async Task RelayAsync(Socket site)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[site] = 0; _open[server] = 0;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _server, _stop.Token);   // a server that is down: the site sees its connection close
            await Task.WhenAny(PumpAsync(site, server), PumpAsync(server, site));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            _open.TryRemove(site, out _); _open.TryRemove(server, out _);
            site.Dispose();
        }
    }

    static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0) await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    /// <summary>Resets both ends of every open connection; counted in <see cref="Cuts"/> when there was one.</summary>
    public void Cut()
    {
        if (ResetAll() > 0) Cuts++;
    }

    int ResetAll()
    {
        int reset = 0;
        foreach (var s in _open.Keys)
        {
            try { s.LingerState = new LingerOption(true, 0); s.Close(); reset++; }   // linger 0: an RST, not an orderly close
            catch (ObjectDisposedException) { }
        }
        return reset;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        ResetAll();
    }
}
