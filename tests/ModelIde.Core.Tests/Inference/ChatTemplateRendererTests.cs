using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

public sealed class ChatTemplateRendererTests
{
    private static readonly ChatMessage[] Messages = [new("system", "Be brief."), new("user", "hi")];

    [Fact]
    public async Task Tiny_model_template_renders_as_chatml()
    {
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(TinyModel.Locate(), "tokenizer_config.json")));
        var template = config.RootElement.GetProperty("chat_template").GetString();
        var rendered = await ChatTemplateRenderer.RenderAsync(template, Messages, ChatTemplateTokens.None);
        Assert.Null(rendered.FallbackReason);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", rendered.Text);
    }

    /// <summary>
    /// The real templates of Qwen2.5, Llama 3.1, Phi-3.5, Phi-4, Gemma 2 and two Mistral generations, over conversations
    /// with and without a system prompt, multi-turn, CJK and emoji, braces and quotes: byte-identical to what
    /// python3-jinja2 configured as transformers renders (tests/oracles/record_chat_templates.py), including the
    /// templates' own refusals (raise_exception), Mistral-Nemo's "roles must alternate" among them (render-host.js answers
    /// selectattr with a test over a missing attribute as jinja2 does).
    /// </summary>

    [Fact]
    public async Task Real_templates_render_byte_identical_to_jinja2_as_transformers_runs_it()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Inference", "Fixtures", "chat-templates");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
        var now = DateTime.Parse(expected.RootElement.GetProperty("now").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var mismatches = new List<string>();
        var families = new HashSet<string>();
        var count = 0;
        foreach (var c in expected.RootElement.GetProperty("cases").EnumerateArray())
        {
            var family = c.GetProperty("family").GetString()!;
            families.Add(family);
            var template = File.ReadAllText(Path.Combine(dir, family + ".jinja"));
            var messages = c.GetProperty("messages").EnumerateArray()
                .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToArray();
            var specials = c.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            var tokens = new ChatTemplateTokens(specials, new HashSet<string>());
            var label = $"{family}/{c.GetProperty("conversation").GetString()}/gen={c.GetProperty("add_generation_prompt").GetBoolean()}";
            count++;
            try
            {
                var rendered = await ChatTemplateRenderer.RenderAsync(template, messages, tokens, c.GetProperty("add_generation_prompt").GetBoolean(), now: now);
                if (c.TryGetProperty("raises", out var raises))
                {
                    mismatches.Add($"{label}: expected the template to raise \"{raises.GetString()}\", got {JsonSerializer.Serialize(rendered.Text)}");
                }
                else if (rendered.FallbackReason is not null || rendered.Text != c.GetProperty("expected").GetString())
                {
                    mismatches.Add($"{label}: {rendered.FallbackReason}\n  expected {JsonSerializer.Serialize(c.GetProperty("expected").GetString())}\n  got      {JsonSerializer.Serialize(rendered.Text)}");
                }
            }
            catch (ModelIdeException e) when (c.TryGetProperty("raises", out var raises))
            {
                if (!e.Message.EndsWith(raises.GetString()!, StringComparison.Ordinal))
                {
                    mismatches.Add($"{label}: raised \"{e.Message}\", expected \"{raises.GetString()}\"");
                }
            }
        }

        Assert.True(families.Count >= 6, $"only {families.Count} template families in the fixtures");
        Assert.True(count >= 60, $"only {count} cases");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {count} cases differ from jinja2:\n" + string.Join("\n", mismatches));
    }

    [Fact]
    public async Task A_template_that_cannot_be_parsed_falls_back_to_the_tokenizers_format_and_says_why()
    {
        var tokens = new ChatTemplateTokens(new Dictionary<string, string> { ["bos_token"] = "<|begin_of_text|>" },
            new HashSet<string> { "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>" });
        var rendered = await ChatTemplateRenderer.RenderAsync("{% for m in messages %}{{ m.content ", Messages, tokens);
        Assert.Contains("could not be rendered", rendered.FallbackReason);
        Assert.Contains("Llama 3", rendered.FallbackReason);
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", rendered.Text);
    }

    [Fact]
    public async Task No_template_and_no_known_tokens_is_chatml_with_the_reason()
    {
        var rendered = await ChatTemplateRenderer.RenderAsync(null, Messages, ChatTemplateTokens.None);
        Assert.Equal(FallbackChatFormat.ChatMl(Messages, true), rendered.Text);
        Assert.Equal("the model has no chat_template; using the ChatML format", rendered.FallbackReason);
    }

    [Fact]
    public async Task Strftime_now_reads_the_clock_in_the_C_locale()
    {
        var rendered = await ChatTemplateRenderer.RenderAsync("{{ strftime_now('%d %b %Y %A %H:%M') }}", Messages, ChatTemplateTokens.None,
            now: new DateTime(2024, 7, 26, 13, 4, 0));
        Assert.Equal("26 Jul 2024 Friday 13:04", rendered.Text);
    }
}
