using ModelIde.Hub;
using ModelIde.TestSupport;

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

    [Fact]
    public async Task The_native_build_keeps_the_help_of_hub_and_serve_and_sends_their_runs_to_the_dotnet_build()
    {
        // The launcher runs hub and serve on the .NET build; the native binary leaves their stacks out (CliCommand.NeedsDotnetBuild).
        var native = Path.Combine(RepoPaths.Root(), ".build", "cli-native", "modelide");
        if (!File.Exists(native))
        {
            // Only where the launcher cannot build natively (no clang: it says so in .build/cli-native.log or not at all).
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root(), ".build", "cli-native.failed")) || !OnPath("clang"), "no native build and no record of why");
            return;
        }

        foreach (var command in new[] { "hub", "serve" })
        {
            var dotnetHelp = await CliProcess.RunAsync(CliHost.Dll, [command, "--help"]);
            var nativeHelp = await CliProcess.RunAsync(new System.Diagnostics.ProcessStartInfo(native, [command, "--help"]) { RedirectStandardOutput = true, RedirectStandardError = true });
            Assert.Equal(0, nativeHelp.Code);
            Assert.Equal(dotnetHelp.Out, nativeHelp.Out);

            var run = await CliProcess.RunAsync(new System.Diagnostics.ProcessStartInfo(native, [command]) { RedirectStandardOutput = true, RedirectStandardError = true });
            Assert.Equal(ExitCodes.Usage, run.Code);
            Assert.Contains($"modelide {command}: '{command}' runs on the .NET build of modelide", run.Err, StringComparison.Ordinal);
            Assert.Equal(string.Empty, run.Out);
        }
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));
}
