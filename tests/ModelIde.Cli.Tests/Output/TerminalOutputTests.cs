using System.Diagnostics;
using ModelIde.Hub;

namespace ModelIde.Cli.Tests.Output;

/// <summary>modelide on a terminal (a pseudo-terminal from util-linux `script`): tables and progress bars, still inert.</summary>
public sealed class TerminalOutputTests
{
    /// <summary>Runs the CLI with stdout and stderr on one pseudo-terminal, 160 columns; returns what the terminal received.</summary>
    private static Task<CliResult> RunInTerminalAsync(params string[] args) => RunInTerminalAsync("xterm-256color", args);

    private static Task<CliResult> RunInTerminalAsync(string term, string[] args)
    {
        static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var command = $"stty cols 160 rows 50; exec dotnet {Quote(Path.Combine(AppContext.BaseDirectory, "modelide.dll"))} {string.Join(' ', args.Select(Quote))}";
        var psi = new ProcessStartInfo("script", ["-q", "-e", "-f", "-c", command, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["TERM"] = term;
        psi.Environment.Remove("MODELSCOPE_API_TOKEN");
        psi.Environment.Remove("NO_COLOR");
        return CliProcess.RunAsync(psi);
    }

    [Fact]
    public async Task Models_list_on_a_terminal_is_a_table_and_escapes_from_the_hub_are_shown_not_run()
    {
        await using var hub = await HostileHub.StartAsync();
        var r = await RunInTerminalAsync("models", "list", "--endpoint", hub.BaseUri.ToString());
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("╭", r.Out, StringComparison.Ordinal);
        Assert.Contains("│ evil/clear\\x1B[2J\\x1B[3J\\x1B[H", r.Out, StringComparison.Ordinal);
        Assert.Contains("evil/report\\u202Egnp.exe", r.Out, StringComparison.Ordinal);
        foreach (var raw in new[] { "\u001b[2J", "\u001b]52", "\u001b]0;", "\u009b", "\u202e" })
        {
            Assert.DoesNotContain(raw, r.Out, StringComparison.Ordinal);
        }

        Assert.Contains("1-5 of 5 (page 1)", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_on_a_terminal_draws_a_progress_bar_then_prints_the_summary()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        var cache = Directory.CreateTempSubdirectory("modelide-tty-").FullName;
        try
        {
            var r = await RunInTerminalAsync("download", "modelide/tiny-stdlib-coder", "--cache-dir", cache, "--endpoint", hub.BaseUri.ToString());
            Assert.True(r.Code == 0, r.Out + r.Err);
            Assert.Contains("━", r.Out, StringComparison.Ordinal);
            Assert.Contains("100%", r.Out, StringComparison.Ordinal);
            Assert.Contains("Done: ", r.Out, StringComparison.Ordinal);
            // The plain progress lines are for pipes only.
            Assert.DoesNotContain("MB/s ETA", r.Out, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task A_dumb_terminal_gets_the_plain_lines()
    {
        await using var hub = await HostileHub.StartAsync();
        var r = await RunInTerminalAsync("dumb", ["models", "list", "--endpoint", hub.BaseUri.ToString()]);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.DoesNotContain("╭", r.Out, StringComparison.Ordinal);
        Assert.Contains("evil/clear\\x1B[2J\\x1B[3J\\x1B[H ", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", r.Out, StringComparison.Ordinal);
    }
}
