using System.Diagnostics;
using ModelIde.Core.Git;

namespace ModelIde.Core.Tests.Git;

/// <summary>The clone's credential helper asked through real <c>git credential fill</c> (what git and git-lfs both call).</summary>
public sealed class HubOnlyCredentialHelperTests
{
    private const string Token = "git-helper-test-token-77";

    [Theory]
    [InlineData("http://127.0.0.1:8765/models/a/b.git", "http", "127.0.0.1:8765")]
    [InlineData("https://modelscope.cn/models/a/b.git", "https", "modelscope.cn")]
    [InlineData("https://MODELSCOPE.cn:443/models/a/b.git", "https", "modelscope.cn")]
    [InlineData("http://[::1]:8765/models/a/b.git", "http", "[::1]:8765")]
    public async Task The_hub_origin_gets_the_token(string hub, string protocol, string host)
    {
        using var helper = new HubOnlyCredentialHelper(new Uri(hub), Token);
        var (code, output) = await FillAsync(helper, protocol, host);
        Assert.Equal(0, code);
        Assert.Contains("username=oauth2\n", output, StringComparison.Ordinal);
        Assert.Contains($"password={Token}\n", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http", "127.0.0.1:9999")] // another port on the same host
    [InlineData("https", "127.0.0.1:8765")] // another scheme
    [InlineData("http", "127.0.0.1")] // default port
    [InlineData("http", "attacker.example:8765")]
    [InlineData("http", "127.0.0.1:8765.attacker.example")]
    [InlineData("http", "127.0.0.1:87650")]
    public async Task Any_other_origin_gets_nothing_and_git_does_not_prompt(string protocol, string host)
    {
        using var helper = new HubOnlyCredentialHelper(new Uri("http://127.0.0.1:8765/models/a/b.git"), Token);
        var (code, output) = await FillAsync(helper, protocol, host);
        Assert.NotEqual(0, code);
        Assert.DoesNotContain(Token, output, StringComparison.Ordinal);
        Assert.Contains("terminal prompts disabled", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_token_is_never_on_disk_or_in_the_git_config_value_and_the_folder_goes_away()
    {
        string folder;
        using (var helper = new HubOnlyCredentialHelper(new Uri("http://127.0.0.1:8765/"), Token))
        {
            folder = Path.GetDirectoryName(helper.ScriptPath)!;
            Assert.DoesNotContain(Token, helper.HelperConfigValue, StringComparison.Ordinal);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                Assert.DoesNotContain(Token, File.ReadAllText(file), StringComparison.Ordinal);
            }

            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            }
        }

        Assert.False(Directory.Exists(folder));
    }

    /// <summary><c>git credential fill</c> with only this helper, no askpass and no terminal prompt.</summary>
    private static async Task<(int Code, string Output)> FillAsync(HubOnlyCredentialHelper helper, string protocol, string host)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", "credential.helper=", "-c", "credential.helper=" + helper.HelperConfigValue, "-c", "core.askPass=", "credential", "fill" })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment.Remove("GIT_ASKPASS");
        psi.Environment.Remove("SSH_ASKPASS");
        psi.Environment[HubOnlyCredentialHelper.TokenVariable] = helper.Token;
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync($"protocol={protocol}\nhost={host}\n\n");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
