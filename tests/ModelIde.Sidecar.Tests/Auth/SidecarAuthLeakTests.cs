using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModelIde.Hub;
using ModelIde.Sidecar.Tests.Rpc;

namespace ModelIde.Sidecar.Tests.Auth;

/// <summary>Signs in through the real sidecar process and scans everything it said for the secrets involved.</summary>
public sealed partial class SidecarAuthLeakTests
{
    [Fact]
    public async Task After_token_and_browser_sign_in_no_token_appears_in_the_log_or_other_traffic()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        var endpoint = hub.BaseUri.AbsoluteUri;
        // At the most talkative level: every log entry the sign-ins cause is scanned too.
        using var p = SidecarProcessTests.StartSidecar("--endpoint", endpoint, "--log-level", "trace");
        var stderr = p.StandardError.ReadToEndAsync();
        var scanned = new List<string>();
        var secrets = new List<string> { hub.DemoToken, hub.GitTokenFor("demo") };
        const string wrong = "ms-wrong-leak-0123456789";
        secrets.Add(wrong);
        try
        {
            var input = p.StandardInput.BaseStream;
            var output = p.StandardOutput.BaseStream;
            var id = 0;

            async Task<JsonElement> CallAsync(string method, object args, bool isSignInResult, Func<JsonElement, Task>? onNotification = null)
            {
                var myId = ++id;
                await SidecarRpcTests.WriteFramedAsync(input, JsonSerializer.Serialize(new { jsonrpc = "2.0", id = myId, method, @params = args }));
                while (true)
                {
                    var text = await ReadFramedAsync(output);
                    using var doc = JsonDocument.Parse(text);
                    var root = doc.RootElement.Clone();
                    if (root.TryGetProperty("id", out var rid) && rid.GetInt32() == myId)
                    {
                        if (!isSignInResult || root.TryGetProperty("error", out _))
                        {
                            scanned.Add(text);
                        }

                        return root;
                    }

                    scanned.Add(text);
                    if (onNotification is not null)
                    {
                        await onNotification(root);
                    }
                }
            }

            var validated = await CallAsync("auth/validateToken", new { endpoint, accessToken = hub.DemoToken }, isSignInResult: true);
            Assert.Equal("demo", validated.GetProperty("result").GetProperty("userName").GetString());
            var activated = await CallAsync("auth/activate", new { endpoint, accessToken = hub.DemoToken, userName = "demo" }, isSignInResult: false);
            Assert.Equal("demo", activated.GetProperty("result").GetProperty("userName").GetString());
            var refused = await CallAsync("auth/validateToken", new { endpoint, accessToken = wrong }, isSignInResult: false);
            Assert.Equal(-32002, refused.GetProperty("error").GetProperty("code").GetInt32());

            Task<HttpStatusCode>? browser = null;
            var oauth = await CallAsync("auth/signInWithBrowser", new { endpoint, clientId = LocalHub.OAuthClientId, timeoutSeconds = 120 }, isSignInResult: true, n =>
            {
                if (n.GetProperty("method").GetString() == "auth/openBrowser")
                {
                    browser = Task.Run(() => ModelIde.TestSupport.HubBrowserSignIn.SignInAsync(new Uri(n.GetProperty("params").GetProperty("url").GetString()!), hub.DemoPassword));
                }

                return Task.CompletedTask;
            });
            Assert.Equal(HttpStatusCode.OK, await browser!);
            var session = oauth.GetProperty("result");
            Assert.Equal("oauth", session.GetProperty("kind").GetString());
            secrets.Add(session.GetProperty("accessToken").GetString()!);
            secrets.Add(session.GetProperty("refreshToken").GetString()!);

            var signOut = await CallAsync("auth/signOut", new { endpoint, clientId = LocalHub.OAuthClientId, refreshToken = session.GetProperty("refreshToken").GetString() }, isSignInResult: false);
            Assert.True(signOut.GetProperty("result").GetProperty("revoked").GetBoolean());
            p.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await p.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }

        var log = await stderr;
        scanned.Add(log);
        Assert.True(scanned.Count >= 5);
        Assert.Contains("[debug] SidecarServer: auth/validateToken answered", log, StringComparison.Ordinal);
        Assert.Contains("[warn] SidecarServer: auth/validateToken failed: AuthenticationRequired", log, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(scanned, text => text.Contains(secret, StringComparison.Ordinal));
        }
    }

    // Like SidecarRpcTests.ReadFramedAsync, with a wait that tolerates a busy machine (the first call starts the hub client).
    private static async Task<string> ReadFramedAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var header = new List<byte>();
        var one = new byte[1];
        while (!(header.Count >= 4 && header[^4] == '\r' && header[^3] == '\n' && header[^2] == '\r' && header[^1] == '\n'))
        {
            Assert.True(await stream.ReadAsync(one, cts.Token) == 1, "stream closed while reading a header");
            header.Add(one[0]);
        }

        var length = int.Parse(Regex.Match(Encoding.ASCII.GetString([.. header]), @"Content-Length:\s*(\d+)", RegexOptions.IgnoreCase).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cts.Token);
        return Encoding.UTF8.GetString(body);
    }
}
