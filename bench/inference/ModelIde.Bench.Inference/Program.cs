using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Bench.Inference;
using ModelIde.Core.Inference;
using ModelIde.Protocol;

// Benchmarks DecoderLanguageModel (greedy, KV cache) against two peers on the same file, threads and prompts: a plain
// onnxruntime-node loop and ONNX Runtime GenAI's own decode loop, rotating the three generation by generation so machine
// noise hits all alike. Models: models/tiny-stdlib-coder and the random-weight 173 M Qwen2-shaped decoder that
// bench/inference/run.sh generates into bench/.models/, as a plain fp32 export (qwen2-random) and in the GenAI builder's
// int4 shape (qwen2-random-int4: MatMulNBits + GroupQueryAttention + shared KV buffer). Also measures the peak resident
// memory of `modelide infer` generating from each model (and of the node worker). Prints a table of medians and writes
// bench/results/inference.json.
// Usage: dotnet run -c Release --project bench/inference/ModelIde.Bench.Inference -- [--threads N (2)] [--runs N (5)]
//   [--new-tokens N (128, tiny model)] [--large-new-tokens N (32)] [--long-prompt N (256)]
//   [--large-model DIR (bench/.models/qwen2-random)] [--int4-model DIR (bench/.models/qwen2-random-int4)]
//   [--models tiny,large,large-int4] [--no-node] [--no-genai] [--no-peak-rss] [--out FILE]
var threads = IntArg("--threads", 2);
var runs = IntArg("--runs", 5);
var root = FindRoot();
var tinyDir = Path.Combine(root, "models", "tiny-stdlib-coder");
var largeDir = Path.GetFullPath(Arg("--large-model") ?? Path.Combine(root, "bench", ".models", "qwen2-random"));
var int4Dir = Path.GetFullPath(Arg("--int4-model") ?? Path.Combine(root, "bench", ".models", "qwen2-random-int4"));
var which = (Arg("--models") ?? "tiny,large,large-int4").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var outFile = Arg("--out") ?? Path.Combine(root, "bench", "results", "inference.json");
var withNode = !args.Contains("--no-node");
var withGenAi = !args.Contains("--no-genai");
var withPeakRss = !args.Contains("--no-peak-rss");

using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(tinyDir, "reference.json")));
var cases = reference.RootElement.GetProperty("generation").EnumerateArray().ToArray();
var prompts = cases.Select(g => Ids(g, "prompt_ids")).ToArray();
// A long prompt of real code tokens for prompt-processing throughput: the reference prompts and their continuations.
var longPrompt = cases.SelectMany(g => Ids(g, "prompt_ids").Concat(Ids(g, "greedy_ids_onnxruntime"))).ToArray();
longPrompt = Enumerable.Repeat(longPrompt, 1 + IntArg("--long-prompt", 256) / Math.Max(1, longPrompt.Length)).SelectMany(x => x).Take(IntArg("--long-prompt", 256)).ToArray();

var loadBefore = LoadAverage();
Console.WriteLine($"threads {threads}, runs {runs}, {Environment.ProcessorCount} logical CPUs, load average {loadBefore}");
var sections = new JsonObject();
var specs = new List<(string Key, string Dir, int NewTokens, bool HasReference)>();
if (which.Contains("tiny"))
{
    specs.Add(("tiny-stdlib-coder", tinyDir, IntArg("--new-tokens", 128), true));
}

foreach (var (key, dir) in new[] { ("large", largeDir), ("large-int4", int4Dir) })
{
    if (!which.Contains(key))
    {
        continue;
    }

    if (File.Exists(Path.Combine(dir, "model.onnx")))
    {
        specs.Add((Path.GetFileName(dir), dir, IntArg("--large-new-tokens", 32), false));
    }
    else
    {
        Console.WriteLine($"{key} model skipped: {dir} not found (bench/inference/run.sh generates it)");
    }
}

foreach (var spec in specs)
{
    sections[spec.Key] = BenchModel(spec.Key, spec.Dir, spec.NewTokens, spec.HasReference);
}

var loadAfter = LoadAverage();
var tiny = sections["tiny-stdlib-coder"]?.AsObject();
var output = new JsonObject
{
    // The first fields keep their earlier meaning (the tiny model); every model has its section under "models".
    ["model"] = "tiny-stdlib-coder",
    ["machine"] = $"{Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
    ["newTokens"] = IntArg("--new-tokens", 128),
    ["runs"] = runs,
    ["csharp"] = tiny?["csharp"]?.DeepClone(),
    ["node"] = tiny?["node"]?.DeepClone(),
    ["decodeRatioCsharpOverNode"] = tiny?["ratios"]?["decode"]?.DeepClone(),
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
    ["loadAverage"] = new JsonObject { ["before"] = loadBefore, ["after"] = loadAfter },
    ["targets"] = Targets(sections),
    ["models"] = sections,
};
Directory.CreateDirectory(Path.GetDirectoryName(outFile)!);
File.WriteAllText(outFile, output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
Console.WriteLine();
PrintTable(sections);
Console.WriteLine($"load average before {loadBefore}, after {loadAfter}");
Console.WriteLine($"wrote {outFile}");
return 0;

JsonObject BenchModel(string key, string dir, int newTokens, bool hasReference)
{
    Console.WriteLine($"\n## {key}: {Describe(dir)}");
    var load = Stopwatch.StartNew();
    var model = DecoderLanguageModel.Load(dir, DevicePolicyKind.PreferCpu, threads: threads);
    load.Stop();
    using var node = withNode ? NodeWorker.Start(root, dir, threads) : null;
    var genai = withGenAi ? GenAiWorker.Start(dir, threads) : null;
    // Disposes the sessions current at the end (each run after the first loads them again).
    using var current = new OnDispose(() =>
    {
        model.Dispose();
        genai?.Dispose();
    });
    var stopIds = model.Config.EosTokenIds.ToArray();
    var options = new GenerationOptions { MaxNewTokens = newTokens };
    var prefillOnly = new GenerationOptions { MaxNewTokens = 1 };

    // Warm-up: JIT, ORT's arena and prepacked weights.
    WarmUp();
    node?.Generate(prompts[0], Math.Min(8, newTokens), stopIds);
    node?.Generate(longPrompt, 1, stopIds);

    // The KV-cache path must agree with recomputing from scratch: re-prefilling the prompt plus the first k generated
    // ids must pick generated id k. This checks a generated graph's mask, rotary positions and cache, which the
    // ModelIde-vs-node comparison cannot (both run the same graph).
    var cached = model.Generate(prompts[0], options with { MaxNewTokens = Math.Min(16, newTokens) }).TokenIds;
    var cacheConsistent = new[] { 1, cached.Count / 2, cached.Count - 1 }.Distinct().All(k =>
        model.Generate(prompts[0].Concat(cached.Take(k)).ToArray(), prefillOnly).TokenIds.SequenceEqual(cached.Skip(k).Take(1)));
    Console.WriteLine($"KV-cache decode vs recomputing the whole sequence: {(cacheConsistent ? "same tokens" : "DIFFERENT")}");

    var cs = new List<Sample>();
    var js = new List<Sample>();
    var gs = new List<Sample>();
    var csLong = new List<double>();
    var jsLong = new List<double>();
    var gsLong = new List<double>();
    var identical = true;
    var identicalGenAi = true;
    var matchesReference = true;
    for (var r = 0; r < runs; r++)
    {
        if (r > 0 && genai is not null)
        {
            // Of two sessions in one process, the one loaded earlier decodes slower: three identical ModelIde sessions
            // of the fp32 model, loaded before GenAI, ran at 0.955, 0.976 and 1.014 of it, in load order. ModelIde and
            // GenAI are loaded again for every run, GenAI first on odd runs, so that neither always has the earlier one.
            model.Dispose();
            genai.Dispose();
            if (r % 2 == 1)
            {
                genai = GenAiWorker.Start(dir, threads);
                model = DecoderLanguageModel.Load(dir, DevicePolicyKind.PreferCpu, threads: threads);
            }
            else
            {
                model = DecoderLanguageModel.Load(dir, DevicePolicyKind.PreferCpu, threads: threads);
                genai = GenAiWorker.Start(dir, threads);
            }

            WarmUp();
        }

        for (var i = 0; i < prompts.Length; i++)
        {
            // Rotate who goes first, so no loop always runs right after the same other one.
            Sample? c = null, j = null, q = null;
            for (var turn = 0; turn < 3; turn++)
            {
                Settle();
                switch ((turn + r + i) % 3)
                {
                    case 0:
                        c = RunCsharp(model, prompts[i], options);
                        break;
                    case 1:
                        j = node?.Generate(prompts[i], newTokens, stopIds);
                        break;
                    default:
                        q = genai?.Generate(prompts[i], newTokens, stopIds);
                        break;
                }
            }

            cs.Add(c!);
            if (j is not null)
            {
                js.Add(j);
                identical &= c!.Ids.SequenceEqual(j.Ids);
            }

            if (q is not null)
            {
                gs.Add(q);
                identicalGenAi &= c!.Ids.SequenceEqual(q.Ids);
            }

            if (hasReference)
            {
                var expected = Ids(cases[i], "greedy_ids_onnxruntime");
                var n = Math.Min(expected.Length, c!.Ids.Count);
                matchesReference &= c.Ids.Take(n).SequenceEqual(expected.Take(n));
            }

            // The long prompt rotates too. It runs after every prompt, not once per run, so that its median has as many
            // samples as decode's (runs × 4): one sample in a quiet round can be off by more than 10 %.
            for (var turn = 0; turn < 3; turn++)
            {
                Settle();
                switch ((turn + r + i) % 3)
                {
                    case 0:
                        csLong.Add(longPrompt.Length / RunCsharp(model, longPrompt, prefillOnly).TtftMs * 1000);
                        break;
                    case 1:
                        if (node is not null)
                        {
                            jsLong.Add(longPrompt.Length / node.Generate(longPrompt, 1, stopIds).TtftMs * 1000);
                        }

                        break;
                    default:
                        if (genai is not null)
                        {
                            gsLong.Add(longPrompt.Length / genai.Generate(longPrompt, 1, stopIds).TtftMs * 1000);
                        }

                        break;
                }
            }
        }
    }

    var csharp = Summary(cs, csLong);
    csharp["runtime"] = $"ModelIde C# (Microsoft.ML.OnnxRuntime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(3)})";
    csharp["managedBytesPerDecodeStep"] = Median(cs.Select(x => x.BytesPerStep));
    csharp["managedBytesPerTokenWholeGeneration"] = Median(cs.Select(x => x.BytesPerToken));
    csharp["loadMs"] = load.Elapsed.TotalMilliseconds;
    csharp["device"] = model.Device;
    var section = new JsonObject
    {
        ["directory"] = Path.GetRelativePath(root, dir),
        ["parameters"] = Parameters(dir),
        ["fileBytes"] = Directory.GetFiles(dir, "model.onnx*").Sum(f => new FileInfo(f).Length),
        ["newTokens"] = newTokens,
        ["promptTokens"] = new JsonArray(prompts.Select(p => (JsonNode)p.Length).ToArray()),
        ["longPromptTokens"] = longPrompt.Length,
        ["kvCacheMatchesRecompute"] = cacheConsistent,
        ["csharp"] = csharp,
    };
    // Peak resident memory of a whole `modelide infer` process generating from this model (the CLI runs the same Core
    // as the sidecar), beside the node worker's (its own process, after all its generations).
    // --no-peak-rss skips it (it builds and starts the CLI), e.g. to look at the managed-bytes figures alone.
    if (withPeakRss)
    {
        var prompt0 = cases[0].GetProperty("prompt").GetString()!;
        var (peakBytes, peakCommand) = PeakMemory.OfModelideInfer(root, dir, prompt0, newTokens, threads);
        var memory = new JsonObject { ["modelideInferPeakRssBytes"] = peakBytes, ["modelideInferCommand"] = peakCommand };
        if (node is not null && PeakMemory.VmHwm(node.ProcessId) is { } nodePeak)
        {
            memory["nodeWorkerPeakRssBytes"] = nodePeak;
        }

        section["memory"] = memory;
        Console.WriteLine($"peak RSS: modelide infer {peakBytes / 1048576.0:F0} MiB" +
            (memory["nodeWorkerPeakRssBytes"] is { } np ? $", node worker {(long)np / 1048576.0:F0} MiB" : ""));
    }

    if (genai is not null)
    {
        (section["genai"], section["ratiosGenAi"]) = PeerWithRatios(csharp, Summary(gs, gsLong), genai.Runtime, genai.LoadMs);
        section["pairedRatiosGenAi"] = Paired(cs, gs, csLong, gsLong);
        section["greedyIdsIdenticalToGenAi"] = identicalGenAi;
        Console.WriteLine($"greedy ids, ModelIde vs GenAI: {(identicalGenAi ? "identical" : "DIFFERENT")} on {prompts.Length} prompts x {runs} runs");
    }

    if (node is not null)
    {
        (section["node"], section["ratios"]) = PeerWithRatios(csharp, Summary(js, jsLong), node.Runtime, node.LoadMs);
        section["pairedRatios"] = Paired(cs, js, csLong, jsLong);
        section["greedyIdsIdenticalToNode"] = identical;
        Console.WriteLine($"greedy ids, ModelIde vs node loop: {(identical ? "identical" : "DIFFERENT")} on {prompts.Length} prompts x {runs} runs");
    }

    if (hasReference)
    {
        section["greedyMatchesReference"] = matchesReference;
        if (section["node"] is JsonObject peerSection)
        {
            peerSection["greedyMatchesReference"] = matchesReference && identical; // the field the node section always had
        }

        Console.WriteLine($"greedy ids vs reference.json (onnxruntime in Python): {(matchesReference ? "identical" : "DIFFERENT")}");
    }

    return section;

    void WarmUp()
    {
        model.Generate(prompts[0], options with { MaxNewTokens = Math.Min(8, newTokens) });
        model.Generate(longPrompt, prefillOnly);
        genai?.Generate(prompts[0], Math.Min(8, newTokens), stopIds);
        genai?.Generate(longPrompt, 1, stopIds);
    }
}

JsonObject Summary(List<Sample> samples, List<double> longPrefill) => new()
{
    ["threads"] = threads,
    ["decodeTokensPerSecond"] = Median(samples.Select(x => x.DecodeTokensPerSecond)),
    ["decodeTokensPerSecondMin"] = samples.Min(x => x.DecodeTokensPerSecond),
    ["decodeTokensPerSecondMax"] = samples.Max(x => x.DecodeTokensPerSecond),
    ["prefillTokensPerSecond"] = Median(samples.Select(x => x.PromptTokens / x.TtftMs * 1000)),
    ["prefillLongPromptTokensPerSecond"] = Median(longPrefill),
    ["timeToFirstTokenMs"] = Median(samples.Select(x => x.TtftMs)),
    ["runShare"] = samples.All(x => double.IsNaN(x.RunShare)) ? null : Median(samples.Select(x => x.RunShare)),
    ["generatedTokens"] = samples.Sum(x => x.Ids.Count),
};

// After its last Run an ONNX Runtime intra-op thread keeps spinning for work (2^20 spins: here the process burns a core
// for 30-50 ms after each generation, ModelIde's and GenAI's alike), and a loop started right then would share a core
// with it. The sidecar runs one model at a time, so every loop starts once the previous loop's threads are idle.
static void Settle() => Thread.Sleep(100);

Sample RunCsharp(DecoderLanguageModel model, int[] prompt, GenerationOptions options)
{
    var before = GC.GetAllocatedBytesForCurrentThread();
    var r = model.Generate(prompt, options, static _ => { });
    var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
    return new Sample(r.TokenIds, r.PromptTokens, r.TimeToFirstToken.TotalMilliseconds, r.DecodeTokensPerSecond, r.RunShare,
        r.ManagedBytesPerDecodeStep, bytes / (double)Math.Max(1, r.TokenIds.Count));
}

JsonObject Targets(JsonObject all)
{
    var t = new JsonObject();
    foreach (var (name, s) in all)
    {
        var c = s!["csharp"]!;
        t[name] = new JsonObject
        {
            ["decodeAtLeastNode"] = s["ratios"] is { } r ? (double)r["decode"]! >= 1.0 : null,
            ["decodeAtLeastGenAi"] = s["ratiosGenAi"] is { } rg ? (double)rg["decode"]! >= 1.0 : null,
            ["prefillAtLeastBestPeer"] = BestPeerRatio(s.AsObject(), "prefillLongPromptTokensPerSecond") is { } pr ? pr >= 1.0 : null,
            ["decodeRatioOverBestPeer"] = BestPeerRatio(s.AsObject(), "decodeTokensPerSecond"),
            ["prefillRatioOverBestPeer"] = BestPeerRatio(s.AsObject(), "prefillLongPromptTokensPerSecond"),
            ["runShareAtLeast95Percent"] = (double)c["runShare"]! >= 0.95,
            ["under4KBPerToken"] = (double)c["managedBytesPerTokenWholeGeneration"]! < 4096,
        };
    }

    return t;
}

// ModelIde over the faster of node and GenAI on one figure (higher is better).
static double? BestPeerRatio(JsonObject section, string key)
{
    var peers = new[] { "node", "genai" }.Where(p => section[p] is JsonObject).Select(p => (double)section[p]![key]!).ToArray();
    return peers.Length == 0 || peers.Max() == 0 ? null : (double)section["csharp"]![key]! / peers.Max();
}

static void PrintTable(JsonObject all)
{
    Console.WriteLine($"{"model",-20} {"loop",-9} {"decode tok/s",14} {"(min-max)",13} {"prefill tok/s",14} {"long-prompt tok/s",18} {"TTFT ms",9} {"Run share",10} {"B/step",7} {"B/token",8}");
    foreach (var (name, s) in all)
    {
        var c = s!["csharp"]!.AsObject();
        Row(name, "ModelIde", c);
        if (s["node"] is JsonObject n)
        {
            Row("", "node", n);
            var r = s["ratios"]!;
            Console.WriteLine($"{"",-20} {"ratio",-9} {R(r["decode"]),14} {"",13} {R(r["prefill"]),14} {R(r["prefillLongPrompt"]),18} {R(r["timeToFirstToken"]),9}");
            PairedRow(s["pairedRatios"]);
        }

        if (s["genai"] is JsonObject ga)
        {
            Row("", "GenAI", ga);
            var r = s["ratiosGenAi"]!;
            Console.WriteLine($"{"",-20} {"ratio",-9} {R(r["decode"]),14} {"",13} {R(r["prefill"]),14} {R(r["prefillLongPrompt"]),18} {R(r["timeToFirstToken"]),9}");
            PairedRow(s["pairedRatiosGenAi"]);
        }

        if (s["memory"] is JsonObject m)
        {
            Console.WriteLine($"{"",-20} peak RSS: modelide infer {(long)m["modelideInferPeakRssBytes"]! / 1048576.0:F0} MiB" +
                (m["nodeWorkerPeakRssBytes"] is { } np ? $", node worker {(long)np / 1048576.0:F0} MiB" : ""));
        }
    }

    static string R(JsonNode? v) => v is null ? "" : $"{(double)v:F2}x";

    static void PairedRow(JsonNode? p)
    {
        if (p is not null)
        {
            Console.WriteLine($"{"",-20} {"paired",-9} {R(p["decode"]),14} {$"{(double)p["decodeMin"]!:F2}-{(double)p["decodeMax"]!:F2}",13} {"",14} " +
                $"{$"{R(p["prefillLongPrompt"])} ({(double)p["prefillLongPromptMin"]!:F2}-{(double)p["prefillLongPromptMax"]!:F2})",18}");
        }
    }

    static void Row(string model, string loop, JsonObject o)
    {
        var bytes = o["managedBytesPerDecodeStep"] is { } b ? $"{(double)b,7:F0} {(double)o["managedBytesPerTokenWholeGeneration"]!,8:F0}" : "";
        var range = $"{(double)o["decodeTokensPerSecondMin"]!:F1}-{(double)o["decodeTokensPerSecondMax"]!:F1}";
        Console.WriteLine($"{model,-20} {loop,-9} {(double)o["decodeTokensPerSecond"]!,14:F1} {range,13} {(double)o["prefillTokensPerSecond"]!,14:F0} " +
            $"{(double)o["prefillLongPromptTokensPerSecond"]!,18:F0} {(double)o["timeToFirstTokenMs"]!,9:F2} {(o["runShare"] is { } share ? ((double)share).ToString("P1", CultureInfo.InvariantCulture) : "n/a"),10} {bytes}");
    }
}

// A peer's summary with its runtime and load time, and ModelIde's ratios to it.
static (JsonObject Peer, JsonObject Ratios) PeerWithRatios(JsonObject csharp, JsonObject peer, string runtime, double loadMs)
{
    peer["runtime"] = runtime;
    peer["loadMs"] = loadMs;
    return (peer, new JsonObject
    {
        ["decode"] = Ratio(csharp, peer, "decodeTokensPerSecond"),
        ["prefill"] = Ratio(csharp, peer, "prefillTokensPerSecond"),
        ["prefillLongPrompt"] = Ratio(csharp, peer, "prefillLongPromptTokensPerSecond"),
        ["timeToFirstToken"] = Ratio(csharp, peer, "timeToFirstTokenMs"),
    });
}

// The median of ModelIde's ratio to the peer within each round (the same prompt, back to back), with its range: load that
// drifts over the run moves both sides of a pair alike, where it moves one median more than the other.
static JsonObject Paired(List<Sample> ours, List<Sample> peer, List<double> oursLong, List<double> peerLong)
{
    var decode = ours.Zip(peer, (a, b) => a.DecodeTokensPerSecond / b.DecodeTokensPerSecond).ToArray();
    var prefill = oursLong.Zip(peerLong, (a, b) => a / b).ToArray();
    return new JsonObject
    {
        ["decode"] = Median(decode),
        ["decodeMin"] = decode.Min(),
        ["decodeMax"] = decode.Max(),
        ["prefillLongPrompt"] = Median(prefill),
        ["prefillLongPromptMin"] = prefill.Min(),
        ["prefillLongPromptMax"] = prefill.Max(),
        ["pairs"] = decode.Length,
    };
}

static double? Ratio(JsonObject a, JsonObject b, string key) => (double)b[key]! == 0 ? null : (double)a[key]! / (double)b[key]!;

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static int[] Ids(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

// Qwen2 with tied embeddings, from config.json: what generated.json and the tiny model's README report.
static long? Parameters(string dir)
{
    var c = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
    long V = (int)c["vocab_size"]!, H = (int)c["hidden_size"]!, I = (int)c["intermediate_size"]!, L = (int)c["num_hidden_layers"]!;
    long kv = (int)c["num_key_value_heads"]! * (H / (int)c["num_attention_heads"]!);
    return V * H + L * (2 * H * H + H + 2 * (H * kv + kv) + 3 * H * I + 2 * H) + H;
}

static string Describe(string dir)
{
    var c = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
    var bytes = Directory.GetFiles(dir, "model.onnx*").Sum(f => new FileInfo(f).Length);
    return $"{Parameters(dir) / 1e6:F1} M parameters (hidden {c["hidden_size"]}, {c["num_hidden_layers"]} layers, " +
        $"{c["num_attention_heads"]}/{c["num_key_value_heads"]} heads, MLP {c["intermediate_size"]}, vocab {c["vocab_size"]}), {c["torch_dtype"] ?? c["dtype"] ?? "float32"}, {bytes / 1e6:F0} MB";
}

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int IntArg(string name, int fallback) => Arg(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

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

/// <summary>Runs an action on Dispose: releases whichever sessions a benchmark holds when it ends.</summary>
internal sealed class OnDispose(Action action) : IDisposable
{
    public void Dispose() => action();
}
