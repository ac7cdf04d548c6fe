using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ModelIde.Core.Auth;

/// <summary>
/// One-shot HTTP listener for the OAuth redirect: bound to 127.0.0.1 on a random port with an unguessable path.
/// It answers other requests (<c>/favicon.ico</c>, probes) with 404 and keeps waiting; the first GET on the callback
/// path that carries <c>state</c> and either <c>code</c> or <c>error</c> is handed to the caller, who answers it with
/// <see cref="LoopbackCallback.RespondAsync"/> once the sign-in has succeeded or failed. Then the listener closes.
/// Connections are served concurrently, each with a short deadline for its request head, and at most
/// <see cref="MaxConnections"/> at once (a new one evicts the oldest), so idle or slow connections (a browser's
/// preconnects, another local process) cannot hold the real callback back.
/// A raw socket reader, no Kestrel/HttpListener: nothing but 127.0.0.1 can reach it and no URL ACLs are needed.
/// </summary>
public sealed class LoopbackRedirectListener : IDisposable
{
    private const int MaxHeaderBytes = 16 * 1024;
    private readonly TcpListener _listener;
    private readonly string _path;
    private int _used;

    private LoopbackRedirectListener(TcpListener listener, string path, int maxConnections, TimeSpan headTimeout)
    {
        _listener = listener;
        _path = path;
        MaxConnections = maxConnections;
        HeadTimeout = headTimeout;
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        RedirectUri = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}{path}");
    }

    /// <summary>Where the authorization server must send the browser back to.</summary>
    public Uri RedirectUri { get; }

    /// <summary>Connections read at once; one more closes the oldest (a browser sends its request at once).</summary>
    public int MaxConnections { get; }

    /// <summary>How long a connection may take to send its request head before it is closed.</summary>
    public TimeSpan HeadTimeout { get; }

    public static LoopbackRedirectListener Start() => Start(maxConnections: 16, headTimeout: TimeSpan.FromSeconds(5));

    internal static LoopbackRedirectListener Start(int maxConnections, TimeSpan headTimeout)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 64);
        // A random path keeps other local pages from posting a forged callback at a guessed URL.
        var path = "/callback/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return new LoopbackRedirectListener(listener, path, maxConnections, headTimeout);
    }

    /// <summary>Waits for the one valid callback; 404s anything else. Throws on timeout or cancellation.</summary>
    public async Task<LoopbackCallback> WaitForCallbackAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _used, 1) != 0)
        {
            throw new InvalidOperationException("The loopback listener accepts one callback only.");
        }

        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        var found = new TaskCompletionSource<LoopbackCallback>(TaskCreationOptions.RunContinuationsAsynchronously);
        var open = new LinkedList<CancellationTokenSource>(); // connections being read, oldest first
        var accepting = AcceptAsync(found, open, linked.Token);
        LoopbackCallback? returned = null;
        try
        {
            returned = await found.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            return returned;
        }
        catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired,
                $"Sign-in was not completed in the browser within {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s. Try again.");
        }
        finally
        {
            _listener.Stop();
            await linked.CancelAsync().ConfigureAwait(false);
            await accepting.ConfigureAwait(false);
            if (returned is null && found.Task.IsCompletedSuccessfully)
            {
                // A callback that arrived as the wait gave up: nobody will answer it.
                (await found.Task.ConfigureAwait(false)).Dispose();
            }
        }
    }

    private async Task AcceptAsync(TaskCompletionSource<LoopbackCallback> found, LinkedList<CancellationTokenSource> open, CancellationToken cancellationToken)
    {
        var serving = new List<Task>();
        try
        {
            while (!found.Task.IsCompleted)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                connection.CancelAfter(HeadTimeout);
                LinkedListNode<CancellationTokenSource> node;
                CancellationTokenSource? evicted = null;
                lock (open)
                {
                    // Whoever takes a connection out of the list cancels and disposes its source.
                    if (open.Count >= MaxConnections)
                    {
                        evicted = open.First!.Value;
                        open.RemoveFirst();
                    }

                    node = open.AddLast(connection);
                }

                if (evicted is not null)
                {
                    await evicted.CancelAsync().ConfigureAwait(false);
                    evicted.Dispose();
                }

                serving.RemoveAll(t => t.IsCompleted);
                serving.Add(ServeAsync(client, connection, open, node, found));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
        {
            // The wait ended (callback, timeout or cancellation) and stopped the listener.
        }
        catch (Exception ex)
        {
            found.TrySetException(ex);
        }
        finally
        {
            List<CancellationTokenSource> left;
            lock (open)
            {
                left = [.. open];
                open.Clear();
            }

            foreach (var connection in left)
            {
                await connection.CancelAsync().ConfigureAwait(false);
                connection.Dispose();
            }

            await Task.WhenAll(serving).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationTokenSource connection, LinkedList<CancellationTokenSource> open, LinkedListNode<CancellationTokenSource> node, TaskCompletionSource<LoopbackCallback> found)
    {
        try
        {
            var callback = await TryReadCallbackAsync(client, connection.Token).ConfigureAwait(false);
            if (callback is not null && !found.TrySetResult(callback))
            {
                callback.Dispose(); // a second valid callback after the first: nobody will answer it
            }
        }
        finally
        {
            var mine = false;
            lock (open)
            {
                if (node.List is not null)
                {
                    open.Remove(node);
                    mine = true;
                }
            }

            if (mine)
            {
                connection.Dispose();
            }
        }
    }

    private async Task<LoopbackCallback?> TryReadCallbackAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var keep = false;
        try
        {
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream, cancellationToken).ConfigureAwait(false);
            var requestLine = head?.Split("\r\n", 2)[0].Split(' ');
            if (requestLine is not { Length: 3 } || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                await LoopbackCallback.WriteResponseAsync(stream, 400, "Bad request", "Bad request.", cancellationToken).ConfigureAwait(false);
                return null;
            }

            var target = requestLine[1];
            var q = target.IndexOf('?', StringComparison.Ordinal);
            var path = q < 0 ? target : target[..q];
            var query = ParseQuery(q < 0 ? string.Empty : target[(q + 1)..]);
            var valid = requestLine[0] == "GET" && string.Equals(path, _path, StringComparison.Ordinal)
                && query.ContainsKey("state") && (query.ContainsKey("code") || query.ContainsKey("error"));
            if (!valid)
            {
                await LoopbackCallback.WriteResponseAsync(stream, 404, "Not found", "Nothing here.", cancellationToken).ConfigureAwait(false);
                return null;
            }

            keep = true;
            return new LoopbackCallback(client, target, query);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed, too slow, evicted, or the wait is over: this connection is done, the listener goes on.
            return null;
        }
        finally
        {
            if (!keep)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeaderBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }

            length += n;
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return Encoding.ASCII.GetString(buffer, 0, end);
            }
        }

        return null;
    }

    internal static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            result.TryAdd(key, value);
        }

        return result;
    }

    public void Dispose() => _listener.Stop();
}

/// <summary>The browser's callback request, held open until the sign-in result is known.</summary>
public sealed class LoopbackCallback : IDisposable
{
    private readonly TcpClient _client;
    private int _answered;

    internal LoopbackCallback(TcpClient client, string target, IReadOnlyDictionary<string, string> query)
    {
        _client = client;
        PathAndQuery = target;
        Query = query;
    }

    /// <summary>The request target as received (path + query), e.g. for OidcClient's response processing.</summary>
    public string PathAndQuery { get; }

    public IReadOnlyDictionary<string, string> Query { get; }

    /// <summary>Answers the browser with a page saying success or failure, then closes the connection.</summary>
    public async Task RespondAsync(bool success, string message, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
        {
            return;
        }

        try
        {
            await WriteResponseAsync(_client.GetStream(), success ? 200 : 400, success ? "Signed in" : "Sign-in failed", message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The browser went away; the sign-in result stands regardless.
        }
        finally
        {
            _client.Dispose();
        }
    }

    internal static async Task WriteResponseAsync(Stream stream, int status, string title, string message, CancellationToken cancellationToken)
    {
        var body = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>ModelIde: {WebUtility.HtmlEncode(title)}</title></head>
            <body style="font-family: sans-serif; margin: 3em;">
            <h1>{WebUtility.HtmlEncode(title)}</h1>
            <p>{WebUtility.HtmlEncode(message)}</p>
            <p>You can close this tab and return to your editor or terminal.</p>
            </body></html>
            """;
        var bytes = Encoding.UTF8.GetBytes(body);
        var reason = status switch { 200 => "OK", 404 => "Not Found", _ => "Bad Request" };
        var head = $"HTTP/1.1 {status.ToString(CultureInfo.InvariantCulture)} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n" +
            $"Content-Length: {bytes.Length.ToString(CultureInfo.InvariantCulture)}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            _client.Dispose();
        }
    }
}
