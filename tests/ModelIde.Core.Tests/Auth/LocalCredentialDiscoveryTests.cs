using ModelIde.Core.Auth;
using ModelIde.TestSupport;

namespace ModelIde.Core.Tests.Auth;

/// <summary>Finding the SDK's saved login: the token is in the pickled cookie jar (written here by Python), never git_token.</summary>
public sealed class LocalCredentialDiscoveryTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("modelide-cred-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private string DefaultFolder => Path.Combine(_home, ".modelscope", "credentials");

    private static Task SaveTokenAsync(string folder, string token, int expiresIn = 30 * 86400, string endpoint = "https://modelscope.cn") =>
        PythonSdkLogin.RunAsync("save-token", folder, "--token", token, "--endpoint", endpoint, "--expires-in", expiresIn.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--user", "alice:alice@example.com", "--git-token", "git-not-the-api-token-99");

    private LocalCredentialSearch Search(params (string Name, string Value)[] env) =>
        LocalCredentialDiscovery.Search(name => env.FirstOrDefault(e => e.Name == name).Value, _home);

    [Fact]
    public async Task Environment_token_wins_over_the_sdk_folder()
    {
        await SaveTokenAsync(DefaultFolder, "ms-from-jar-123456");
        var found = Search(("MODELSCOPE_API_TOKEN", "ms-env-123456")).Found;
        Assert.Equal(LocalCredentialSource.Environment, found!.Source);
        Assert.Equal("ms-env-123456", found.AccessToken);
    }

    [Fact]
    public async Task The_sdk_login_gives_the_cookie_jars_token_and_the_user_file_never_git_token()
    {
        await SaveTokenAsync(DefaultFolder, "ms-from-jar-123456");

        var found = Search().Found!;

        Assert.Equal(LocalCredentialSource.Sdk, found.Source);
        Assert.Equal("ms-from-jar-123456", found.AccessToken);
        Assert.Equal(("alice", "alice@example.com"), (found.UserName, found.Email));
        Assert.Equal("modelscope.cn", found.IssuedFor);
        Assert.Equal(Path.Combine(DefaultFolder, "cookies"), found.Origin);
        Assert.InRange(found.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31));
    }

    [Fact]
    public void A_git_token_alone_is_not_a_login()
    {
        // Issue 15 item 2: git_token is the git token POST /api/v1/login returned; the API answers 401 to it.
        Directory.CreateDirectory(DefaultFolder);
        File.WriteAllText(Path.Combine(DefaultFolder, "git_token"), "git-not-the-api-token-99");
        File.WriteAllText(Path.Combine(DefaultFolder, "user"), "alice:alice@example.com");
        Assert.Null(Search().Found);
    }

    [Fact]
    public async Task An_expired_saved_login_is_not_used_and_the_note_says_when_it_expired()
    {
        await SaveTokenAsync(DefaultFolder, "ms-expired-123456", expiresIn: -3600);
        var search = Search();
        Assert.Null(search.Found);
        var note = Assert.Single(search.Notes);
        Assert.Contains("expired on " + DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), note, StringComparison.Ordinal);
        Assert.Contains("modelscope login", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hostile_cookies_file_is_not_run_and_the_note_says_why()
    {
        var marker = Path.Combine(_home, "PWNED");
        await PythonSdkLogin.RunAsync("hostile", DefaultFolder, "--marker", marker);
        var search = Search();
        Assert.Null(search.Found);
        Assert.Contains("posix.system", Assert.Single(search.Notes), StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Credentials_path_is_read_as_modelscope_1_38_reads_it_a_config_folder_with_credentials_inside()
    {
        var config = Path.Combine(_home, "ms-config");
        await SaveTokenAsync(Path.Combine(config, "credentials"), "ms-newer-meaning-1");
        var found = Search(("MODELSCOPE_CREDENTIALS_PATH", config)).Found!;
        Assert.Equal("ms-newer-meaning-1", found.AccessToken);
        Assert.Equal(Path.Combine(config, "credentials", "cookies"), found.Origin);
    }

    [Fact]
    public async Task Credentials_path_still_works_as_modelscope_1_37_read_it_the_credentials_folder_itself()
    {
        var legacy = Path.Combine(_home, "old-creds");
        await SaveTokenAsync(legacy, "ms-legacy-meaning-1");
        Assert.Equal("ms-legacy-meaning-1", Search(("MODELSCOPE_CREDENTIALS_PATH", legacy)).Found!.AccessToken);
    }

    [Fact]
    public void Credentials_path_folders_follow_the_1_38_rules_for_files_and_missing_paths()
    {
        var file = Path.Combine(_home, "conf", "somefile");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "x");
        Assert.Equal([Path.Combine(_home, "conf", "credentials"), file], LocalCredentialDiscovery.CredentialsFolders(n => n == "MODELSCOPE_CREDENTIALS_PATH" ? file : null, _home));
        var missing = Path.Combine(_home, "nowhere", "credentials");
        Assert.Equal([missing], LocalCredentialDiscovery.CredentialsFolders(n => n == "MODELSCOPE_CREDENTIALS_PATH" ? missing : null, _home));
        Assert.Equal([Path.Combine(_home, "x", "credentials"), Path.Combine(_home, "x")], LocalCredentialDiscovery.CredentialsFolders(n => n == "MODELSCOPE_CREDENTIALS_PATH" ? "~/x" : null, _home));
    }

    [Fact]
    public async Task Modelscope_home_holds_the_credentials_folder()
    {
        var msHome = Path.Combine(_home, "mshome");
        await SaveTokenAsync(Path.Combine(msHome, "credentials"), "ms-home-token-1");
        Assert.Equal("ms-home-token-1", Search(("MODELSCOPE_HOME", msHome)).Found!.AccessToken);
    }

    [Fact]
    public void Nothing_found_gives_null_and_no_note()
    {
        var search = Search();
        Assert.Null(search.Found);
        Assert.Empty(search.Notes);
    }
}
