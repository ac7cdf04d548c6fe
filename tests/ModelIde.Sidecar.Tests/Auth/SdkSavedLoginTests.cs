using System.Text.Json;
using ModelIde.Hub;
using ModelIde.Sidecar.Tests.Rpc;
using ModelIde.TestSupport;

namespace ModelIde.Sidecar.Tests.Auth;

/// <summary>
/// "Sign in to ModelScope" with the SDK's saved login, through the real sidecar process: the extension asks
/// auth/discoverLocalCredentials, then validates the token. The login is written by Python the way modelscope 1.37's
/// HubApi.login writes it (POST /api/v1/login against the hub, the response's cookie jar pickled).
/// </summary>
public sealed class SdkSavedLoginTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("modelide-sdk-login-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task The_sidecar_finds_the_api_token_in_the_sdks_cookie_jar_and_it_signs_in_as_demo()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        await PythonSdkLogin.RunAsync("login", Path.Combine(_home, ".modelscope", "credentials"), "--token", hub.DemoToken, "--endpoint", hub.BaseUri.ToString());
        Assert.Equal(hub.GitTokenFor("demo"), (await File.ReadAllTextAsync(Path.Combine(_home, ".modelscope", "credentials", "git_token"))).Trim());

        using var sidecar = SidecarProcessTests.StartSidecar(new Dictionary<string, string?>
        {
            ["HOME"] = _home,
            ["MODELSCOPE_API_TOKEN"] = null,
            ["MODELSCOPE_CREDENTIALS_PATH"] = null,
            ["MODELSCOPE_HOME"] = null,
        }, "--endpoint", hub.BaseUri.ToString());
        try
        {
            using var found = await CallAsync(sidecar, 1, "auth/discoverLocalCredentials", "{}");
            var result = found.RootElement.GetProperty("result");
            Assert.Equal("sdk", result.GetProperty("source").GetString());
            Assert.Equal(hub.DemoToken, result.GetProperty("accessToken").GetString());
            Assert.Equal("demo", result.GetProperty("userName").GetString());

            // What the extension does next with it: validate against the hub (the git token would be refused here).
            using var session = await CallAsync(sidecar, 2, "auth/validateToken", JsonSerializer.Serialize(new { endpoint = hub.BaseUri.ToString(), accessToken = result.GetProperty("accessToken").GetString() }));
            Assert.Equal("demo", session.RootElement.GetProperty("result").GetProperty("userName").GetString());
        }
        finally
        {
            sidecar.Kill(entireProcessTree: true);
        }
    }

    private static async Task<JsonDocument> CallAsync(System.Diagnostics.Process sidecar, int id, string method, string parameters)
    {
        await SidecarRpcTests.WriteFramedAsync(sidecar.StandardInput.BaseStream, $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{parameters}}}""");
        while (true)
        {
            var message = JsonDocument.Parse(await SidecarRpcTests.ReadFramedAsync(sidecar.StandardOutput.BaseStream));
            if (message.RootElement.TryGetProperty("id", out var got) && got.ValueKind == JsonValueKind.Number && got.GetInt32() == id)
            {
                Assert.False(message.RootElement.TryGetProperty("error", out var error), error.ToString());
                return message;
            }

            message.Dispose(); // a notification (log, progress) in between
        }
    }
}
