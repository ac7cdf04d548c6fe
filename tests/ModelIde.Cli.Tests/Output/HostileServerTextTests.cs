namespace ModelIde.Cli.Tests.Output;

/// <summary>
/// What a hostile hub sends (model ids, tasks, paths, hashes, error messages with terminal escapes) reaches the terminal
/// as visible text: `modelide models list/files` as a child process against <see cref="HostileHub"/> on loopback.
/// </summary>
public sealed class HostileServerTextTests : IAsyncLifetime
{
    private HostileHub _hub = null!;

    public async Task InitializeAsync() => _hub = await HostileHub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    /// <summary>Characters a terminal acts on: ESC, BEL, the C1 CSI, the bidi override, a carriage return.</summary>
    internal static void AssertInert(string printed)
    {
        foreach (var c in new[] { '\u001b', '\u0007', '\u009b', '\u202e', '\r' })
        {
            Assert.False(printed.Contains(c, StringComparison.Ordinal), $"U+{(int)c:X4} printed raw in: {printed}");
        }
    }

    private Task<CliResult> RunAsync(params string[] args) =>
        CliProcess.RunAsync(CliHost.Dll, [.. args, "--endpoint", _hub.BaseUri.ToString()], new Dictionary<string, string?> { ["MODELSCOPE_API_TOKEN"] = null });

    [Fact]
    public async Task Models_list_shows_escapes_in_ids_and_tasks_as_text_one_line_per_model()
    {
        var r = await RunAsync("models", "list");
        Assert.True(r.Code == 0, r.Err);
        AssertInert(r.Out + r.Err);
        var lines = r.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(HostileHub.ModelIds.Length, lines.Length);
        Assert.StartsWith("evil/clear\\x1B[2J\\x1B[3J\\x1B[H ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("evil/clip\\x1B]52;c;ZWNobyBwd25lZA==\\x07 ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("evil/red\\x9B31m ", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("evil/report\\u202Egnp.exe ", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("evil/a\\nfake/model ", lines[4], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.EndsWith("likes  text\\x1B]0;pwned\\x1B\\", l, StringComparison.Ordinal));
        Assert.Equal("1-5 of 5 (page 1)", r.Err.Trim());
    }

    [Fact]
    public async Task Models_files_shows_escapes_in_paths_and_hashes_as_text()
    {
        var r = await RunAsync("models", "files", "evil/files");
        Assert.True(r.Code == 0, r.Err);
        AssertInert(r.Out + r.Err);
        var lines = r.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.EndsWith("  \\x1B[2J\\x1B[3J\\x1B[Hwipe.bin", lines[0], StringComparison.Ordinal);
        // The client lower-cases hashes; the escape is still shown, not run.
        Assert.Contains("  ab\\x1B]52;c;zwnobybwd25lza==\\x07 ", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("  docs/\\u202Efdp.exe", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("  title\\x1B]0;pwned\\x1B\\.txt", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_message_from_the_hub_is_shown_as_text_with_exit_4()
    {
        var r = await RunAsync("models", "files", "evil/missing");
        Assert.Equal(4, r.Code);
        AssertInert(r.Out + r.Err);
        Assert.Contains("no such model\\x1B]52;c;ZWNobyBwd25lZA==\\x07\\x1B[2J", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_escapes_them_as_json_does_and_is_unchanged()
    {
        var r = await RunAsync("models", "list", "--json");
        Assert.True(r.Code == 0, r.Err);
        AssertInert(r.Out);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        Assert.Equal(HostileHub.ModelIds, doc.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }
}
