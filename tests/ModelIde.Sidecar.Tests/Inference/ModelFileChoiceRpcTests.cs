using System.Text.Json;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Inference;

/// <summary>
/// Issue 13.3/13.4 through the real sidecar process: inference/load on the root of an onnx-community repository says which
/// of its seven ONNX files runs and why, honours the user's choice of file, and hands back the model's generation defaults
/// that the playground starts from.
/// </summary>
public sealed class ModelFileChoiceRpcTests
{
    private const int NewTokens = 8;

    /// <summary>
    /// The generated onnx-community fixture (each file in its onnx/ folder linked, as an HF-style cache links a snapshot's
    /// files to their blobs; a linked folder leading outside the model folder is not walked; the small files copied) with a generation_config.json
    /// that asks for sampling, the way instruct models ship theirs.
    /// </summary>
    private static string OnnxCommunityRepo()
    {
        var fixture = Path.Combine(InferFixturesCliTests.FixturesRoot(), "onnx-community");
        var dir = Directory.CreateTempSubdirectory("inference-onnx-community-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "onnx"));
        foreach (var file in Directory.GetFiles(Path.Combine(fixture, "onnx")))
        {
            File.CreateSymbolicLink(Path.Combine(dir, "onnx", Path.GetFileName(file)), file);
        }

        foreach (var file in Directory.GetFiles(fixture))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """
            { "bos_token_id": 4093, "eos_token_id": 4093, "do_sample": true, "max_length": 512,
              "temperature": 0.7, "top_k": 20, "top_p": 0.8, "repetition_penalty": 1.05 }
            """);
        return dir;
    }

    [Fact]
    public async Task Load_on_an_onnx_community_root_names_the_file_the_reason_and_the_defaults()
    {
        var repo = OnnxCommunityRepo();
        try
        {
            using var sidecar = HostileChatTemplateTests.LiveSidecar.Start();
            var load = await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
                new InferenceLoadParams(repo, DevicePolicyKind.PreferCpu, Threads: 1));

            Assert.Equal("cpu", load.Device);
            Assert.Equal("onnx/model_q4.onnx", load.File);
            Assert.StartsWith("int4 is the fastest precision ONNX Runtime runs on CPU", load.FileReason, StringComparison.Ordinal);
            Assert.Contains("7 variants", load.FileReason, StringComparison.Ordinal);
            Assert.Contains("onnx/model_fp16.onnx [fp16", load.FileReason, StringComparison.Ordinal);
            Assert.Equal(new GenerationDefaultsDto(512, true, 0.7, 20, 0.8, 1.05), load.Defaults);

            // The chosen file is the one that runs: greedy (the client overrides the sampling defaults) gives its recorded ids.
            using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelIde.TestSupport.RepoPaths.TinyModelDir(), "reference.json")));
            var prompt = reference.RootElement.GetProperty("generation")[0].GetProperty("prompt").GetString()!;
            var result = await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                new InferenceGenerateParams(load.SessionId, "g", Prompt: prompt, MaxNewTokens: NewTokens, Temperature: 0, RepetitionPenalty: 1));
            Assert.Equal(ExpectedIds("q4"), result.TokenIds);
        }
        finally
        {
            Directory.Delete(repo, true);
        }
    }

    [Fact]
    public async Task The_users_file_wins_and_a_missing_or_outside_one_is_a_clear_error()
    {
        var repo = OnnxCommunityRepo();
        try
        {
            using var sidecar = HostileChatTemplateTests.LiveSidecar.Start();
            var load = await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
                new InferenceLoadParams(repo, DevicePolicyKind.PreferCpu, Threads: 1, File: "onnx/model_int8.onnx"));
            Assert.Equal("onnx/model_int8.onnx", load.File);
            Assert.Equal("chosen by the user", load.FileReason);

            var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(
                InferenceMethods.Load, new InferenceLoadParams(repo, DevicePolicyKind.PreferCpu, File: "onnx/model_q8.onnx")));
            Assert.Equal(RpcErrorCodes.InvalidInput, e.ErrorCode);
            Assert.Contains("onnx/model_q8.onnx is not in", e.Message, StringComparison.Ordinal);
            Assert.Contains("onnx/model_q4.onnx [int4", e.Message, StringComparison.Ordinal);

            // The file comes from a setting: it cannot name a file outside the model's folder.
            var elsewhere = Directory.CreateTempSubdirectory("inference-elsewhere-").FullName;
            File.CreateSymbolicLink(Path.Combine(elsewhere, "model_q4.onnx"), Path.Combine(repo, "onnx", "model_q4.onnx"));
            try
            {
                foreach (var file in new[] { Path.Combine(elsewhere, "model_q4.onnx"), Path.Combine("..", Path.GetFileName(elsewhere), "model_q4.onnx") })
                {
                    var outside = await Assert.ThrowsAsync<RemoteInvocationException>(() => sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(
                        InferenceMethods.Load, new InferenceLoadParams(repo, DevicePolicyKind.PreferCpu, File: file)));
                    Assert.Equal(RpcErrorCodes.InvalidInput, outside.ErrorCode);
                    Assert.Contains("must be a relative path inside the model folder", outside.Message, StringComparison.Ordinal);
                }
            }
            finally
            {
                Directory.Delete(elsewhere, true);
            }
        }
        finally
        {
            Directory.Delete(repo, true);
        }
    }

    [Fact]
    public async Task Genai_config_search_section_becomes_the_defaults()
    {
        using var sidecar = HostileChatTemplateTests.LiveSidecar.Start();
        var load = await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
            new InferenceLoadParams(ModelIde.TestSupport.RepoPaths.TinyModelDir(), DevicePolicyKind.PreferCpu, Threads: 1));
        Assert.Equal("model.onnx", load.File);
        Assert.Equal("the only model in the folder", load.FileReason);
        // models/tiny-stdlib-coder/genai_config.json: greedy search, max_length 2048.
        Assert.Equal(new GenerationDefaultsDto(2048, false, 1.0, 1, 1.0, 1.0), load.Defaults);
    }

    private static int[] ExpectedIds(string key)
    {
        var repo = Path.GetDirectoryName(Path.GetDirectoryName(ModelIde.TestSupport.RepoPaths.TinyModelDir()))!;
        using var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo, "tests", "tools", "decoder_fixtures", "expected-ids.json")));
        return recorded.RootElement.GetProperty(key).GetProperty("ids")[0].EnumerateArray().Take(NewTokens).Select(x => x.GetInt32()).ToArray();
    }
}
