using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

/// <summary>
/// Every export layout and dtype of issue 13, generated from tiny-stdlib-coder's weights, run by our decode loop from the
/// folder's root: greedy ids equal reference.json where the arithmetic is the model's own (graph rewrites, int32 inputs,
/// external data, GroupQueryAttention over the same weights), and the ids ONNX Runtime GenAI recorded for the int4 ones.
/// </summary>
[Collection(DecoderFixturesCollection.Name)]
public sealed class DecoderLayoutTests(DecoderFixtures fixtures, TinyModel tiny, Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures() => new(DecoderFixtures.FixtureNames());

    private const int NewTokens = 24;

    internal static int[][] RunReferencePrompts(DecoderLanguageModel model, JsonDocument reference) =>
        reference.RootElement.GetProperty("generation").EnumerateArray()
            .Select(c => model.Generate(c.GetProperty("prompt").GetString()!, new GenerationOptions { MaxNewTokens = NewTokens }).TokenIds.ToArray())
            .ToArray();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Each_layout_runs_from_the_repository_root_with_the_expected_greedy_ids(string name)
    {
        using var model = DecoderLanguageModel.Load(fixtures.Folder(name), DevicePolicyKind.PreferCpu, threads: 1);
        output.WriteLine($"{name}: {model.File} ({model.Folder.Reason})");
        var actual = RunReferencePrompts(model, tiny.Reference);
        int[][] expected;
        if (fixtures.Expected[name] == "reference")
        {
            expected = tiny.Reference.RootElement.GetProperty("generation").EnumerateArray()
                .Select(c => c.GetProperty("greedy_ids_onnxruntime").EnumerateArray().Take(NewTokens).Select(x => x.GetInt32()).ToArray()).ToArray();
        }
        else
        {
            // Recorded by ONNX Runtime GenAI's own decode loop (GenAiParityTests checks it, MODELIDE_RECORD_EXPECTED_IDS=1 rewrites it), never by ours.
            var recorded = JsonNode.Parse(File.ReadAllText(fixtures.ExpectedIdsPath))!.AsObject();
            var entry = recorded[fixtures.Expected[name]] ?? throw new InvalidOperationException($"no recorded ids for {name} in expected-ids.json");
            Assert.EndsWith(entry["file"]!.GetValue<string>(), model.File, StringComparison.Ordinal);
            expected = entry["ids"]!.Deserialize<int[][]>()!;
        }

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    // The GPU's decode loop (IOBinding: presents bound to the device become the next pasts, only the logits come back),
    // run here with host memory standing in for CUDA memory: the same ids as the host loop above, which the oracles check.
    // A shared-buffer (GQA) model grows its presents there instead of writing one buffer in place.
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Each_layout_gives_the_same_ids_with_its_KV_cache_bound_where_a_GPU_session_keeps_it(string name)
    {
        using var model = DecoderLanguageModel.Load(fixtures.Folder(name), DevicePolicyKind.PreferCpu, threads: 1);
        var onHost = RunReferencePrompts(model, tiny.Reference);
        Assert.Equal(0, model.DeviceKvRunsForTests);

        model.KeepKvOnDeviceForTests();
        var bound = RunReferencePrompts(model, tiny.Reference);

        Assert.Equal(onHost, bound);
        // One step per id, and one more for a generation that ended on EOS (its EOS is not among the ids).
        Assert.InRange(model.DeviceKvRunsForTests, bound.Sum(ids => ids.Length), bound.Sum(ids => ids.Length) + bound.Length);
    }
}
