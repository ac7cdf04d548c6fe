using System.Text.Json;
using ModelIde.Hub;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Rpc;

namespace ModelIde.Sidecar.Tests.Inference;

/// <summary>
/// Issue 13.4 end to end against the local hub: the generated onnx-community repository (seven ONNX variants) is planned
/// with inference/downloadPlan, downloaded with that plan as downloads/start's include, and the downloaded folder runs the
/// chosen variant with its recorded greedy ids.
/// </summary>
public sealed class VariantDownloadRpcTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("inference-hub-models-").FullName;
    private readonly string _cache = Directory.CreateTempSubdirectory("inference-variant-cache-").FullName;
    private LocalHub _hub = null!;
    private SidecarConnection _sidecar = null!;

    public async Task InitializeAsync()
    {
        var fixture = Path.Combine(InferFixturesCliTests.FixturesRoot(), "onnx-community");
        Directory.CreateDirectory(Path.Combine(_models, "onnx-community", "onnx"));
        foreach (var file in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(_models, "onnx-community", Path.GetRelativePath(fixture, file))); // the hub lists links by their own size
        }

        _hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, ModelsDirectory = _models, CatalogueSize = 0 }, CancellationToken.None);
        _sidecar = SidecarConnection.Start(_hub.BaseUri.ToString());
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _hub.DisposeAsync();
        Directory.Delete(_models, true);
        Directory.Delete(_cache, true);
    }

    [Fact]
    public async Task Download_plan_fetches_only_the_chosen_variant_and_the_shared_files_and_the_result_runs()
    {
        var plan = await _sidecar.Client.InvokeWithParameterObjectAsync<InferenceDownloadPlanResult>(InferenceMethods.DownloadPlan,
            new InferenceDownloadPlanParams("modelide/onnx-community", Policy: DevicePolicyKind.PreferCpu));

        Assert.Equal("onnx/model_q4.onnx", plan.Chosen!.File);
        Assert.Equal(7, plan.Variants.Count);
        // Not the .gitattributes the hub adds, as ModelScope does: repository metadata.
        Assert.Equal(["config.json", "generation_config.json", "onnx/model_q4.onnx", "tokenizer.json", "tokenizer_config.json"], plan.Files);
        var fixture = Path.Combine(InferFixturesCliTests.FixturesRoot(), "onnx-community");
        var fixtureBytes = Directory.GetFiles(fixture, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var q4Bytes = new FileInfo(Path.Combine(fixture, "onnx", "model_q4.onnx")).Length;
        Assert.InRange(plan.Bytes, q4Bytes, q4Bytes + 1024 * 1024);
        Assert.InRange(plan.AllBytes, fixtureBytes, fixtureBytes + 1024 * 1024);
        Assert.True(plan.Bytes * 5 < plan.AllBytes, $"{plan.Bytes} of {plan.AllBytes} bytes");

        var download = await _sidecar.Client.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start,
            new DownloadsStartParams("variant", "modelide/onnx-community", Include: plan.Files, CacheDir: _cache));
        var local = Directory.GetFiles(download.LocalPath, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(download.LocalPath, f).Replace('\\', '/')).ToHashSet();
        Assert.All(plan.Files, f => Assert.Contains(f, local));
        Assert.Equal(["onnx/model_q4.onnx"], local.Where(f => f.Contains(".onnx", StringComparison.Ordinal)));
        Assert.Equal(plan.Bytes, download.Bytes);

        var load = await _sidecar.Client.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
            new InferenceLoadParams(download.LocalPath, DevicePolicyKind.PreferCpu, Threads: 1));
        Assert.Equal("onnx/model_q4.onnx", load.File);
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelIde.TestSupport.RepoPaths.TinyModelDir(), "reference.json")));
        var prompt = reference.RootElement.GetProperty("generation")[0].GetProperty("prompt").GetString()!;
        var result = await _sidecar.Client.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
            new InferenceGenerateParams(load.SessionId, "g", Prompt: prompt, MaxNewTokens: 8, Temperature: 0, RepetitionPenalty: 1));
        var repo = Path.GetDirectoryName(Path.GetDirectoryName(ModelIde.TestSupport.RepoPaths.TinyModelDir()))!;
        using var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo, "tests", "tools", "decoder_fixtures", "expected-ids.json")));
        Assert.Equal(recorded.RootElement.GetProperty("q4").GetProperty("ids")[0].EnumerateArray().Take(8).Select(x => x.GetInt32()), result.TokenIds);
    }
}
