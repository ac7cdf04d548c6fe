using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ModelIde.Core.Tests.Git;

/// <summary>One request a loopback test server saw.</summary>
public sealed record SeenRequest(string Method, string PathAndQuery, string? Authorization);

/// <summary>
/// An HTTP server on 127.0.0.1 for hostile-repository tests: records every request (and its Authorization header)
/// and answers it with a handler. Built on <see cref="HttpListener"/> so the tests need no web framework.
/// </summary>
public class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentQueue<SeenRequest> _seen = new();
    private readonly Func<HttpListenerContext, Task>? _handle;
    private readonly Task _loop;

    /// <summary>Starts listening; requests go to <paramref name="handle"/> (none: a 401 Basic challenge) unless a subclass overrides <see cref="HandleAsync"/>.</summary>
    public LoopbackHttpServer(Func<HttpListenerContext, Task>? handle = null)
    {
        _handle = handle;
        (_listener, Port) = LoopbackPorts.StartHttpListener();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public IReadOnlyList<SeenRequest> Requests => _seen.ToArray();

    /// <summary>Requests that carried any Authorization header.</summary>
    public int AuthorizedRequests => _seen.Count(r => r.Authorization is not null);

    /// <summary>Answers a request; only called once the constructor has returned (no client knows the port before).</summary>
    protected virtual Task HandleAsync(HttpListenerContext context) => _handle is null ? ChallengeAsync(context) : _handle(context);

    /// <summary>Answers 401 with a Basic challenge on both headers git and git-lfs read.</summary>
    public static Task ChallengeAsync(HttpListenerContext context)
    {
        context.Response.StatusCode = 401;
        context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"attacker\"");
        context.Response.AddHeader("LFS-Authenticate", "Basic realm=\"attacker\"");
        context.Response.Close();
        return Task.CompletedTask;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _seen.Enqueue(new SeenRequest(context.Request.HttpMethod, context.Request.Url!.PathAndQuery, context.Request.Headers["Authorization"]));
            _ = Task.Run(async () =>
            {
                try
                {
                    await HandleAsync(context);
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // the client went away
                }
            });
        }
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _listener.Stop();
        _listener.Close();
        _ = _loop;
    }
}

/// <summary>
/// Serves bare repositories under <c>{root}/{owner}/{name}.git</c> at <c>/models/{owner}/{name}.git</c> through
/// Debian's <c>git http-backend</c>, with HTTP Basic <c>oauth2:{password}</c> like the hub. <see cref="RedirectInfoRefsTo"/>
/// makes the first request answer 302 to another server instead.
/// </summary>
public sealed class LoopbackGitServer : LoopbackHttpServer
{
    public LoopbackGitServer(string root, string password)
    {
        Root = root;
        Password = password;
    }

    public string Root { get; }

    public string Password { get; }

    public Uri? RedirectInfoRefsTo { get; set; }

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        if (RedirectInfoRefsTo is { } target && path.EndsWith("/info/refs", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 302;
            context.Response.AddHeader("Location", new Uri(target, path.TrimStart('/') + context.Request.Url.Query).ToString());
            context.Response.Close();
            return;
        }

        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("oauth2:" + Password));
        if (context.Request.Headers["Authorization"] != expected)
        {
            context.Response.StatusCode = 401;
            context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"loopback git\"");
            context.Response.Close();
            return;
        }

        if (!path.StartsWith("/models/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            context.Response.Close();
            return;
        }

        await RunBackendAsync(context, path["/models".Length..]);
    }

    private async Task RunBackendAsync(HttpListenerContext context, string pathInfo)
    {
        var request = context.Request;
        var psi = new ProcessStartInfo("git", "http-backend")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["GIT_PROJECT_ROOT"] = Root;
        psi.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["PATH_INFO"] = pathInfo;
        psi.Environment["QUERY_STRING"] = request.Url!.Query.TrimStart('?');
        psi.Environment["REQUEST_METHOD"] = request.HttpMethod;
        psi.Environment["CONTENT_TYPE"] = request.ContentType ?? "";
        psi.Environment["REMOTE_USER"] = "oauth2";
        psi.Environment["REMOTE_ADDR"] = "127.0.0.1";
        psi.Environment["GATEWAY_INTERFACE"] = "CGI/1.1";
        if (request.ContentLength64 >= 0)
        {
            psi.Environment["CONTENT_LENGTH"] = request.ContentLength64.ToString(CultureInfo.InvariantCulture);
        }

        if (request.Headers["Content-Encoding"] is { } encoding)
        {
            psi.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        }

        if (request.Headers["Git-Protocol"] is { } protocol)
        {
            psi.Environment["GIT_PROTOCOL"] = protocol;
        }

        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var feed = Task.Run(async () =>
        {
            try
            {
                await request.InputStream.CopyToAsync(process.StandardInput.BaseStream);
            }
            finally
            {
                process.StandardInput.Close();
            }
        });
        var output = process.StandardOutput.BaseStream;
        await foreach (var (key, value) in ReadCgiHeadersAsync(output))
        {
            if (key.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = int.Parse(value.Split(' ')[0], CultureInfo.InvariantCulture);
            }
            else if (key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.ContentType = value;
            }
            else
            {
                context.Response.AddHeader(key, value);
            }
        }

        context.Response.SendChunked = true;
        await output.CopyToAsync(context.Response.OutputStream);
        await feed;
        await process.WaitForExitAsync();
        _ = await stderr;
        context.Response.Close();
    }

    private static async IAsyncEnumerable<(string Key, string Value)> ReadCgiHeadersAsync(Stream output)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await output.ReadAsync(one) > 0)
        {
            if (one[0] != (byte)'\n')
            {
                line.Add(one[0]);
                continue;
            }

            var text = Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
            line.Clear();
            if (text.Length == 0)
            {
                yield break;
            }

            var colon = text.IndexOf(':');
            if (colon > 0)
            {
                yield return (text[..colon].Trim(), text[(colon + 1)..].Trim());
            }
        }
    }
}
