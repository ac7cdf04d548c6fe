using System.Text.RegularExpressions;
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
    public async Task A_download_the_hub_lists_without_hashes_says_only_sizes_were_checked()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        var cache = Directory.CreateTempSubdirectory("modelide-launcher-").FullName;
        try
        {
            string[] args = ["download", "modelide/tiny-stdlib-coder", "--include", "*.json", "--cache-dir", cache, "--endpoint", hub.BaseUri.ToString()];
            var env = new Dictionary<string, string?> { ["MODELSCOPE_API_TOKEN"] = null };
            var hashed = await CliProcess.RunAsync(CliHost.Launcher, args, env);
            Assert.Equal(0, hashed.Code);
            Assert.DoesNotContain("SHA-256", hashed.Err, StringComparison.Ordinal);

            // The same files again, from a hub that lists no hashes: found in the cache by size, and said so.
            hub.Faults.Add(new ModelIde.Hub.Faults.FaultRule { PathPrefix = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files", ListedWithoutSha256 = true });
            var unhashed = await CliProcess.RunAsync(CliHost.Launcher, args, env);
            Assert.Equal(0, unhashed.Code);
            Assert.Contains("The hub listed no SHA-256 for these files: only their sizes were checked.", unhashed.Err, StringComparison.Ordinal);
            Assert.Equal(hashed.Out, unhashed.Out);
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
        var native = CliProcess.NativeBuild;
        if (!File.Exists(native))
        {
            // Only where the launcher does not build natively: asked not to, no clang (clang-N), or a failed build it recorded.
            Assert.True(Environment.GetEnvironmentVariable("MODELIDE_CLI_NATIVE") == "0" || !ClangOnPath() ||
                File.Exists(Path.Combine(RepoPaths.Root(), ".build", "cli-native.failed")), "no native build and no record of why");
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

    [Fact]
    public async Task Infer_through_the_launcher_still_normalizes_a_decomposed_prompt_as_the_tokenizer_asks()
    {
        // Commands that need no culture data skip ICU on the native build (CliCulture); infer must not: its tokenizer
        // normalizes to NFC, which invariant mode would skip, so "cafe" + U+0301 would become other tokens than "café".
        async Task<string> GeneratedIdsAsync(string prompt)
        {
            var r = await CliProcess.RunAsync(CliHost.Launcher, ["infer", "--model", RepoPaths.TinyModelDir(), "--prompt", prompt, "--max-new-tokens", "8", "--device", "cpu", "--json"]);
            Assert.True(r.Code == 0, r.Err);
            using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
            return doc.RootElement.GetProperty("token_ids").GetRawText();
        }

        Assert.Equal(await GeneratedIdsAsync("# café: naïve résumé\n"), await GeneratedIdsAsync("# cafe\u0301: nai\u0308ve re\u0301sume\u0301\n"));
    }

    // The compilers the launcher links the native build with (its native_linker): clang or Debian's clang-N.
    private static bool ClangOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Where(Directory.Exists)
            .Any(d => Directory.EnumerateFiles(d, "clang*").Select(Path.GetFileName).Any(n => n == "clang" || Regex.IsMatch(n!, "^clang-[0-9]+$")));
}
