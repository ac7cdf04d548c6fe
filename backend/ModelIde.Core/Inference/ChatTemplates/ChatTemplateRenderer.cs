using System.Text.Json;

namespace ModelIde.Core.Inference;

public sealed record ChatMessage(string Role, string Content);

/// <summary>The prompt text and, when the model's template was not used, why and which format was used instead.</summary>
public sealed record RenderedChat(string Text, string? FallbackReason);

/// <summary>
/// What a template sees besides the messages: the special tokens transformers passes (<c>bos_token</c>, <c>eos_token</c>,
/// ...), read from tokenizer_config.json; and the tokenizer's added tokens, which say which fallback format fits.
/// </summary>
public sealed record ChatTemplateTokens(IReadOnlyDictionary<string, string> SpecialTokens, IReadOnlySet<string> KnownTokens)
{
    public static readonly ChatTemplateTokens None = new(new Dictionary<string, string>(), new HashSet<string>());

    public string? Bos => SpecialTokens.GetValueOrDefault("bos_token");

    public string? Eos => SpecialTokens.GetValueOrDefault("eos_token");

    /// <summary>
    /// Reads the special tokens from a parsed tokenizer_config.json: each is a string or an AddedToken object
    /// (<c>{"content": ...}</c>), as transformers writes them.
    /// </summary>
    public static ChatTemplateTokens FromTokenizerConfig(JsonElement config, IEnumerable<string> knownTokens)
    {
        var specials = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token" })
        {
            if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out var value) && TokenText(value) is { } text)
            {
                specials[name] = text;
            }
        }

        return new ChatTemplateTokens(specials, knownTokens.ToHashSet(StringComparer.Ordinal));
    }

    private static string? TokenText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };
}

/// <summary>
/// Caps on one render, so a hostile template cannot take the process down: it runs on its own thread, and whatever trips
/// a cap ends that render only.
/// </summary>
public sealed record ChatTemplateLimits
{
    public static readonly ChatTemplateLimits Default = new();

    /// <summary>Real templates are 0.5–20 KB (Llama 3.1: 4.6 KB); anything far larger is not a chat template.</summary>
    public int MaxTemplateChars { get; init; } = 256 * 1024;

    /// <summary>
    /// How often one JavaScript function may be on the stack at once (Jint counts recursion per function): one level per
    /// nested block or sub-expression; real templates pass with a fifth of this (measured in the tests).
    /// </summary>
    public int MaxRecursion { get; init; } = 400;

    public int MaxStatements { get; init; } = 20_000_000;

    /// <summary>Bytes allocated by the render thread, counted by the runtime (not only what is still alive).</summary>
    public long MaxAllocatedBytes { get; init; } = 512L * 1024 * 1024;

    public TimeSpan MaxTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The prompt: a fixed floor, plus room for the messages themselves.</summary>
    public int MaxOutputChars(int messageChars) => (int)Math.Min(int.MaxValue / 4, 1024L * 1024 + 4L * messageChars);
}

/// <summary>
/// Renders a model's chat template the way Hugging Face's <c>apply_chat_template</c> does, with
/// <see cref="JinjaTemplateEngine"/> (@huggingface/jinja in Jint). A template that is missing, fails or trips a cap falls
/// back to the format the tokenizer's special tokens name (<see cref="FallbackChatFormat"/>), and says why; a template
/// that deliberately refuses the messages (<c>raise_exception</c>) is an error, as in transformers.
/// </summary>
public static class ChatTemplateRenderer
{
    public static async Task<RenderedChat> RenderAsync(string? template, IReadOnlyList<ChatMessage> messages, ChatTemplateTokens tokens,
        bool addGenerationPrompt = true, ChatTemplateLimits? limits = null, DateTime? now = null, CancellationToken cancellationToken = default)
    {
        limits ??= ChatTemplateLimits.Default;
        if (string.IsNullOrEmpty(template))
        {
            return FallbackChatFormat.Render(messages, tokens, addGenerationPrompt, "the model has no chat_template");
        }

        if (template.Length > limits.MaxTemplateChars)
        {
            return FallbackChatFormat.Render(messages, tokens, addGenerationPrompt,
                $"the chat_template has {template.Length:N0} characters, over the limit of {limits.MaxTemplateChars:N0}");
        }

        var messageChars = messages.Sum(m => (long)m.Content.Length + m.Role.Length);
        var context = ContextJson(messages, tokens, addGenerationPrompt, now ?? DateTime.Now);
        var outcome = await JinjaTemplateEngine.RenderAsync(template, context, limits, cancellationToken).ConfigureAwait(false);
        if (outcome.Raised is { } refusal)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"The model's chat template refused these messages: {refusal}");
        }

        if (outcome.Failure is { } failure)
        {
            return FallbackChatFormat.Render(messages, tokens, addGenerationPrompt, $"the chat_template could not be rendered ({failure})");
        }

        var maxOutput = limits.MaxOutputChars((int)Math.Min(int.MaxValue, messageChars));
        if (outcome.Text!.Length > maxOutput)
        {
            return FallbackChatFormat.Render(messages, tokens, addGenerationPrompt,
                $"the chat_template produced {outcome.Text.Length:N0} characters, over the limit of {maxOutput:N0}");
        }

        return new RenderedChat(outcome.Text, null);
    }

    private static string ContextJson(IReadOnlyList<ChatMessage> messages, ChatTemplateTokens tokens, bool addGenerationPrompt, DateTime now)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in tokens.SpecialTokens)
            {
                json.WriteString(name, value);
            }

            json.WriteStartArray("messages");
            foreach (var m in messages)
            {
                json.WriteStartObject();
                json.WriteString("role", m.Role);
                json.WriteString("content", m.Content);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            // transformers passes these two as None when the caller has none; templates test them with `is defined`.
            json.WriteNull("tools");
            json.WriteNull("documents");
            json.WriteBoolean("add_generation_prompt", addGenerationPrompt);
            json.WriteStartArray("__now");
            foreach (var part in new[] { now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second })
            {
                json.WriteNumberValue(part);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
