using ModelIde.Core.Auth;

namespace ModelIde.Core.Tests.Auth;

public sealed class LocalCredentialDiscoveryTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("modelide-cred-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public void Environment_token_wins_over_the_sdk_folder()
    {
        WriteSdk(Path.Combine(_home, ".modelscope", "credentials"), "git-from-file");
        var found = LocalCredentialDiscovery.Discover(name => name == "MODELSCOPE_API_TOKEN" ? "ms-env-123456" : null, _home);
        Assert.Equal(LocalCredentialSource.Environment, found!.Source);
        Assert.Equal("ms-env-123456", found.AccessToken);
    }

    [Fact]
    public void Sdk_folder_gives_the_token_and_the_user_and_ignores_the_cookies_pickle()
    {
        var folder = Path.Combine(_home, "custom-creds");
        WriteSdk(folder, "git-from-file");
        File.WriteAllBytes(Path.Combine(folder, "cookies"), [0x80, 0x04, 0x95]);
        var found = LocalCredentialDiscovery.Discover(name => name == "MODELSCOPE_CREDENTIALS_PATH" ? folder : null, _home);
        Assert.Equal(LocalCredentialSource.Sdk, found!.Source);
        Assert.Equal("git-from-file", found.AccessToken);
        Assert.Equal("alice", found.UserName);
        Assert.Equal("alice@example.com", found.Email);
    }

    [Fact]
    public void Nothing_found_gives_null()
    {
        Assert.Null(LocalCredentialDiscovery.Discover(_ => null, _home));
    }

    private static void WriteSdk(string folder, string token)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "git_token"), token + "\n");
        File.WriteAllText(Path.Combine(folder, "user"), "alice:alice@example.com");
    }
}
