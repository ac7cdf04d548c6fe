using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Bench.GenerateQwen2;

// Writes a Qwen2-shaped decoder with random weights (N(0, 0.02), fixed seed) as ONNX, with the same inputs, outputs
// and kinds of ops as models/tiny-stdlib-coder (a plain torch export: RMSNorm from Pow/ReduceMean/Sqrt, rotary from
// Slice/Neg/Concat, KV cache by Concat, grouped-query heads by Tile), plus genai_config.json, config.json and the
// tiny model's tokenizer files, so DecoderLanguageModel and a plain onnxruntime loop load it as they load the tiny one.
// Speed does not depend on the weight values. The output folder is reused while generated.json matches the request.
// --layout genai-int4 writes the same weights, quantized, in the shape the ONNX Runtime GenAI model builder gives a CPU
// int4 export (src/python/py/models/builders/base.py): MatMulNBits (4 bits, blocks of 32, symmetric, accuracy level 4)
// for every projection and the tied lm_head, packed QKV, GroupQueryAttention with rotary inside (cos/sin caches, no
// position_ids), seqlens_k / total_sequence_length from the mask, (Skip)SimplifiedLayerNormalization, and a
// genai_config.json with past_present_share_buffer, so GenAI, onnxruntime-node and ModelIde all run the same file.
// --layout plain-fp16 is the plain graph as a float16 torch export writes it (what GPU users download): weights, KV
// cache, activations and logits in float16, with RMSNorm and softmax computed in float32 between Casts (Qwen2's
// modeling code upcasts both) and the rotary tables computed in float32 and cast down.
//   dotnet run -c Release --project bench/models/GenerateQwen2 -- --out DIR [--from models/tiny-stdlib-coder]
//     [--layout plain|plain-fp16|genai-int4] [--hidden 1024] [--layers 14] [--heads 16] [--kv-heads 4] [--intermediate 3072]
//     [--seed 20261123] [--force]
const int GeneratorVersion = 1;
var layout = Arg("--layout") ?? "plain";
if (layout is not ("plain" or "plain-fp16" or "genai-int4"))
{
    throw new ArgumentException("--layout is plain, plain-fp16 or genai-int4");
}

var outDir = Path.GetFullPath(Arg("--out") ?? throw new ArgumentException("--out DIR is required"));
var fromDir = Path.GetFullPath(Arg("--from") ?? Path.Combine("models", "tiny-stdlib-coder"));
var hidden = IntArg("--hidden", 1024);
var layers = IntArg("--layers", 14);
var heads = IntArg("--heads", 16);
var kvHeads = IntArg("--kv-heads", 4);
var intermediate = IntArg("--intermediate", 3072);
var seed = IntArg("--seed", 20261123);
const int Context = 2048;
const double RopeTheta = 10000.0;
const float Eps = 1e-6f;
if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0)
{
    throw new ArgumentException("hidden must split into heads of even size, and heads into kv-heads groups");
}

var head = hidden / heads;
var kvDim = kvHeads * head;
using var tokenizerDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fromDir, "tokenizer.json")));
var specials = tokenizerDoc.RootElement.GetProperty("added_tokens").EnumerateArray().Select(t => t.GetProperty("id").GetInt32()).ToHashSet();
var sourceGenai = JsonNode.Parse(File.ReadAllText(Path.Combine(fromDir, "genai_config.json")))!;
var vocab = sourceGenai["model"]!["vocab_size"]!.GetValue<int>();
var eos = sourceGenai["model"]!["eos_token_id"]!.GetValue<int>();

// Tied embeddings count once, as in Qwen2's config (tie_word_embeddings).
var perLayer = (long)hidden * hidden + hidden + 2L * (hidden * (long)kvDim + kvDim) + (long)hidden * hidden + 3L * hidden * intermediate + 2L * hidden;
var parameters = (long)vocab * hidden + layers * perLayer + hidden;
var request = new JsonObject
{
    ["generatorVersion"] = GeneratorVersion,
    ["architecture"] = "Qwen2ForCausalLM (random weights)",
    ["hidden_size"] = hidden,
    ["num_hidden_layers"] = layers,
    ["num_attention_heads"] = heads,
    ["num_key_value_heads"] = kvHeads,
    ["intermediate_size"] = intermediate,
    ["vocab_size"] = vocab,
    ["seed"] = seed,
    ["tokenizer_from"] = Path.GetFileName(fromDir),
    ["parameters"] = parameters,
};
if (layout != "plain")
{
    // Absent for the plain export, so a folder generated before layouts existed is still recognised.
    request["layout"] = layout;
}

var stampPath = Path.Combine(outDir, "generated.json");
if (!Args().Contains("--force") && File.Exists(stampPath) && File.Exists(Path.Combine(outDir, "model.onnx.data")))
{
    var stamp = JsonNode.Parse(File.ReadAllText(stampPath))!.AsObject();
    var same = request.All(kv => JsonNode.DeepEquals(kv.Value, stamp[kv.Key]));
    if (same)
    {
        Console.WriteLine($"cached: {outDir} ({Describe(stamp["parameters"]!.GetValue<long>(), stamp["bytes"]!.GetValue<long>())})");
        return 0;
    }
}

Directory.CreateDirectory(outDir);
File.Delete(stampPath); // written last: a half-written folder is never taken for a finished one
var clock = Stopwatch.StartNew();
var dataPath = Path.Combine(outDir, "model.onnx.data");
byte[] model;
using (var data = new FileStream(dataPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
{
    var g = new OnnxGraph(data, "model.onnx.data");
    model = layout switch
    {
        "plain" => Build(g, fp16: false),
        "plain-fp16" => Build(g, fp16: true),
        _ => BuildGenaiInt4(g),
    };
    data.SetLength(data.Position);
}

File.WriteAllBytes(Path.Combine(outDir, "model.onnx"), model);
foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
{
    File.Copy(Path.Combine(fromDir, f), Path.Combine(outDir, f), overwrite: true);
}

WriteConfigs();
var bytes = new FileInfo(dataPath).Length + model.Length;
request["bytes"] = bytes;
File.WriteAllText(stampPath, request.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"generated {outDir} in {clock.Elapsed.TotalSeconds:F1} s ({Describe(parameters, bytes)})");
return 0;

string Describe(long p, long b) =>
    $"{p / 1e6:F1} M parameters: hidden {hidden}, {layers} layers, {heads}/{kvHeads} heads, MLP {intermediate}, vocab {vocab}; " +
    $"{layout switch { "plain" => "float32", "plain-fp16" => "float16", _ => "int4 MatMulNBits + GroupQueryAttention" }}, {b / 1e6:F0} MB";

// fp16: the same graph in float16 (see --layout plain-fp16); for float32 the Casts below are not written at all, so the
// plain file is the one the generator always wrote.
byte[] Build(OnnxGraph g, bool fp16)
{
    var t = fp16 ? OnnxGraph.Float16 : OnnxGraph.Float;
    g.Input("input_ids", OnnxGraph.Int64, "batch_size", "sequence_length");
    g.Input("attention_mask", OnnxGraph.Int64, "batch_size", "total_sequence_length");
    g.Input("position_ids", OnnxGraph.Int64, "batch_size", "sequence_length");
    for (var i = 0; i < layers; i++)
    {
        g.Input($"past_key_values.{i}.key", t, "batch_size", kvHeads, "past_sequence_length", head);
        g.Input($"past_key_values.{i}.value", t, "batch_size", kvHeads, "past_sequence_length", head);
    }

    g.Output("logits", t, "batch_size", "sequence_length", vocab);
    for (var i = 0; i < layers; i++)
    {
        g.Output($"present.{i}.key", t, "batch_size", kvHeads, "total_sequence_length", head);
        g.Output($"present.{i}.value", t, "batch_size", kvHeads, "total_sequence_length", head);
    }

    // Constants.
    var axisLast = g.ConstInt64("axes_last", [-1]);
    var axis1 = g.ConstInt64("axes_1", [1]);
    var axis2 = g.ConstInt64("axes_2", [2]);
    var axes12 = g.ConstInt64("axes_1_2", [1, 2]);
    var index1 = g.ConstInt64("index_1", [1], scalar: true);
    var zeroI = g.ConstInt64("zero_i64", [0], scalar: true);
    var oneI = g.ConstInt64("one_i64", [1], scalar: true);
    var two = g.ConstFloat("two", [2f], scalar: true);
    var eps = g.ConstFloat("rms_eps", [Eps], scalar: true);
    var one = g.ConstFloat("one", [1f], scalar: true);
    var zeroF = g.ConstFloat("zero_f", [0f], scalar: true);
    var minF = g.ConstFloat("min_f", [float.MinValue], scalar: true);
    var scale = g.ConstFloat("sqrt_head", [MathF.Sqrt(head)], scalar: true);
    var invFreq = g.ConstFloat("inv_freq", Enumerable.Range(0, head / 2).Select(i => (float)(1.0 / Math.Pow(RopeTheta, 2.0 * i / head))).ToArray());
    var qShape = g.ConstInt64("q_shape", [0, 0, heads, head]);
    var kvShape = g.ConstInt64("kv_shape", [0, 0, kvHeads, head]);
    var repeats = g.ConstInt64("kv_repeats", [1, 1, heads / kvHeads, 1, 1]);
    var groupedShape = g.ConstInt64("grouped_shape", [0, heads, -1, head]);
    var mergedShape = g.ConstInt64("merged_shape", [0, 0, hidden]);
    var start0 = g.ConstInt64("slice_0", [0]);
    var half = g.ConstInt64("slice_half", [head / 2]);
    var end = g.ConstInt64("slice_end", [head]);
    var axis3 = g.ConstInt64("axes_3", [3]);

    var embedding = RandomEmbedding();

    var embed = Weight("model.embed_tokens.weight", [vocab, hidden], (o, s) => embedding.AsSpan((int)o, s.Length).CopyTo(s));
    var x0 = g.Node("Gather", [embed, "input_ids"], attributes: ("axis", 0L));

    // Rotary tables [b, 1, s, head] from position_ids.
    var pos = g.Node("Cast", ["position_ids"], attributes: ("to", (long)OnnxGraph.Float));
    var freqs = g.Node("Mul", [g.Node("Unsqueeze", [pos, axisLast]), invFreq]);
    var angles = g.Node("Concat", [freqs, freqs], attributes: ("axis", -1L));
    var cos = ToModelType(g.Node("Unsqueeze", [g.Node("Cos", [angles]), axis1]));
    var sin = ToModelType(g.Node("Unsqueeze", [g.Node("Sin", [angles]), axis1]));

    // Additive mask [b, 1, s, total]: causal over absolute positions, and attention_mask for padding.
    var seq = g.Node("Gather", [g.Node("Shape", ["input_ids"]), index1], attributes: ("axis", 0L));
    var total = g.Node("Gather", [g.Node("Shape", ["attention_mask"]), index1], attributes: ("axis", 0L));
    var past = g.Node("Sub", [total, seq]);
    var queryPos = g.Node("Unsqueeze", [g.Node("Range", [past, total, oneI]), axis1]);
    var keyPos = g.Node("Range", [zeroI, total, oneI]);
    var causal = g.Node("LessOrEqual", [keyPos, queryPos]);
    var padding = g.Node("Unsqueeze", [g.Node("Greater", ["attention_mask", zeroI]), axes12]);
    var bias = g.Node("Where", [g.Node("And", [causal, padding]), zeroF, minF]);

    var x = x0;
    for (var l = 0; l < layers; l++)
    {
        var p = $"model.layers.{l}.";
        var h = RmsNorm(x, p + "input_layernorm.weight");
        var q = Heads(Linear(h, p + "self_attn.q_proj", hidden, hidden, bias: true), qShape);
        var k = Heads(Linear(h, p + "self_attn.k_proj", hidden, kvDim, bias: true), kvShape);
        var v = Heads(Linear(h, p + "self_attn.v_proj", hidden, kvDim, bias: true), kvShape);
        q = Rotary(q);
        k = Rotary(k);
        var keys = g.Node("Concat", [$"past_key_values.{l}.key", k], $"present.{l}.key", ("axis", 2L));
        var values = g.Node("Concat", [$"past_key_values.{l}.value", v], $"present.{l}.value", ("axis", 2L));
        var scores = g.Node("Div", [ToFloat(g.Node("MatMul", [q, g.Node("Transpose", [Grouped(keys)], attributes: ("perm", new long[] { 0, 1, 3, 2 }))])), scale]);
        var probs = ToModelType(g.Node("Softmax", [g.Node("Add", [scores, bias])], attributes: ("axis", -1L)));
        var context = g.Node("Transpose", [g.Node("MatMul", [probs, Grouped(values)])], attributes: ("perm", new long[] { 0, 2, 1, 3 }));
        x = g.Node("Add", [x, Linear(g.Node("Reshape", [context, mergedShape]), p + "self_attn.o_proj", hidden, hidden, bias: false)]);

        h = RmsNorm(x, p + "post_attention_layernorm.weight");
        var gate = Linear(h, p + "mlp.gate_proj", hidden, intermediate, bias: false);
        var up = Linear(h, p + "mlp.up_proj", hidden, intermediate, bias: false);
        var act = g.Node("Mul", [g.Node("Mul", [gate, g.Node("Sigmoid", [gate])]), up]);
        x = g.Node("Add", [x, Linear(act, p + "mlp.down_proj", intermediate, hidden, bias: false)]);
    }

    var final = RmsNorm(x, "model.norm.weight");
    var lmHead = Weight("lm_head.weight", [hidden, vocab], (o, s) =>
    {
        for (var i = 0; i < s.Length; i++)
        {
            var flat = o + i;
            s[i] = embedding[flat % vocab * hidden + flat / vocab];
        }
    });
    g.Node("MatMul", [final, lmHead], "logits");
    return g.ToModel("qwen2_random", 17, "ModelIde bench/models/GenerateQwen2");

    string RmsNorm(string input, string weightName)
    {
        var w = Weight(weightName, [hidden], (_, s) => s.Fill(1f));
        var x32 = ToFloat(input);
        var mean = g.Node("ReduceMean", [g.Node("Pow", [x32, two])], attributes: [("axes", new long[] { -1 }), ("keepdims", 1L)]);
        var inv = g.Node("Div", [one, g.Node("Sqrt", [g.Node("Add", [mean, eps])])]);
        return g.Node("Mul", [w, ToModelType(g.Node("Mul", [x32, inv]))]);
    }

    string Weight(string name, long[] dims, Action<long, Span<float>> fill) => fp16 ? g.WeightHalf(name, dims, fill) : g.Weight(name, dims, fill);

    string ToFloat(string x) => fp16 ? g.Node("Cast", [x], attributes: ("to", (long)OnnxGraph.Float)) : x;

    string ToModelType(string x) => fp16 ? g.Node("Cast", [x], attributes: ("to", (long)OnnxGraph.Float16)) : x;

    string Linear(string input, string name, int inFeatures, int outFeatures, bool bias)
    {
        var wRng = new Normal(seed, name + ".weight");
        var y = g.Node("MatMul", [input, Weight(name + ".weight", [inFeatures, outFeatures], (_, s) => wRng.Fill(s))]);
        if (!bias)
        {
            return y;
        }

        var bRng = new Normal(seed, name + ".bias");
        return g.Node("Add", [Weight(name + ".bias", [outFeatures], (_, s) => bRng.Fill(s)), y]);
    }

    // [b, s, n*head] → [b, n, s, head]
    string Heads(string input, string shape) =>
        g.Node("Transpose", [g.Node("Reshape", [input, shape])], attributes: ("perm", new long[] { 0, 2, 1, 3 }));

    // x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1]
    string Rotary(string input)
    {
        var x1 = g.Node("Slice", [input, start0, half, axis3]);
        var x2 = g.Node("Slice", [input, half, end, axis3]);
        var rotated = g.Node("Concat", [g.Node("Neg", [x2]), x1], attributes: ("axis", -1L));
        return g.Node("Add", [g.Node("Mul", [input, cos]), g.Node("Mul", [rotated, sin])]);
    }

    // [b, kv, t, head] → [b, heads, t, head], each KV head repeated for its group of query heads
    string Grouped(string kv) =>
        g.Node("Reshape", [g.Node("Tile", [g.Node("Unsqueeze", [kv, axis2]), repeats]), groupedShape]);
}

// The GenAI builder's CPU int4 graph over the same weights (the same Normal streams as Build), quantized here.
byte[] BuildGenaiInt4(OnnxGraph g)
{
    const string Ms = "com.microsoft";
    g.Input("input_ids", OnnxGraph.Int64, "batch_size", "sequence_length");
    g.Input("attention_mask", OnnxGraph.Int64, "batch_size", "total_sequence_length");
    for (var i = 0; i < layers; i++)
    {
        g.Input($"past_key_values.{i}.key", OnnxGraph.Float, "batch_size", kvHeads, "past_sequence_length", "kv_cache_dim");
        g.Input($"past_key_values.{i}.value", OnnxGraph.Float, "batch_size", kvHeads, "past_sequence_length", "kv_cache_dim");
    }

    g.Output("logits", OnnxGraph.Float, "batch_size", "sequence_length", vocab);
    for (var i = 0; i < layers; i++)
    {
        g.Output($"present.{i}.key", OnnxGraph.Float, "batch_size", kvHeads, "total_sequence_length", "kv_cache_dim");
        g.Output($"present.{i}.value", OnnxGraph.Float, "batch_size", kvHeads, "total_sequence_length", "kv_cache_dim");
    }

    // attention_mask -> seqlens_k = ReduceSum - 1 and total_sequence_length = Shape[1], both int32, as GQA takes them.
    var seqlensK = g.Node("Cast", [g.Node("Sub", [
        g.Node("ReduceSum", ["attention_mask", g.ConstInt64("axes_1", [1])], attributes: ("keepdims", 0L)),
        g.ConstInt64("one_i64", [1], scalar: true)])], attributes: ("to", (long)OnnxGraph.Int32));
    var totalLength = g.Node("Cast", [g.Node("Gather", [g.Node("Shape", ["attention_mask"]), g.ConstInt64("index_1", [1], scalar: true)], attributes: ("axis", 0L))],
        attributes: ("to", (long)OnnxGraph.Int32));

    var invFreq = Enumerable.Range(0, head / 2).Select(i => (float)(1.0 / Math.Pow(RopeTheta, 2.0 * i / head))).ToArray();
    var cosCache = g.Weight("cos_cache", [Context, head / 2], (o, s) => { for (var i = 0; i < s.Length; i++) { s[i] = MathF.Cos((o + i) / (head / 2) * invFreq[(o + i) % (head / 2)]); } });
    var sinCache = g.Weight("sin_cache", [Context, head / 2], (o, s) => { for (var i = 0; i < s.Length; i++) { s[i] = MathF.Sin((o + i) / (head / 2) * invFreq[(o + i) % (head / 2)]); } });

    var embedding = RandomEmbedding();

    var embed = g.Weight("model.embed_tokens.weight", [vocab, hidden], (o, s) => embedding.AsSpan((int)o, s.Length).CopyTo(s));
    var residual = g.Node("Gather", [embed, "input_ids"], attributes: ("axis", 0L));
    var normed = g.Node("SimplifiedLayerNormalization", [residual, Ones("model.layers.0.input_layernorm.weight")],
        attributes: [("axis", -1L), ("epsilon", Eps), ("stash_type", 1L)]);
    for (var l = 0; l < layers; l++)
    {
        var p = $"model.layers.{l}.";
        // Packed QKV: the q, k and v weights side by side ([hidden, hidden + 2 kv]), then their biases.
        var q = Dense(p + "self_attn.q_proj.weight", hidden, hidden);
        var k = Dense(p + "self_attn.k_proj.weight", hidden, kvDim);
        var v = Dense(p + "self_attn.v_proj.weight", hidden, kvDim);
        var qkvWidth = hidden + 2 * kvDim;
        var qkv = new float[(long)hidden * qkvWidth];
        for (var r = 0; r < hidden; r++)
        {
            q.AsSpan(r * hidden, hidden).CopyTo(qkv.AsSpan(r * qkvWidth));
            k.AsSpan(r * kvDim, kvDim).CopyTo(qkv.AsSpan(r * qkvWidth + hidden));
            v.AsSpan(r * kvDim, kvDim).CopyTo(qkv.AsSpan(r * qkvWidth + hidden + kvDim));
        }

        var bias = Dense(p + "self_attn.q_proj.bias", 1, hidden).Concat(Dense(p + "self_attn.k_proj.bias", 1, kvDim)).Concat(Dense(p + "self_attn.v_proj.bias", 1, kvDim)).ToArray();
        var packed = g.Node("Add", [Int4(normed, p + "attn.qkv_proj", hidden, qkvWidth, (r, c) => qkv[(long)r * qkvWidth + c]),
            g.Weight(p + "attn.qkv_proj.bias", [qkvWidth], (o, s) => bias.AsSpan((int)o, s.Length).CopyTo(s))]);
        var attention = g.Node("GroupQueryAttention",
            [packed, "", "", $"past_key_values.{l}.key", $"past_key_values.{l}.value", seqlensK, totalLength, cosCache, sinCache],
            [$"/model/layers.{l}/attn/GroupQueryAttention/output_0", $"present.{l}.key", $"present.{l}.value"], Ms,
            ("num_heads", (long)heads), ("kv_num_heads", (long)kvHeads), ("scale", 1f / MathF.Sqrt(head)), ("local_window_size", -1L),
            ("softcap", 0f), ("do_rotary", 1L), ("rotary_interleaved", 0L));
        var o = Dense(p + "self_attn.o_proj.weight", hidden, hidden);
        var attnOut = Int4(attention, p + "attn.o_proj", hidden, hidden, (r, c) => o[(long)r * hidden + c]);
        var post = $"/model/layers.{l}/post_attention_layernorm/";
        normed = g.Node("SkipSimplifiedLayerNormalization", [residual, attnOut, Ones(p + "post_attention_layernorm.weight")],
            [post + "output_0", "", "", post + "output_3"], Ms, ("epsilon", Eps));
        residual = post + "output_3";
        var gateW = Dense(p + "mlp.gate_proj.weight", hidden, intermediate);
        var upW = Dense(p + "mlp.up_proj.weight", hidden, intermediate);
        var downW = Dense(p + "mlp.down_proj.weight", intermediate, hidden);
        var gate = Int4(normed, p + "mlp.gate_proj", hidden, intermediate, (r, c) => gateW[(long)r * intermediate + c]);
        var up = Int4(normed, p + "mlp.up_proj", hidden, intermediate, (r, c) => upW[(long)r * intermediate + c]);
        var act = g.Node("Mul", [g.Node("Mul", [gate, g.Node("Sigmoid", [gate])]), up]);
        var down = Int4(act, p + "mlp.down_proj", intermediate, hidden, (r, c) => downW[(long)r * hidden + c]);
        var last = l == layers - 1;
        var next = last ? $"/model/layers.{layers}/final_norm_layernorm/" : $"/model/layers.{l + 1}/input_layernorm/";
        normed = g.Node("SkipSimplifiedLayerNormalization", [residual, down, Ones(last ? "model.norm.weight" : $"model.layers.{l + 1}.input_layernorm.weight")],
            last ? [next + "output_0"] : [next + "output_0", "", "", next + "output_3"], Ms, ("epsilon", Eps));
        residual = next + "output_3";
    }

    // Tied lm_head: column v of [hidden, vocab] is embedding row v.
    var logits = Int4(normed, "lm_head", hidden, vocab, (r, c) => embedding[(long)c * hidden + r]);
    g.Node("Identity", [logits], "logits");
    return g.ToModel("qwen2_random_genai_int4", 17, "ModelIde bench/models/GenerateQwen2 (onnxruntime-genai builder shape)", contribOps: true);

    string Ones(string name) => g.Weight(name, [hidden], (_, s) => s.Fill(1f));

    float[] Dense(string name, int rows, int cols)
    {
        var w = new float[(long)rows * cols];
        new Normal(seed, name).Fill(w);
        return w;
    }

    // MatMulNBits: B [N, K/32, 16] (two 4-bit values a byte, low nibble first), scales [N * K/32], zero point 8.
    string Int4(string input, string name, int k, int n, Func<int, int, float> at)
    {
        const int Block = 32;
        var blocks = (k + Block - 1) / Block;
        var packedBytes = new byte[(long)n * blocks * (Block / 2)];
        var scales = new float[(long)n * blocks];
        Parallel.For(0, n, c =>
        {
            Span<byte> q = stackalloc byte[Block];
            for (var b = 0; b < blocks; b++)
            {
                var max = 0f;
                for (var j = 0; j < Block && b * Block + j < k; j++)
                {
                    max = Math.Max(max, Math.Abs(at(b * Block + j, c)));
                }

                var scale = max == 0 ? 1f : max / 7f;
                for (var j = 0; j < Block; j++)
                {
                    var value = b * Block + j < k ? at(b * Block + j, c) : 0f;
                    q[j] = (byte)Math.Clamp(MathF.Round(value / scale) + 8, 0, 15);
                }

                var at0 = ((long)c * blocks + b) * (Block / 2);
                for (var j = 0; j < Block / 2; j++)
                {
                    packedBytes[at0 + j] = (byte)(q[2 * j] | (q[2 * j + 1] << 4));
                }

                scales[(long)c * blocks + b] = scale;
            }
        });
        var weight = g.WeightBytes(name + ".MatMul.weight_Q4G32", [n, blocks, Block / 2], packedBytes);
        var scaleName = g.Weight(name + ".MatMul.weight_scales", [(long)n * blocks], (o, s) => scales.AsSpan((int)o, s.Length).CopyTo(s));
        return g.Node("MatMulNBits", [input, weight, scaleName], [$"/{name.Replace('.', '/')}/MatMulNBits/output_0"], Ms,
            ("K", (long)k), ("N", (long)n), ("bits", 4L), ("block_size", (long)Block), ("accuracy_level", 4L));
    }
}

// Both layouts share one embedding (lm_head is its transpose): the same seed gives the same weights in either file.
// Special tokens get zero rows, so their logit is exactly 0 and a random model's greedy loop never stops early at EOS.
float[] RandomEmbedding()
{
    var embedding = new float[(long)vocab * hidden];
    var rng = new Normal(seed, "embed_tokens");
    for (var v = 0; v < vocab; v++)
    {
        for (var h = 0; h < hidden; h++)
        {
            var value = rng.Next();
            embedding[(long)v * hidden + h] = specials.Contains(v) ? 0f : value;
        }
    }

    return embedding;
}

void WriteConfigs()
{
    var genai = sourceGenai.DeepClone();
    var m = genai["model"]!;
    m["context_length"] = Context;
    var d = m["decoder"]!;
    d["head_size"] = head;
    d["hidden_size"] = hidden;
    d["num_attention_heads"] = heads;
    d["num_key_value_heads"] = kvHeads;
    d["num_hidden_layers"] = layers;
    genai["search"]!["max_length"] = Context;
    if (layout == "genai-int4")
    {
        // GQA fuses rotary (no position_ids) and writes the new token into a max_length-sized cache in place.
        d["inputs"]!.AsObject().Remove("position_ids");
        genai["search"]!["past_present_share_buffer"] = true;
    }

    var indented = new JsonSerializerOptions { WriteIndented = true };
    File.WriteAllText(Path.Combine(outDir, "genai_config.json"), genai.ToJsonString(indented));
    var config = new JsonObject
    {
        ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
        ["model_type"] = "qwen2",
        ["torch_dtype"] = layout switch { "plain" => "float32", "plain-fp16" => "float16", _ => "int4" },
        ["vocab_size"] = vocab,
        ["hidden_size"] = hidden,
        ["intermediate_size"] = intermediate,
        ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = heads,
        ["num_key_value_heads"] = kvHeads,
        ["hidden_act"] = "silu",
        ["max_position_embeddings"] = Context,
        ["rms_norm_eps"] = Eps,
        ["rope_theta"] = RopeTheta,
        ["tie_word_embeddings"] = true,
        ["use_cache"] = true,
        ["bos_token_id"] = eos,
        ["eos_token_id"] = eos,
        ["initializer_range"] = 0.02,
    };
    File.WriteAllText(Path.Combine(outDir, "config.json"), config.ToJsonString(indented));
}

string[] Args() => Environment.GetCommandLineArgs().Skip(1).ToArray();

string? Arg(string name)
{
    var a = Args();
    var i = Array.IndexOf(a, name);
    return i >= 0 && i + 1 < a.Length ? a[i + 1] : null;
}

int IntArg(string name, int fallback) => Arg(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

/// <summary>N(0, 0.02) from SplitMix64 and Box–Muller, one stream per tensor name so each tensor is reproducible alone.</summary>
internal sealed class Normal(int seed, string name)
{
    private ulong _state = (ulong)seed * 0x9E3779B97F4A7C15UL ^ Fnv(name);
    private float? _spare;

    public float Next()
    {
        if (_spare is { } s)
        {
            _spare = null;
            return s;
        }

        var u1 = (NextU64() >> 11) * (1.0 / (1UL << 53));
        var u2 = (NextU64() >> 11) * (1.0 / (1UL << 53));
        var r = 0.02 * Math.Sqrt(-2.0 * Math.Log(1.0 - u1)); // 1-u1 is in (0, 1]: no log(0), no infinities
        var (sin, cos) = Math.SinCos(2 * Math.PI * u2);
        _spare = (float)(r * sin);
        return (float)(r * cos);
    }

    public void Fill(Span<float> s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = Next();
        }
    }

    private ulong NextU64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }
}
