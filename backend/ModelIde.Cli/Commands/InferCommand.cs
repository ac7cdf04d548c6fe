using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide infer</c>: runs a local decoder-only ONNX model on a prompt, streaming the text.</summary>
public sealed class InferCommand : CliCommand
{
    public override string Name => "infer";

    public override string Summary => "Generate text with a local ONNX model (KV cache, greedy or sampling).";

    public override string Usage => """
        Usage: modelide infer --model DIR --prompt P [--max-new-tokens N] [--device auto|cpu|gpu|npu] [--threads N]
                              [--temperature T] [--top-k K] [--top-p P] [--repetition-penalty R] [--seed S]
                              [--stop S]... [--chat] [--ep-library PATH] [--json]

          --chat   wrap the prompt as a user message with the model's chat template
          --json   print {"device", "reason", "token_ids", "text", "tokens_per_second"} instead of streaming
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var modelDir = args.Option("model") ?? throw new CliUsageException("--model DIR is required.");
        var prompt = args.Option("prompt") ?? throw new CliUsageException("--prompt is required.");
        var options = new GenerationOptions
        {
            MaxNewTokens = args.IntOption("max-new-tokens", 1, 1_000_000) ?? 128,
            Temperature = (float)(args.DoubleOption("temperature") ?? 0),
            TopK = args.IntOption("top-k", 0) ?? 0,
            TopP = (float)(args.DoubleOption("top-p") ?? 1),
            RepetitionPenalty = (float)(args.DoubleOption("repetition-penalty") ?? 1),
            Seed = args.IntOption("seed"),
            StopStrings = args.Options("stop"),
        };
        var policy = ExecutionProviderSelector.ParsePolicy(args.Option("device"));
        var threads = args.IntOption("threads", 1, 1024);
        var library = args.Option("ep-library");
        var chat = args.Flag("chat");
        var json = args.Flag("json");
        args.EnsureNoUnknownOptions();
        options.Validate();

        using var model = DecoderLanguageModel.Load(modelDir, policy, library, threads);
        if (chat)
        {
            var rendered = model.RenderChat([new ChatMessage("user", prompt)]);
            if (rendered.FallbackReason is not null)
            {
                console.Error.WriteLine($"Note: {rendered.FallbackReason}.");
            }

            prompt = rendered.Text;
        }

        Action<GeneratedToken>? stream = json ? null : t => console.Out.Write(t.Text);
        var result = await Task.Run(() => model.Generate(prompt, options, stream, cancellationToken), CancellationToken.None).ConfigureAwait(false);
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["device"] = model.Device,
                ["reason"] = model.Reason,
                ["token_ids"] = result.TokenIds,
                ["text"] = result.Text,
                ["tokens_per_second"] = Math.Round(result.TokensPerSecond, 2),
            }, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        else
        {
            console.Out.WriteLine();
            await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            console.Error.WriteLine($"device: {model.Device} ({model.Reason})");
            console.Error.WriteLine($"{result.TokenIds.Count} tokens, {result.TokensPerSecond:F1} tokens/s, first token after {result.TimeToFirstToken.TotalMilliseconds:F0} ms, stop: {result.StopReason}");
        }

        return result.StopReason == StopReason.Cancelled ? ExitCodes.Cancelled : ExitCodes.Success;
    }
}
