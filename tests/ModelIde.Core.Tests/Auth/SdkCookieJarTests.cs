using ModelIde.Core.Auth;
using ModelIde.TestSupport;
using ModelIde.Core.Tests.Fuzz;
using ModelIde.Core.Tests.Hub;
using ModelIde.Hub;

namespace ModelIde.Core.Tests.Auth;

/// <summary>The SDK's pickled cookie jar, as Python writes it, read without running pickle code.</summary>
[Collection("LocalHub")]
public sealed class SdkCookieJarTests(LocalHubFixture fixture) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task A_jar_saved_like_modelscope_hub_save_token_gives_the_token_host_and_expiry(int protocol)
    {
        var folder = Path.Combine(_temp.Path, $"p{protocol}");
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await PythonSdkLogin.RunAsync("save-token", folder, "--token", "ms-saved-token-1234", "--endpoint", "https://modelscope.cn", "--protocol", protocol.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var cookie = Assert.Single(SdkCookieJar.Read(await File.ReadAllBytesAsync(Path.Combine(folder, "cookies"))));

        Assert.Equal(("m_session_id", "ms-saved-token-1234", "modelscope.cn", "/"), (cookie.Name, cookie.Value, cookie.Domain, cookie.Path));
        Assert.InRange(cookie.Expires!.Value - before, (30 * 86400) - 5, (30 * 86400) + 60);
        Assert.False(cookie.IsExpired(DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_jar_from_the_legacy_sdks_login_call_against_the_hub_holds_the_api_token()
    {
        fixture.Client();
        var folder = Path.Combine(_temp.Path, "legacy");
        await PythonSdkLogin.RunAsync("login", folder, "--token", LocalHubOptions.DefaultDemoToken, "--endpoint", fixture.Hub.BaseUri.ToString());

        var cookies = SdkCookieJar.Read(await File.ReadAllBytesAsync(Path.Combine(folder, "cookies")));

        var session = Assert.Single(cookies, c => c.Name == SdkCookieJar.SessionCookie);
        Assert.Equal(LocalHubOptions.DefaultDemoToken, session.Value);
        Assert.Equal(fixture.Hub.BaseUri.Host, session.Domain);
        // The git token login returned is a different secret: the API refuses it.
        Assert.NotEqual(session.Value, (await File.ReadAllTextAsync(Path.Combine(folder, "git_token"))).Trim());
    }

    [Fact]
    public async Task A_pickle_that_would_run_a_command_is_refused_and_nothing_runs()
    {
        var folder = Path.Combine(_temp.Path, "hostile");
        var marker = Path.Combine(_temp.Path, "PWNED");
        await PythonSdkLogin.RunAsync("hostile", folder, "--marker", marker);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(folder, "cookies"));

        var ex = Assert.Throws<InvalidDataException>(() => SdkCookieJar.Read(bytes));

        Assert.Contains("posix.system", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
        // The fixture really is hostile: Python's own pickle.load runs the command.
        var (code, output) = await PythonSdkLogin.RunPythonAsync("-c", "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))", Path.Combine(folder, "cookies"));
        Assert.True(code == 0, output);
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public async Task A_jar_that_names_any_other_class_is_refused_with_its_name()
    {
        var folder = Path.Combine(_temp.Path, "other");
        await PythonSdkLogin.RunAsync("other-class", folder);
        var ex = Assert.Throws<InvalidDataException>(() => SdkCookieJar.Read(File.ReadAllBytes(Path.Combine(folder, "cookies"))));
        Assert.Contains("collections.OrderedDict", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutated_jars_are_read_or_refused_with_invalid_data_never_anything_else()
    {
        var folder = Path.Combine(_temp.Path, "fuzz");
        await PythonSdkLogin.RunAsync("save-token", folder, "--token", "ms-fuzz-token-5678", "--endpoint", "http://127.0.0.1:8765");
        var original = await File.ReadAllBytesAsync(Path.Combine(folder, "cookies"));
        var seed = FuzzLog.Seed;
        var cases = FuzzLog.Cases(3000);
        var rng = new Random(seed);
        var refused = 0;
        for (var i = 0; i < cases; i++)
        {
            var bytes = original.ToArray();
            for (var flips = rng.Next(1, 4); flips > 0; flips--)
            {
                switch (rng.Next(3))
                {
                    case 0:
                        bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                        break;
                    case 1:
                        bytes = bytes[..rng.Next(bytes.Length)];
                        break;
                    default:
                        var at = rng.Next(bytes.Length);
                        bytes = [.. bytes[..at], (byte)rng.Next(256), .. bytes[at..]];
                        break;
                }

                if (bytes.Length == 0)
                {
                    break;
                }
            }

            try
            {
                SdkCookieJar.Read(bytes);
            }
            catch (InvalidDataException)
            {
                refused++;
            }
        }

        Assert.True(refused > cases / 3, $"only {refused} of {cases} mutations were refused");
        FuzzLog.Record($"SDK cookie jar pickle reader ({refused} refused)", cases, seed);
    }
}
