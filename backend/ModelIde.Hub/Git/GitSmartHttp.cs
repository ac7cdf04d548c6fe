using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ModelIde.Hub.Auth;

namespace ModelIde.Hub.Git;

/// <summary>
/// Git smart HTTP at <c>/models/{owner}/{name}.git</c> and <c>/{owner}/{name}.git</c> through <c>git http-backend</c>
/// (CGI), and the LFS batch API beside it. Public repositories need no credentials; private ones HTTP Basic
/// <c>oauth2:&lt;git token&gt;</c> (the SDK token is accepted as password too).
/// </summary>
internal static partial class GitSmartHttp
{
    public static void UseGitSmartHttp(this WebApplication app, HubContext hub)
    {
        var repositories = new GitRepositories(Path.Combine(hub.DataDirectory, "git"));
        app.Use(async (http, next) =>
        {
            var match = GitPath().Match(http.Request.Path.Value ?? "");
            if (!match.Success)
            {
                await next(http);
                return;
            }

            await HandleAsync(http, hub, repositories, match.Groups["owner"].Value, match.Groups["name"].Value, match.Groups["rest"].Value);
        });
    }

    private static async Task HandleAsync(HttpContext http, HubContext hub, GitRepositories repositories, string owner, string name, string rest)
    {
        // Public repositories clone without credentials, as on the real hub. A request without credentials for a
        // private or missing one gets the challenge (a 404 would stop git before it ever tried the token).
        var anonymous = http.Request.Headers.Authorization.Count == 0;
        var user = anonymous ? null : Authenticate(http, hub);
        var model = hub.Catalogue.Find(owner, name);
        var visible = model is not null && model.HasContent && HubContext.CanSee(model, user);
        if ((!anonymous && user is null) || (anonymous && !visible))
        {
            http.Response.StatusCode = 401;
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"ModelIde local hub\", charset=\"UTF-8\"";
            if (rest == GitLfsBatch.Path)
            {
                http.Response.Headers["LFS-Authenticate"] = http.Response.Headers.WWWAuthenticate;
            }

            await http.Response.WriteAsync("Authentication required: user oauth2, password = your git token.\n", http.RequestAborted);
            return;
        }

        if (!visible)
        {
            http.Response.StatusCode = 404;
            await http.Response.WriteAsync("Repository not found.\n", http.RequestAborted);
            return;
        }

        if (rest == GitLfsBatch.Path)
        {
            await GitLfsBatch.HandleAsync(http, hub, model!);
            return;
        }

        var repo = await repositories.EnsureAsync(model!, http.RequestAborted);
        await RunBackendAsync(http, repositories.Root, "/" + repo + rest, user?.UserName ?? "anonymous");
    }

    private static HubUser? Authenticate(HttpContext http, HubContext hub)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':');
        return colon < 0 ? null : hub.Users.CheckGitPassword(decoded[..colon], decoded[(colon + 1)..]);
    }

    private static async Task RunBackendAsync(HttpContext http, string projectRoot, string pathInfo, string remoteUser)
    {
        var psi = new ProcessStartInfo("git", "http-backend")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var request = http.Request;
        psi.Environment["GIT_PROJECT_ROOT"] = projectRoot;
        psi.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["PATH_INFO"] = pathInfo;
        psi.Environment["QUERY_STRING"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        psi.Environment["REQUEST_METHOD"] = request.Method;
        psi.Environment["CONTENT_TYPE"] = request.ContentType ?? "";
        psi.Environment["REMOTE_USER"] = remoteUser;
        psi.Environment["REMOTE_ADDR"] = http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        psi.Environment["SERVER_PROTOCOL"] = request.Protocol;
        psi.Environment["GATEWAY_INTERFACE"] = "CGI/1.1";
        if (request.ContentLength is { } length)
        {
            psi.Environment["CONTENT_LENGTH"] = length.ToString(CultureInfo.InvariantCulture);
        }

        if (request.Headers.ContentEncoding.Count > 0)
        {
            psi.Environment["HTTP_CONTENT_ENCODING"] = request.Headers.ContentEncoding.ToString();
        }

        if (request.Headers.TryGetValue("Git-Protocol", out var protocol))
        {
            psi.Environment["GIT_PROTOCOL"] = protocol.ToString();
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start git http-backend.");
        var stderr = process.StandardError.ReadToEndAsync(http.RequestAborted);
        var feed = Task.Run(async () =>
        {
            try
            {
                await request.Body.CopyToAsync(process.StandardInput.BaseStream, http.RequestAborted);
            }
            finally
            {
                process.StandardInput.Close();
            }
        }, http.RequestAborted);

        var output = process.StandardOutput.BaseStream;
        var (status, headers) = await ReadCgiHeadersAsync(output, http.RequestAborted);
        http.Response.StatusCode = status;
        foreach (var (key, value) in headers)
        {
            http.Response.Headers.Append(key, value);
        }

        await output.CopyToAsync(http.Response.Body, http.RequestAborted);
        await feed;
        await process.WaitForExitAsync(http.RequestAborted);
        _ = await stderr;
    }

    /// <summary>Reads CGI headers (up to the blank line); <c>Status:</c> becomes the HTTP status.</summary>
    internal static async Task<(int Status, List<(string Key, string Value)> Headers)> ReadCgiHeadersAsync(Stream output, CancellationToken cancellationToken)
    {
        var status = 200;
        var headers = new List<(string, string)>();
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await output.ReadAsync(one, cancellationToken) == 0)
            {
                break;
            }

            if (one[0] != (byte)'\n')
            {
                line.Add(one[0]);
                continue;
            }

            var text = Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
            line.Clear();
            if (text.Length == 0)
            {
                break;
            }

            var colon = text.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var key = text[..colon].Trim();
            var value = text[(colon + 1)..].Trim();
            if (string.Equals(key, "Status", StringComparison.OrdinalIgnoreCase))
            {
                _ = int.TryParse(value.Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out status);
            }
            else
            {
                headers.Add((key, value));
            }
        }

        return (status, headers);
    }

    [GeneratedRegex(@"^/(?:models/)?(?<owner>[A-Za-z0-9_.\-]+)/(?<name>[A-Za-z0-9_.\-]+?)\.git(?<rest>/.*)?$")]
    private static partial Regex GitPath();
}
