using System.Diagnostics;
using ModelIde.Hub;

namespace ModelIde.Sidecar.Tests.Auth;

/// <summary>The built `modelide` CLI as a child process, HOME and XDG_CONFIG_HOME in a temp folder, against a local hub.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CliLoginTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("modelide-cli-home-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "modelide.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = _home;
        psi.Environment["XDG_CONFIG_HOME"] = Path.Combine(_home, "config");
        psi.Environment["MODELIDE_CREDENTIAL_STORE"] = "file";
        foreach (var name in new[] { "MODELSCOPE_API_TOKEN", "MODELSCOPE_ENDPOINT", "MODELSCOPE_DOMAIN", "MODELSCOPE_CREDENTIALS_PATH", "MODELSCOPE_HOME", "DBUS_SESSION_BUS_ADDRESS" })
        {
            psi.Environment.Remove(name);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
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
