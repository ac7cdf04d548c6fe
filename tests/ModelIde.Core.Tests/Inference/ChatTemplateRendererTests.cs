using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

public sealed class ChatTemplateRendererTests
{
    private static readonly ChatMessage[] Messages = [new("system", "Be brief."), new("user", "hi")];

    [Fact]
    public void Tiny_model_template_renders_as_chatml()
    {
        var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TinyModel.Locate(), "tokenizer_config.json")));
        var template = config.RootElement.GetProperty("chat_template").GetString();
        var rendered = ChatTemplateRenderer.Render(template, Messages);
        Assert.Null(rendered.FallbackReason);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", rendered.Text);
    }

    [Fact]
    public void If_else_dot_access_and_whitespace_control_are_rendered()
    {
        const string Template = "{%- for m in messages -%}\n  {%- if m.role == 'system' -%}[S]{{ m.content }}{%- else -%}[{{ m['role'] }}]{{ m.content }}{%- endif -%}\n{%- endfor -%}{% if not add_generation_prompt %}!{% endif %}";
        var rendered = ChatTemplateRenderer.Render(Template, Messages, addGenerationPrompt: false);
        Assert.Null(rendered.FallbackReason);
        Assert.Equal("[S]Be brief.[user]hi!", rendered.Text);
    }

    [Fact]
    public void Unsupported_constructs_fall_back_to_chatml_and_say_why()
    {
        var rendered = ChatTemplateRenderer.Render("{% set x = 1 %}{{ messages[0]['content'] | trim }}", Messages);
        Assert.NotNull(rendered.FallbackReason);
        Assert.Equal(ChatTemplateRenderer.RenderChatMl(Messages, true), rendered.Text);
    }
}
