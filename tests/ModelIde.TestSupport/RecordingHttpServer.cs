using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ModelIde.TestSupport;

/// <summary>What the fake server answers: a status and body, or a body streamed in repeats of a unit (a huge answer).</summary>
public sealed record FakeAnswer(int Status, string Body, string? Unit = null, long UnitRepeats = 0, string Tail = "", bool DeclareLength = true)
{
    /// <summary>401 with a Basic challenge: a client that holds a token is asked for it.</summary>
    public static FakeAnswer Challenge { get; } = new(401, "{\"Code\":401,\"Message\":\"recorded\",\"success\":false}");

    public static FakeAnswer Json(string body) => new(200, body);
}

/// <summary>
/// A fake server (or HTTP proxy) on 127.0.0.1 that keeps every byte it receives and answers each request with a
/// function of its head (by default 401 with a Basic challenge). It stands in for "another machine" or a hostile hub:
/// tests reach it under a non-local name through <see cref="ClientMappingEveryHostHere"/> or as <c>http_proxy</c> for a
/// child process. <see cref="BodyBytesSent"/> counts what the client accepted of streamed answers.
/// </summary>
public sealed class RecordingHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _received = new();
    private readonly Func<string, FakeAnswer> _answer;
    private int _connections;
    private long _bodyBytesSent;

    public RecordingHttpServer(Func<string, FakeAnswer>? answer = null)
    {
        _answer = answer ?? (_ => FakeAnswer.Challenge);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    /// <summary>The base URL on 127.0.0.1 (for tests that talk to it as a local hub).</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public long BodyBytesSent => Interlocked.Read(ref _bodyBytesSent);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A proxy URL for <c>http_proxy</c>: every plain-http request of the process comes here.</summary>
    public string ProxyUrl => $"http://127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    public byte[] Received
    {
        get
        {
            lock (_received)
            {
                return _received.ToArray();
            }
        }
    }

    /// <summary>
    /// True when <paramref name="secret"/> reached this server in any form a client sends it in: as is (header, cookie,
    /// JSON body), URL-encoded, or base64 in <c>Basic</c> with any user name before it.
    /// </summary>
    public bool Saw(string secret)
    {
        var text = Encoding.Latin1.GetString(Received);
        if (text.Contains(secret, StringComparison.Ordinal) || text.Contains(Uri.EscapeDataString(secret), StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var line in text.Split("\r\n"))
        {
            var at = line.IndexOf("Basic ", StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                try
                {
                    if (Encoding.UTF8.GetString(Convert.FromBase64String(line[(at + 6)..].Trim())).Contains(secret, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
                catch (FormatException)
                {
                    // Not base64: not a credential.
                }
            }
        }

        return false;
    }

    /// <summary>An HttpClient that connects to this server whatever host a URL names (no DNS, no proxy).</summary>
    public HttpClient ClientMappingEveryHostHere()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = ServeAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[16 * 1024];
                var pending = new List<byte>();
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    lock (_received)
                    {
                        _received.Write(buffer, 0, n);
                    }

                    pending.AddRange(buffer.AsSpan(0, n).ToArray());
                    // Answer each complete request head (and its Content-Length body) on this connection.
                    while (TryTakeRequest(pending, out var head))
                    {
                        if (!await WriteAnswerAsync(stream, _answer(head)))
                        {
                            return;
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or the server stopped.
            }
        }
    }

    /// <returns>False when the connection must close after this answer (a streamed body without a length).</returns>
    private async Task<bool> WriteAnswerAsync(NetworkStream stream, FakeAnswer answer)
    {
        var reason = answer.Status switch { 200 => "OK", 401 => "Unauthorized", 404 => "Not Found", _ => "Status" };
        var head = new StringBuilder($"HTTP/1.1 {answer.Status} {reason}\r\nContent-Type: application/json\r\n");
        if (answer.Status == 401)
        {
            head.Append("WWW-Authenticate: Basic realm=\"recorder\"\r\n");
        }

        if (answer.Unit is null)
        {
            var body = Encoding.UTF8.GetBytes(answer.Body);
            head.Append($"Content-Length: {body.Length}\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
            await stream.WriteAsync(body, _stop.Token);
            return true;
        }

        // A streamed answer: prefix, the unit many times, the tail; the client may stop reading at any point.
        var prefix = Encoding.UTF8.GetBytes(answer.Body);
        var tail = Encoding.UTF8.GetBytes(answer.Tail);
        var unit = Encoding.UTF8.GetBytes(answer.Unit);
        var total = prefix.Length + (unit.Length * answer.UnitRepeats) + tail.Length;
        head.Append(answer.DeclareLength ? $"Content-Length: {total}\r\n" : "Connection: close\r\n").Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
        await CountedWriteAsync(stream, prefix);
        var block = new byte[unit.Length * Math.Max(1, 65536 / unit.Length)];
        for (var i = 0; i < block.Length; i += unit.Length)
        {
            unit.CopyTo(block, i);
        }

        var perBlock = block.Length / unit.Length;
        for (var left = answer.UnitRepeats; left > 0; left -= perBlock)
        {
            await CountedWriteAsync(stream, left >= perBlock ? block : block.AsMemory(0, (int)left * unit.Length));
        }

        await CountedWriteAsync(stream, tail);
        return answer.DeclareLength;
    }

    private async Task CountedWriteAsync(NetworkStream stream, ReadOnlyMemory<byte> bytes)
    {
        await stream.WriteAsync(bytes, _stop.Token);
        Interlocked.Add(ref _bodyBytesSent, bytes.Length);
    }

    private static bool TryTakeRequest(List<byte> pending, out string head)
    {
        head = string.Empty;
        var bytes = pending.ToArray();
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return false;
        }

        head = Encoding.Latin1.GetString(bytes, 0, end);
        var length = 0;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        var total = end + 4 + length;
        if (bytes.Length < total)
        {
            return false;
        }

        pending.RemoveRange(0, total);
        return true;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
