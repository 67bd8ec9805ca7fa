using Grpc.Core;
using P = ScBatchProx.Federation.Protocol;

namespace ScBatchProx.Federation;

/// <summary>The gRPC service: admits a client's session and hands its updates to its <see cref="RemoteChannel"/>.</summary>
internal sealed class FederationService(ClientRegistry registry, ServerLog log) : P.Federation.FederationBase
{
    public override async Task Session(IAsyncStreamReader<P.ClientMessage> requests, IServerStreamWriter<P.ServerMessage> responses, ServerCallContext context)
    {
        if (!await requests.MoveNext(context.CancellationToken)) return;
        var join = requests.Current.Join;
        if (join is null || string.IsNullOrWhiteSpace(join.ClientId))
        {
            log.Write($"refused session from {context.Peer}: the first message must be a Join with a client id");
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message of a session must be a Join with a client id"));
        }
        if (join.Protocol != ProtoMap.ProtocolVersion)
        {
            log.Write($"refused session of '{join.ClientId}' from {context.Peer}: protocol '{join.Protocol}', server speaks '{ProtoMap.ProtocolVersion}'");
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"protocol '{join.Protocol}' is not supported; the server speaks '{ProtoMap.ProtocolVersion}'"));
        }
        RemoteChannel channel;
        try { channel = registry.Admit(join.ClientId); }
        catch (RpcException e) { log.Write($"refused session from {context.Peer}: {e.Status.Detail}"); throw; }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        // a client without an instance id (an older build) counts as a process of its own
        string instance = join.Instance.Length > 0 ? join.Instance : Guid.NewGuid().ToString("N");
        var connection = new Connection(join.ClientId, instance, responses, join.HasSetup, cancel, context.Peer);
        if (channel.Attach(connection) is { } refusal)
        {
            log.Write($"refused session from {context.Peer}: {refusal}");
            throw new RpcException(new Status(StatusCode.AlreadyExists, refusal));
        }
        log.Write($"client '{join.ClientId}' connected from {context.Peer}{(join.HasSetup ? " (holds the setup state)" : "")}");
        try
        {
            // acknowledged at once: the engine may have nothing to send for a while
            await connection.AcknowledgeAsync(context);
            while (await requests.MoveNext(cancel.Token))
            {
                var m = requests.Current;
                int? round = m.BodyCase switch
                {
                    P.ClientMessage.BodyOneofCase.Statistics or P.ClientMessage.BodyOneofCase.Centroids => 0,
                    P.ClientMessage.BodyOneofCase.Round => m.Round.Round,
                    P.ClientMessage.BodyOneofCase.Final => m.Final.Round,
                    _ => null,
                };
                if (round is null) { log.Write($"client '{join.ClientId}': ignoring a {m.BodyCase} message in the middle of a session"); continue; }
                connection.Deliver(m, round.Value, log.Write);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or RpcException or InvalidOperationException) { }
        finally
        {
            bool wasOpen = !connection.IsClosed;
            channel.Detach(connection);
            if (wasOpen) log.Write($"client '{join.ClientId}' disconnected");
        }
    }
}

/// <summary>
/// Rejects calls, before the service sees them, whose TLS client certificate is missing or not
/// issued by the client CA (mutual TLS), or that lack the configured bearer token (metadata
/// "authorization: Bearer ..."). The certificate is judged here rather than in the TLS handshake
/// so that both sides learn the reason: a refused handshake reaches the client as an opaque
/// connection failure, and Kestrel does not report a missing certificate at all.
/// </summary>
internal sealed class AccessInterceptor(AccessPolicy policy, ServerLog log) : Grpc.Core.Interceptors.Interceptor
{
    void Check(ServerCallContext context)
    {
        if (policy.Refusal(context) is not { } why) return;
        log.Write($"rejected call {context.Method} from {context.Peer}: {why}");
        throw new RpcException(new Status(StatusCode.Unauthenticated, why));
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    { Check(context); return continuation(request, context); }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    { Check(context); return continuation(requestStream, context); }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    { Check(context); return continuation(request, responseStream, context); }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    { Check(context); return continuation(requestStream, responseStream, context); }
}

/// <summary>Who may call: a client certificate issued by <c>clientCa</c> (when set) and the bearer token (when set).</summary>
internal sealed class AccessPolicy(string? token, System.Security.Cryptography.X509Certificates.X509Certificate2Collection? clientCa)
{
    readonly byte[]? _token = token is null ? null : System.Text.Encoding.UTF8.GetBytes(token);

    /// <summary>Why the call is refused, or null.</summary>
    public string? Refusal(ServerCallContext context)
    {
        if (clientCa != null)
        {
            var cert = context.GetHttpContext().Connection.ClientCertificate;
            if (cert is null) return "no TLS client certificate: this server requires mutual TLS, with a certificate issued by its client CA";
            if (!Tls.ChainsTo(cert, clientCa, out var problem)) return $"rejected TLS client certificate '{cert.Subject}': not issued by this server's client CA ({problem})";
        }
        if (_token is null) return null;
        var header = context.RequestHeaders.GetValue("authorization");
        return header is null ? "no bearer token" : !header.StartsWith("Bearer ", StringComparison.Ordinal) ? "authorization is not a bearer token"
            : !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(_token, System.Text.Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim())) ? "bad bearer token"
            : null;
    }
}

/// <summary>The server's log sink (one line per event).</summary>
internal sealed class ServerLog(Action<string> sink)
{
    public void Write(string line) => sink(line);
}
