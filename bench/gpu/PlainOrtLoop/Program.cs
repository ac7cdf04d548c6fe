using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

// A plain greedy KV-cache loop over an optimum-style decoder (input_ids, attention_mask, position_ids,
// past_key_values.N.key/value -> logits, present.N.key/value; float32 or float16), written straight against ONNX Runtime's C# API, to
// compare token ids and speed with `modelide infer` on the same device. Prints one JSON line.
//   PlainOrtLoop --model DIR (--prompt-ids 1,2,3 | --reference reference.json [--case N]) --new-tokens N [--cuda]
//                [--ort /path/libonnxruntime.so] [--preload a.so,b.so] [--compare modelide-infer.json]
// --compare reads `modelide infer --json` output and adds "same_ids_as_modelide" (greedy ids over the shorter run).
var model = Arg("--model") ?? throw new ArgumentException("--model DIR");
long[] promptIds;
if (Arg("--reference") is { } referenceFile)
{
    using var reference = JsonDocument.Parse(File.ReadAllText(referenceFile));
    var index = int.Parse(Arg("--case") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
    promptIds = reference.RootElement.GetProperty("generation")[index].GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt64()).ToArray();
}
else
{
    promptIds = (Arg("--prompt-ids") ?? throw new ArgumentException("--prompt-ids or --reference")).Split(',').Select(long.Parse).ToArray();
}

var newTokens = int.Parse(Arg("--new-tokens") ?? "32", System.Globalization.CultureInfo.InvariantCulture);
var cuda = args.Contains("--cuda");
if (Arg("--ort") is { } ort)
{
    NativeLibrary.SetDllImportResolver(typeof(OrtEnv).Assembly, (name, _, _) => name == "onnxruntime" ? NativeLibrary.Load(ort) : IntPtr.Zero);
}

foreach (var lib in (Arg("--preload") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
{
    // Dependencies first, as listed: the CUDA provider then finds them by soname.
    NativeLibrary.Load(lib);
}

using var options = new SessionOptions();
if (cuda)
{
    options.AppendExecutionProvider_CUDA(0);
}

var load = Stopwatch.StartNew();
using var session = new InferenceSession(Path.Combine(model, "model.onnx"), options);
load.Stop();
var layers = session.InputNames.Count(n => n.StartsWith("past_key_values.", StringComparison.Ordinal) && n.EndsWith(".key", StringComparison.Ordinal));
var kvMeta = session.InputMetadata["past_key_values.0.key"];
var kvHeads = kvMeta.Dimensions[1];
var headSize = kvMeta.Dimensions[3];
var hasPositions = session.InputNames.Contains("position_ids");

var inputNames = new List<string> { "input_ids", "attention_mask" };
if (hasPositions)
{
    inputNames.Add("position_ids");
}

var outputNames = new List<string> { "logits" };
for (var i = 0; i < layers; i++)
{
    inputNames.Add($"past_key_values.{i}.key");
    inputNames.Add($"past_key_values.{i}.value");
    outputNames.Add($"present.{i}.key");
    outputNames.Add($"present.{i}.value");
}

var past = new List<OrtValue>();
for (var i = 0; i < 2 * layers; i++)
{
    past.Add(OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, kvMeta.ElementDataType, [1, kvHeads, 0, headSize]));
}

var generated = new List<long>();
var total = Stopwatch.StartNew();
double firstTokenMs = 0;
IDisposableReadOnlyCollection<OrtValue>? previous = null;
long position = 0;
var next = promptIds;
using var runOptions = new RunOptions();
for (var step = 0; step < newTokens; step++)
{
    var seq = next.Length;
    var totalLength = position + seq;
    using var ids = OrtValue.CreateTensorValueFromMemory(next, [1, seq]);
    using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, (int)totalLength).ToArray(), [1, totalLength]);
    using var positions = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, seq).Select(j => position + j).ToArray(), [1, seq]);
    var inputs = new List<OrtValue> { ids, mask };
    if (hasPositions)
    {
        inputs.Add(positions);
    }

    inputs.AddRange(past);
    var outputs = session.Run(runOptions, inputNames, inputs, outputNames);
    var best = outputs[0].GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16
        ? ArgMaxLastRow(Widen(outputs[0].GetTensorDataAsSpan<Float16>()), seq)
        : ArgMaxLastRow(outputs[0].GetTensorDataAsSpan<float>(), seq);

    if (step == 0)
    {
        firstTokenMs = total.Elapsed.TotalMilliseconds;
        foreach (var p in past)
        {
            p.Dispose();
        }
    }

    past = outputs.Skip(1).ToList();
    previous?.Dispose();
    previous = outputs;
    generated.Add(best);
    position = totalLength;
    next = [best];
}

total.Stop();
previous?.Dispose();
var decodeSeconds = (total.Elapsed.TotalMilliseconds - firstTokenMs) / 1000;
bool? same = null;
if (Arg("--compare") is { } compareFile)
{
    using var theirs = JsonDocument.Parse(File.ReadAllText(compareFile));
    var ids = theirs.RootElement.GetProperty("token_ids").EnumerateArray().Select(x => x.GetInt64()).ToArray();
    var n = Math.Min(ids.Length, generated.Count);
    same = n > 0 && ids.Take(n).SequenceEqual(generated.Take(n));
}

// A JsonObject rather than an anonymous type: the published tool is trimmed, and reflection-based serialization is not
// trim-safe.
Console.WriteLine(new System.Text.Json.Nodes.JsonObject
{
    ["same_ids_as_modelide"] = same,
    ["device"] = cuda ? "cuda" : "cpu",
    ["ort"] = OrtEnv.Instance().GetVersionString(),
    ["token_ids"] = new System.Text.Json.Nodes.JsonArray(generated.Select(id => (System.Text.Json.Nodes.JsonNode?)id).ToArray()),
    ["first_token_ms"] = Math.Round(firstTokenMs, 2),
    ["decode_tokens_per_second"] = Math.Round((generated.Count - 1) / Math.Max(decodeSeconds, 1e-9), 1),
    ["load_ms"] = Math.Round(load.Elapsed.TotalMilliseconds, 1),
}.ToJsonString());

// float16 logits as float32, as ModelIde's sampler reads them.
static float[] Widen(ReadOnlySpan<Float16> logits)
{
    var wide = new float[logits.Length];
    for (var i = 0; i < logits.Length; i++)
    {
        wide[i] = (float)logits[i];
    }

    return wide;
}

// Greedy: the highest logit of the last position (the first of equal ones).
static int ArgMaxLastRow(ReadOnlySpan<float> logits, int seq)
{
    var vocab = logits.Length / seq;
    var last = logits.Slice((seq - 1) * vocab, vocab);
    var best = 0;
    for (var j = 1; j < vocab; j++)
    {
        if (last[j] > last[best])
        {
            best = j;
        }
    }

    return best;
}

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
