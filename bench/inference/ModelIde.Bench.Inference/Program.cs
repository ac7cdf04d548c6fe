using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Core.Inference;

// Benchmarks DecoderLanguageModel on models/tiny-stdlib-coder (the four reference prompts, greedy) and, in the same
// run, the plain onnxruntime-node loop in bench/inference/node; prints both and their ratios and writes
// bench/results/inference.json.  Usage: dotnet run -c Release --project bench/inference/ModelIde.Bench.Inference
//   [--threads N (default 2)] [--new-tokens N (default 128)] [--runs N (default 3)] [--no-node]
var threads = IntArg("--threads", 2);
var newTokens = IntArg("--new-tokens", 128);
var runs = IntArg("--runs", 3);
var root = FindRoot();
var modelDir = Path.Combine(root, "models", "tiny-stdlib-coder");
using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDir, "reference.json")));
var prompts = reference.RootElement.GetProperty("generation").EnumerateArray()
    .Select(g => g.GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

var load = Stopwatch.StartNew();
using var model = DecoderLanguageModel.Load(modelDir, DevicePolicy.PreferCpu, threads: threads);
load.Stop();
var options = new GenerationOptions { MaxNewTokens = newTokens };
var sink = (Action<GeneratedToken>)(_ => { });
model.Generate(prompts[0], options, sink); // warm-up (JIT, arena)
var results = new List<GenerationResult>();
for (var r = 0; r < runs; r++)
{
    foreach (var p in prompts)
    {
        results.Add(model.Generate(p, options, sink));
    }
}

var csharp = new JsonObject
{
    ["runtime"] = "ModelIde C# (Microsoft.ML.OnnxRuntime 1.31.1)",
    ["threads"] = threads,
    ["decodeTokensPerSecond"] = Median(results.Select(x => x.DecodeTokensPerSecond)),
    ["prefillTokensPerSecond"] = Median(results.Select(x => x.PromptTokens / x.TimeToFirstToken.TotalSeconds)),
    ["timeToFirstTokenMs"] = Median(results.Select(x => x.TimeToFirstToken.TotalMilliseconds)),
    ["runShare"] = results.Average(x => x.RunShare),
    ["managedBytesPerDecodeStep"] = Median(results.Select(x => (double)x.ManagedBytesPerDecodeStep)),
    ["loadMs"] = load.Elapsed.TotalMilliseconds,
    ["device"] = model.Device,
};
Print("C#", csharp);

JsonObject? node = null;
if (!args.Contains("--no-node"))
{
    node = RunNode(root, modelDir, threads, newTokens, runs);
    if (node is not null)
    {
        Print("node", node);
        foreach (var key in new[] { "decodeTokensPerSecond", "prefillTokensPerSecond" })
        {
            Console.WriteLine($"ratio C#/node {key}: {(double)csharp[key]! / (double)node[key]!:F2}");
        }

        Console.WriteLine($"ratio C#/node timeToFirstTokenMs: {(double)csharp["timeToFirstTokenMs"]! / (double)node["timeToFirstTokenMs"]!:F2}");
    }
}

var output = new JsonObject
{
    ["model"] = "tiny-stdlib-coder",
    ["machine"] = $"{Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
    ["newTokens"] = newTokens,
    ["runs"] = runs,
    ["csharp"] = csharp,
    ["node"] = node,
    ["decodeRatioCsharpOverNode"] = node is null ? null : (double)csharp["decodeTokensPerSecond"]! / (double)node["decodeTokensPerSecond"]!,
};
var resultsDir = Path.Combine(root, "bench", "results");
Directory.CreateDirectory(resultsDir);
File.WriteAllText(Path.Combine(resultsDir, "inference.json"), output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {Path.Combine(resultsDir, "inference.json")}");
return 0;

int IntArg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted[sorted.Length / 2];
}

static void Print(string name, JsonObject o) =>
    Console.WriteLine($"{name,-5} decode {(double)o["decodeTokensPerSecond"]!:F0} tok/s, prefill {(double)o["prefillTokensPerSecond"]!:F0} tok/s, " +
        $"TTFT {(double)o["timeToFirstTokenMs"]!:F2} ms, Run() share {(double)o["runShare"]!:P1}" +
        (o["managedBytesPerDecodeStep"] is { } b ? $", {(double)b:F0} managed bytes/step" : ""));

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "models", "tiny-stdlib-coder", "model.onnx")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("models/tiny-stdlib-coder not found");
}

static JsonObject? RunNode(string root, string modelDir, int threads, int newTokens, int runs)
{
    var script = Path.Combine(root, "bench", "inference", "node", "bench.mjs");
    if (!Directory.Exists(Path.Combine(root, "bench", "inference", "node", "node_modules", "onnxruntime-node")))
    {
        Console.WriteLine("node baseline skipped: run bench/inference/run.sh (installs onnxruntime-node) first");
        return null;
    }

    var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { script, modelDir, threads.ToString(CultureInfo.InvariantCulture), newTokens.ToString(CultureInfo.InvariantCulture), runs.ToString(CultureInfo.InvariantCulture) })
    {
        psi.ArgumentList.Add(a);
    }

    using var process = Process.Start(psi)!;
    var stdout = process.StandardOutput.ReadToEnd();
    var stderr = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        Console.WriteLine($"node baseline failed: {stderr}");
        return null;
    }

    return JsonNode.Parse(stdout.Trim().Split('\n')[^1])!.AsObject();
}
