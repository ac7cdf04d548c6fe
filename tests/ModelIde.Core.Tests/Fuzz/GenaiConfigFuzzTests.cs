using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using ModelIde.Core.Inference;
using ModelIde.Core.Tests.Inference;

namespace ModelIde.Core.Tests.Fuzz;

/// <summary>
/// Mutated genai_config.json next to the bundled model's ONNX session: <see cref="DecoderModelConfig.Resolve"/> returns a
/// usable config or throws invalidInput with a message; never another exception, never a hang.
/// </summary>
public sealed class GenaiConfigFuzzTests
{
    private static readonly JsonNode?[] s_values =
    [
        null, true, false, 0, -1, 1, 2, 4, 3.5, -2048, int.MaxValue, int.MinValue, long.MaxValue, 1e308, -1e308, 1e-300,
        "", "4", "%d", "past_key_values.%d.key", "present.%d.value", "input_ids", "attention_mask", "logits", "%d%d",
        "past_key_values.%d.key%s", "\u0000", new string('x', 10_000), new JsonArray(), new JsonObject(), new JsonArray(1, 2, 3), new JsonArray("a", null),
    ];

    private static readonly string[] s_keys =
    [
        "model", "decoder", "inputs", "outputs", "search", "num_hidden_layers", "num_key_value_heads", "head_size", "context_length",
        "vocab_size", "eos_token_id", "input_ids", "attention_mask", "position_ids", "logits", "past_key_names", "past_value_names",
        "present_key_names", "present_value_names", "past_present_share_buffer",
    ];

    [Fact]
    public async Task Mutated_genai_configs_give_a_valid_config_or_a_clear_invalid_input_error()
    {
        var seed = FuzzLog.Seed;
        var cases = FuzzLog.Cases(3000);
        var random = new Random(seed);
        var modelDir = TinyModel.Locate();
        var original = File.ReadAllText(Path.Combine(modelDir, "genai_config.json"));
        var dir = Directory.CreateTempSubdirectory("modelide-genai-fuzz-").FullName;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal) { ["valid"] = 0, ["invalidInput"] = 0 };
        try
        {
            foreach (var other in new[] { "config.json", "generation_config.json" })
            {
                File.Copy(Path.Combine(modelDir, other), Path.Combine(dir, other));
            }

            using var options = new SessionOptions { IntraOpNumThreads = 1 };
            using var session = new InferenceSession(Path.Combine(modelDir, "model.onnx"), options);
            var genai = Path.Combine(dir, "genai_config.json");
            await Task.Run(() =>
            {
                for (var i = 0; i < cases; i++)
                {
                    var text = Mutate(original, random, out var how);
                    File.WriteAllText(genai, text);
                    try
                    {
                        var config = DecoderModelConfig.Resolve(ModelSideFiles.Near(Path.Combine(dir, "model.onnx"), genai), session, []);
                        AssertUsable(config, session);
                        outcomes["valid"]++;
                    }
                    catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.InvalidInput && !string.IsNullOrWhiteSpace(ex.Message))
                    {
                        outcomes["invalidInput"]++;
                    }
                    catch (Exception ex)
                    {
                        Assert.Fail($"case {i} (seed {seed}, {how}) threw {ex.GetType().Name}: {ex.Message}\ngenai_config.json: {Shorten(text)}");
                    }
                }
            }).WaitAsync(TimeSpan.FromMinutes(5));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        Assert.True(outcomes["valid"] > 0 && outcomes["invalidInput"] > 0, "the mutations should reach both outcomes");
        FuzzLog.Record($"genai_config.json ({outcomes["valid"]} valid, {outcomes["invalidInput"]} invalidInput)", cases, seed);
    }

    /// <summary>What generation relies on: every named tensor exists, sizes are positive, EOS ids are token ids.</summary>
    private static void AssertUsable(DecoderModelConfig c, InferenceSession session)
    {
        Assert.True(c.Layers > 0 && c.KvHeads > 0 && c.HeadSize > 0 && c.ContextLength > 0 && c.VocabSize > 0, c.ToString());
        Assert.Equal(c.Layers, c.PastValues.Count);
        foreach (var name in new[] { c.InputIds, c.AttentionMask }.Concat(c.PastKeys).Concat(c.PastValues).Concat(c.PositionIds is null ? [] : [c.PositionIds]))
        {
            Assert.True(session.InputMetadata.ContainsKey(name), name);
        }

        foreach (var name in new[] { c.Logits }.Concat(c.PresentKeys).Concat(c.PresentValues))
        {
            Assert.True(session.OutputMetadata.ContainsKey(name), name);
        }

        Assert.All(c.EosTokenIds, id => Assert.True(id >= 0, $"eos {id}"));
    }

    private static string Mutate(string original, Random random, out string how)
    {
        switch (random.Next(10))
        {
            case 0:
                how = "truncated";
                return original[..random.Next(original.Length)];
            case 1:
                how = "text edits";
                return ApiEnvelopeFuzzTests.Mutate(original, random);
            case 2:
                how = "deep nesting";
                var depth = random.Next(2) == 0 ? random.Next(1, 70) : random.Next(70, 100_000);
                var nested = new StringBuilder().Insert(0, "[", depth).Append('1').Insert(depth + 1, "]", random.Next(4) == 0 ? depth / 2 : depth).ToString();
                return random.Next(2) == 0 ? nested : original.Replace("\"context_length\": 2048", "\"context_length\": " + nested, StringComparison.Ordinal);
            case 3:
                how = "not an object";
                return random.Next(4) switch { 0 => "", 1 => "[]", 2 => "null", _ => "\"model\"" };
            default:
                how = "structural";
                var root = JsonNode.Parse(original)!;
                var edits = random.Next(1, 5);
                var log = new List<string>();
                for (var e = 0; e < edits; e++)
                {
                    log.Add(MutateNode(root, random));
                }

                how += ": " + string.Join("; ", log);
                return root.ToJsonString();
        }
    }

    /// <summary>Picks a random object in the tree and sets, removes or adds a property (wrong types, huge or negative numbers).</summary>
    private static string MutateNode(JsonNode root, Random random)
    {
        var objects = new List<JsonObject>();
        Collect(root, objects);
        var target = objects[random.Next(objects.Count)];
        var existing = target.Select(p => p.Key).ToArray();
        var key = existing.Length > 0 && random.Next(3) > 0 ? existing[random.Next(existing.Length)] : s_keys[random.Next(s_keys.Length)];
        if (random.Next(6) == 0)
        {
            target.Remove(key);
            return $"removed {key}";
        }

        var value = random.Next(4) == 0
            ? JsonValue.Create(random.Next(3) switch { 0 => random.Next(-100, 100), 1 => random.NextInt64(long.MinValue, long.MaxValue), _ => random.Next() })
            : s_values[random.Next(s_values.Length)]?.DeepClone();
        target[key] = value;
        return $"{key} = {Shorten(value?.ToJsonString() ?? "null")}";
    }

    private static void Collect(JsonNode? node, List<JsonObject> into)
    {
        if (node is JsonObject o)
        {
            into.Add(o);
            foreach (var (_, child) in o)
            {
                Collect(child, into);
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var child in a)
            {
                Collect(child, into);
            }
        }
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + string.Create(CultureInfo.InvariantCulture, $"... ({s.Length} chars)");
}
