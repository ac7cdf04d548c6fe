using System.Security.Cryptography;
using System.Text.Json;
using ModelIde.Hub;
using Xunit.Abstractions;

namespace ModelIde.Cli.Tests.Models;

/// <summary>`modelide models|download|clone` as child processes against the real local hub.</summary>
public sealed class CliModelsCommandsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalHub _hub = null!;

    public async Task InitializeAsync() => _hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 500 }, CancellationToken.None);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private async Task<(int Code, string Out, string Err)> RunAsync(IDictionary<string, string>? env, params string[] args)
    {
        using var p = Downloads.DownloadProcessKillTests.StartCli(_hub.BaseUri, env, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Download_of_the_tiny_model_leaves_files_matching_the_originals_and_prints_the_folder_last()
    {
        var cache = Directory.CreateTempSubdirectory("modelide-cli-").FullName;
        try
        {
            var (code, stdout, stderr) = await RunAsync(null, "download", "modelide/tiny-stdlib-coder", "--cache-dir", cache);
            Assert.True(code == 0, stderr);
            output.WriteLine(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
            var folder = stdout.Trim().Split('\n')[^1];
            foreach (var original in Directory.EnumerateFiles(ModelIde.TestSupport.RepoPaths.TinyModelDir()))
            {
                Assert.Equal(SHA256.HashData(File.ReadAllBytes(original)), SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, Path.GetFileName(original)))));
            }

            Assert.Contains("%", stderr, StringComparison.Ordinal);
            Assert.All(_hub.BlobRequestLog, r => Assert.False(r.HasAuthorization || r.HasSessionCookie));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task Models_list_json_and_files_and_the_window_limit()
    {
        var (code, stdout, stderr) = await RunAsync(null, "models", "list", "--search", "tiny-stdlib", "--json");
        Assert.True(code == 0, stderr);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.Contains(doc.RootElement.GetProperty("models").EnumerateArray(), m => m.GetProperty("id").GetString() == "modelide/tiny-stdlib-coder");
        }

        (code, stdout, stderr) = await RunAsync(null, "models", "files", "modelide/tiny-stdlib-coder");
        Assert.True(code == 0, stderr);
        Assert.Contains("model.onnx", stdout, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync(null, "models", "list", "--page", "61", "--page-size", "50");
        Assert.Equal(2, code);
        Assert.Contains("3000", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync(null, "models", "files", "../../etc");
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task Clone_with_a_token_stores_no_token_in_git_config()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("modelide-cli-clone-").FullName, "repo");
        try
        {
            var (code, stdout, stderr) = await RunAsync(new Dictionary<string, string> { ["MODELSCOPE_API_TOKEN"] = _hub.DemoToken }, "clone", "modelide/tiny-stdlib-coder", dir);
            Assert.True(code == 0, stderr);
            Assert.Equal(dir, stdout.Trim());
            var config = await File.ReadAllTextAsync(Path.Combine(dir, ".git", "config"));
            Assert.DoesNotContain(_hub.DemoToken, config, StringComparison.Ordinal);
            Assert.DoesNotContain(_hub.GitTokenFor("demo"), config, StringComparison.Ordinal);
            Assert.DoesNotContain(_hub.DemoToken, stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }
}
