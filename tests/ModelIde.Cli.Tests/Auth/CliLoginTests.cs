using System.Diagnostics;
using ModelIde.Hub;
using ModelIde.Protocol;

namespace ModelIde.Cli.Tests.Auth;

/// <summary>The built `modelide` CLI as a child process, HOME and XDG_CONFIG_HOME in a temp folder, against a local hub.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CliLoginTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("modelide-cli-home-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    /// <summary>The CLI with this test's HOME, the file credential store, and none of the caller's hub settings or display.</summary>
    private ProcessStartInfo CliStartInfo(params string[] args)
    {
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = _home,
            ["XDG_CONFIG_HOME"] = Path.Combine(_home, "config"),
            ["MODELIDE_CREDENTIAL_STORE"] = "file",
        };
        foreach (var name in new[] { "MODELSCOPE_API_TOKEN", "MODELSCOPE_ENDPOINT", "MODELSCOPE_DOMAIN", "MODELSCOPE_CREDENTIALS_PATH", "MODELSCOPE_HOME", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY" })
        {
            env[name] = null;
        }

        return CliProcess.StartInfo(CliHost.Dll, args, env);
    }

    private async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        var r = await CliProcess.RunAsync(CliStartInfo(args));
        return (r.Code, r.Out, r.Err);
    }

    [Fact]
    public async Task Login_with_a_token_then_whoami_prints_demo_and_the_token_stays_in_a_0600_file_only()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        var endpoint = hub.BaseUri.AbsoluteUri.TrimEnd('/');

        var login = await RunCliAsync("login", "--endpoint", endpoint, "--token", hub.DemoToken);
        Assert.True(login.Code == 0, login.Err);
        var file = Path.Combine(_home, "config", "modelide", "credentials.json");
        Assert.Contains($"Token stored in {file} (file, mode 0600)", login.Err);

        var whoami = await RunCliAsync("whoami");
        Assert.Equal(0, whoami.Code);
        Assert.Equal("demo", whoami.Out.Trim());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
        Assert.Contains(hub.DemoToken, await File.ReadAllTextAsync(file));
        var gitToken = hub.GitTokenFor("demo");
        foreach (var text in new[] { login.Out, login.Err, whoami.Out, whoami.Err })
        {
            Assert.DoesNotContain(hub.DemoToken, text);
            Assert.DoesNotContain(gitToken, text);
        }

        // Other commands use the stored login (CliHubConnection): the private model is visible to demo only.
        var files = await RunCliAsync("models", "files", hub.PrivateModelId);
        Assert.True(files.Code == 0, files.Err);
        Assert.Contains("notes.txt", files.Out);
        Assert.DoesNotContain(hub.DemoToken, files.Out + files.Err);

        var logout = await RunCliAsync("logout");
        Assert.Equal(0, logout.Code);
        var after = await RunCliAsync("whoami", "--endpoint", endpoint);
        Assert.Equal(3, after.Code);
        Assert.DoesNotContain(hub.DemoToken, await File.ReadAllTextAsync(file));
        var filesSignedOut = await RunCliAsync("models", "files", hub.PrivateModelId, "--endpoint", endpoint);
        Assert.NotEqual(0, filesSignedOut.Code);
    }

    /// <summary>Runs <c>modelide login --browser</c> and signs in on the hub's login page as the user's browser would; returns stderr.</summary>
    private async Task<string> LoginInTheBrowserAsync(LocalHub hub)
    {
        var psi = CliStartInfo("login", "--endpoint", hub.BaseUri.AbsoluteUri, "--browser");
        using var p = Process.Start(psi)!;
        try
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var err = new System.Text.StringBuilder();
            string? url = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (url is null && await p.StandardError.ReadLineAsync(cts.Token) is { } line)
            {
                err.AppendLine(line);
                if (line.TrimStart().StartsWith("http://127.0.0.1", StringComparison.Ordinal))
                {
                    url = line.Trim();
                }
            }

            Assert.True(url is not null, err.ToString());
            var redirect = await ModelIde.TestSupport.HubBrowserSignIn.SignInAsync(new Uri(url), hub.DemoPassword);
            Assert.Equal(System.Net.HttpStatusCode.OK, redirect);
            err.Append(await p.StandardError.ReadToEndAsync(cts.Token));
            await p.WaitForExitAsync(cts.Token);
            Assert.True(p.ExitCode == 0, err.ToString());
            Assert.Contains("Signed in to", err.ToString());
            Assert.Equal(string.Empty, (await stdout).Trim());
            return err.ToString();
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    private System.Text.Json.Nodes.JsonObject StoredEntry(LocalHub hub)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_home, "config", "modelide", "credentials.json")))!;
        return (System.Text.Json.Nodes.JsonObject)root["endpoints"]![hub.BaseUri.AbsoluteUri]!;
    }

    [Fact]
    public async Task Login_in_the_browser_prints_the_url_and_stores_a_working_token()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        await LoginInTheBrowserAsync(hub);

        var whoami = await RunCliAsync("whoami");
        Assert.Equal(0, whoami.Code);
        Assert.Equal("demo", whoami.Out.Trim());
    }

    [Fact]
    public async Task A_browser_login_near_expiry_is_refreshed_by_the_next_command_and_logout_revokes_it()
    {
        // Access tokens live 30 s: under the 60 s margin, so every later command refreshes first.
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10, AccessTokenLifetime = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        var said = await LoginInTheBrowserAsync(hub);
        Assert.Contains("refreshed automatically", said);
        var first = StoredEntry(hub);
        var firstAccess = first["accessToken"]!.GetValue<string>();
        var firstRefresh = first["refreshToken"]!.GetValue<string>();
        Assert.NotNull(first["expiresAt"]);

        var files = await RunCliAsync("models", "files", hub.PrivateModelId);
        Assert.True(files.Code == 0, files.Err);
        Assert.Contains("notes.txt", files.Out);
        var second = StoredEntry(hub);
        Assert.NotEqual(firstAccess, second["accessToken"]!.GetValue<string>());
        // The refreshed token's expiry replaces the old one (lifetimes are whole seconds on the wire, so it is not always later).
        Assert.NotEqual(first["expiresAt"]!.GetValue<string>(), second["expiresAt"]!.GetValue<string>());

        var whoami = await RunCliAsync("whoami");
        Assert.True(whoami.Code == 0, whoami.Err);
        Assert.Equal("demo", whoami.Out.Trim());
        var third = StoredEntry(hub);
        foreach (var text in new[] { files.Out, files.Err, whoami.Out, whoami.Err })
        {
            foreach (var secret in new[] { firstAccess, firstRefresh, third["accessToken"]!.GetValue<string>(), third["refreshToken"]!.GetValue<string>() })
            {
                Assert.DoesNotContain(secret, text);
            }
        }

        // Logout forgets the login and revokes its refresh token at the hub: it can no longer be used.
        var lastRefresh = third["refreshToken"]!.GetValue<string>();
        var logout = await RunCliAsync("logout");
        Assert.True(logout.Code == 0, logout.Err);
        Assert.DoesNotContain("Could not revoke", logout.Err);
        var stale = new ModelIde.Core.Auth.AuthSession { Endpoint = hub.BaseUri, UserName = "demo", AccessToken = "x", RefreshToken = lastRefresh, ClientId = LocalHub.OAuthClientId, Kind = ModelIde.Protocol.AuthSessionKind.OAuth };
        var refused = await Assert.ThrowsAsync<ModelIde.Core.ModelIdeException>(() => new ModelIde.Core.Auth.OidcBrowserSignIn().RefreshAsync(stale, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, refused.Kind);
    }

    [Fact]
    public async Task A_browser_login_whose_refresh_is_refused_says_to_log_in_again()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10, AccessTokenLifetime = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        await LoginInTheBrowserAsync(hub);
        var file = Path.Combine(_home, "config", "modelide", "credentials.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        root["endpoints"]![hub.BaseUri.AbsoluteUri]!["refreshToken"] = "not-a-refresh-token";
        await File.WriteAllTextAsync(file, root.ToJsonString());

        var whoami = await RunCliAsync("whoami");
        Assert.Equal(3, whoami.Code);
        Assert.Contains("expired or was revoked", whoami.Err);
        Assert.Contains($"modelide login --browser --endpoint {hub.BaseUri}", whoami.Err);
    }

    [Fact]
    public async Task Login_with_a_wrong_token_fails_says_so_and_stores_nothing()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        const string wrong = "ms-wrong-token-0123456789";
        var login = await RunCliAsync("login", "--endpoint", hub.BaseUri.AbsoluteUri, "--token", wrong);

        Assert.NotEqual(0, login.Code);
        Assert.Contains("did not accept this access token", login.Err);
        Assert.DoesNotContain(wrong, login.Err + login.Out);
        Assert.False(File.Exists(Path.Combine(_home, "config", "modelide", "credentials.json")));
        var whoami = await RunCliAsync("whoami", "--endpoint", hub.BaseUri.AbsoluteUri);
        Assert.Equal(3, whoami.Code);
    }

    [Fact]
    public async Task Login_without_a_token_when_not_interactive_is_an_error()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        var login = await RunCliAsync("login", "--endpoint", hub.BaseUri.AbsoluteUri);
        Assert.Equal(3, login.Code);
        Assert.Contains("stdin is not a terminal", login.Err);
    }
}
