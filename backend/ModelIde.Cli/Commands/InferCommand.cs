using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Core.Inference;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide infer</c>: runs a local decoder-only ONNX model on a prompt, streaming the text.</summary>
public sealed class InferCommand() : CliCommand("infer", "Generate text with a local ONNX model (KV cache, greedy or sampling).")
{
    private readonly Option<string?> _model = CliOptions.Text("--model", "DIR", "the model's folder: a repository root or any folder inside it");
    private readonly Option<string?> _file = CliOptions.Text("--file", "F", "which ONNX file to run when the folder holds several variants (default: chosen by device and memory)");
    private readonly Option<string?> _prompt = CliOptions.Text("--prompt", "P", "the prompt");
    private readonly Option<int?> _maxNewTokens = CliOptions.Int("--max-new-tokens", "N", "tokens to generate at most (default 128)", min: 1, max: 1_000_000);
    private readonly Option<string?> _device = CliOptions.Text("--device", "D", "auto (default), cpu, gpu, npu, or a policy as in 'modelide devices --policy'")
        .Suggest("auto", "cpu", "gpu", "npu");
    private readonly Option<int?> _threads = CliOptions.Int("--threads", "N", "intra-op threads (default: ONNX Runtime's choice)", min: 1, max: ExecutionProviderSelector.MaxThreads);
    private readonly Option<double?> _temperature = CliOptions.Number("--temperature", "T", "0 (default) is greedy");
    private readonly Option<int?> _topK = CliOptions.Int("--top-k", "K", "sample from the K most likely tokens (0 = all)", min: 0);
    private readonly Option<double?> _topP = CliOptions.Number("--top-p", "P", "nucleus sampling threshold (default 1)");
    private readonly Option<double?> _repetitionPenalty = CliOptions.Number("--repetition-penalty", "R", "penalty for repeated tokens (default 1)");
    private readonly Option<int?> _seed = CliOptions.Int("--seed", "S", "seed for sampling");
    private readonly Option<string[]> _stop = CliOptions.Repeatable("--stop", "S", "stop when this text is generated (repeatable)");
    private readonly Option<bool> _chat = CliOptions.Flag("--chat", "wrap the prompt as a user message with the model's chat template");
    private readonly Option<string?> _epLibrary = CliOptions.Text("--ep-library", "PATH", "register an execution provider library first");
    private readonly Option<string?> _cudaPath = CliOptions.Text("--cuda-path", "DIR",
        $"also look for the CUDA libraries here (default: ${ExecutionProviderSelector.CudaPathVariable})");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "print {\"device\", \"reason\", \"file\", \"file_reason\", \"token_ids\", \"text\", \"tokens_per_second\", \"load_ms\", \"prompt_tokens\", \"first_token_ms\", \"decode_tokens_per_second\", \"kv_cache\"} instead of streaming");

    public override string Notes => "The text streams to stdout; the device and the speed summary go to stderr.";

    public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var modelDir = parse.GetValue(_model) ?? throw new CliUsageException("--model DIR is required.");
        var prompt = parse.GetValue(_prompt) ?? throw new CliUsageException("--prompt is required.");
        var temperature = parse.GetValue(_temperature);
        var topK = parse.GetValue(_topK);
        var topP = parse.GetValue(_topP);
        var penalty = parse.GetValue(_repetitionPenalty);
        var options = new GenerationOptions
        {
            MaxNewTokens = parse.GetValue(_maxNewTokens) ?? 128,
            Temperature = (float)(temperature ?? 0),
            TopK = topK ?? 0,
            TopP = (float)(topP ?? 1),
            RepetitionPenalty = (float)(penalty ?? 1),
            Seed = parse.GetValue(_seed),
            StopStrings = parse.GetValue(_stop) ?? [],
        };
        var policy = ExecutionProviderSelector.ParsePolicy(parse.GetValue(_device));
        var json = parse.GetValue(_json);
        options.Validate();

        var loadStart = System.Diagnostics.Stopwatch.GetTimestamp();
        using var model = DecoderLanguageModel.Load(modelDir, policy, parse.GetValue(_epLibrary), parse.GetValue(_threads), parse.GetValue(_file), parse.GetValue(_cudaPath));
        var loadTime = System.Diagnostics.Stopwatch.GetElapsedTime(loadStart);
        // genai_config.json's search defaults apply to whatever the user did not set.
        options = model.Config.Defaults.Apply(options, temperature is not null, topK is not null, topP is not null, penalty is not null);
        var chat = parse.GetValue(_chat);
        if (chat)
        {
            var rendered = await model.RenderChatAsync([new ChatMessage("user", prompt)], cancellationToken).ConfigureAwait(false);
            if (rendered.FallbackReason is not null)
            {
                console.Error.WriteLine($"Note: {rendered.FallbackReason}.");
            }

            prompt = rendered.Text;
        }

        Action<GeneratedToken>? stream = json ? null : t => console.Out.Write(t.Text);
        var result = await Task.Run(() => model.Generate(prompt, options, stream, cancellationToken, renderedChat: chat), CancellationToken.None).ConfigureAwait(false);
        if (json)
        {
            console.Out.WriteLine(new JsonObject
            {
                ["device"] = model.Device,
                ["reason"] = model.Reason,
                ["file"] = model.File,
                ["file_reason"] = model.Folder.Reason,
                ["token_ids"] = new JsonArray(result.TokenIds.Select(id => (JsonNode)id).ToArray()),
                ["text"] = result.Text,
                ["tokens_per_second"] = Math.Round(result.TokensPerSecond, 2),
                ["load_ms"] = Math.Round(loadTime.TotalMilliseconds, 0),
                ["prompt_tokens"] = result.PromptTokens,
                ["first_token_ms"] = Math.Round(result.TimeToFirstToken.TotalMilliseconds, 2),
                ["decode_tokens_per_second"] = Math.Round(result.DecodeTokensPerSecond, 2),
                ["kv_cache"] = model.KeepsKvCacheOnDevice ? "device" : "host",
            }.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        else
        {
            console.Out.WriteLine();
            await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            console.Error.WriteLine($"device: {model.Device} ({model.Reason})");
            console.Error.WriteLine($"file: {model.File} ({model.Folder.Reason})");
            console.Error.WriteLine($"{result.TokenIds.Count} tokens, {result.TokensPerSecond:F1} tokens/s, first token after {result.TimeToFirstToken.TotalMilliseconds:F0} ms, stop: {result.StopReason}");
        }

        return result.StopReason == StopReasonKind.Cancelled ? ExitCodes.Cancelled : ExitCodes.Success;
    }
}
