using ModelIde.Hub;

namespace ModelIde.Cli.Tests.Launcher;

/// <summary>The bash launcher at the repository root, run as users run it: its errors must reach the terminal.</summary>
[Collection(LauncherCollection.Name)]
public sealed class LauncherTests(LauncherBuild build)
{
    [Fact]
    public async Task The_launcher_and_the_dll_are_the_same_release()
    {
        var dll = await CliProcess.RunAsync(CliHost.Dll, ["--version"]);
        Assert.Equal(0, dll.Code);
        // The part after '+' is the commit the build saw, which moves between the two builds while one works.
        Assert.Equal(dll.Out.Trim().Split('+')[0], build.Version.Split('+')[0]);
    }

    [Fact]
    public async Task A_failed_download_through_the_launcher_says_why_on_stderr_and_exits_4()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        var cache = Directory.CreateTempSubdirectory("modelide-launcher-").FullName;
        try
        {
            var r = await CliProcess.RunAsync(CliHost.Launcher, ["download", "modelide/no-such-model", "--cache-dir", cache, "--endpoint", hub.BaseUri.ToString()],
                new Dictionary<string, string?> { ["MODELSCOPE_API_TOKEN"] = null });
            Assert.Equal(ExitCodes.NotFound, r.Code);
            Assert.StartsWith("modelide download: ", r.Err, StringComparison.Ordinal);
            Assert.Contains("modelide/no-such-model (model does not exist)", r.Err, StringComparison.Ordinal);
            Assert.Equal(string.Empty, r.Out);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task A_usage_error_through_the_launcher_says_why_on_stderr_and_exits_2()
    {
        var r = await CliProcess.RunAsync(CliHost.Launcher, ["dowload", "modelide/tiny-stdlib-coder"]);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains("modelide: Unrecognized command or argument 'dowload'.", r.Err, StringComparison.Ordinal);
        Assert.Contains("Run 'modelide --help' for usage.", r.Err, StringComparison.Ordinal);
    }
}
