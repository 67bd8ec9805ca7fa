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
        var connection = new Connection(join.ClientId, responses, join.HasSetup, cancel, context.Peer);
        channel.Attach(connection);
        log.Write($"client '{join.ClientId}' connected from {context.Peer}{(join.HasSetup ? " (holds the setup state)" : "")}");
        try
        {
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

/// <summary>Rejects calls without the configured bearer token (metadata "authorization: Bearer ...").</summary>
internal sealed class TokenInterceptor(TokenCheck check, ServerLog log) : Grpc.Core.Interceptors.Interceptor
{
    void Check(ServerCallContext context)
    {
        if (check.Token is null) return;
        var header = context.RequestHeaders.GetValue("authorization");
        string? why = header is null ? "no bearer token" : !header.StartsWith("Bearer ", StringComparison.Ordinal) ? "authorization is not a bearer token"
            : !check.Matches(header["Bearer ".Length..].Trim()) ? "bad bearer token" : null;
        if (why is null) return;
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

internal sealed class TokenCheck(string? token)
{
    readonly byte[]? _bytes = token is null ? null : System.Text.Encoding.UTF8.GetBytes(token);
    public string? Token => token;
    public bool Matches(string presented) =>
        _bytes != null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(_bytes, System.Text.Encoding.UTF8.GetBytes(presented));
}

/// <summary>The server's log sink (one line per event).</summary>
internal sealed class ServerLog(Action<string> sink)
{
    public void Write(string line) => sink(line);
}
