using System.Text;
using ModelIde.Sidecar;
using ModelIde.Sidecar.Logging;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Rpc;

/// <summary>An in-process sidecar over a full-duplex pipe, with a raw writer for hand-made (malformed) messages.</summary>
internal sealed class SidecarConnection : IAsyncDisposable
{
    private readonly Stream _clientStream;

    private SidecarConnection(Stream clientStream, JsonRpc server, JsonRpc client, SidecarContext context)
    {
        _clientStream = clientStream;
        Server = server;
        Client = client;
        Context = context;
    }

    public JsonRpc Server { get; }

    public JsonRpc Client { get; }

    public SidecarContext Context { get; }

    /// <param name="clientTarget">Receives the sidecar's notifications (progress, auth/sessionExpired, ...) on the client side.</param>
    /// <param name="logging">The sidecar's log, for tests that read it; none by default.</param>
    public static SidecarConnection Start(string endpoint = "http://127.0.0.1:9/", object? clientTarget = null, SidecarLogging? logging = null)
    {
        var (clientStream, serverStream) = FullDuplexStream.CreatePair();
        var context = new SidecarContext(new SidecarOptions(endpoint), logging);
        var server = SidecarServer.Attach(serverStream, serverStream, context);
        var formatter = new SystemTextJsonFormatter();
        SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
        var client = new JsonRpc(new HeaderDelimitedMessageHandler(clientStream, clientStream, formatter));
        if (clientTarget is not null)
        {
            client.AddLocalRpcTarget(clientTarget);
        }

        client.StartListening();
        return new SidecarConnection(clientStream, server, client, context);
    }

    /// <summary>Writes one framed message with arbitrary content, bypassing the client's formatter.</summary>
    public async Task WriteRawAsync(string content)
    {
        var body = Encoding.UTF8.GetBytes(content);
        var header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
        await _clientStream.WriteAsync(header);
        await _clientStream.WriteAsync(body);
        await _clientStream.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Server.Dispose();
        Context.Dispose();
        await _clientStream.DisposeAsync();
    }
}
