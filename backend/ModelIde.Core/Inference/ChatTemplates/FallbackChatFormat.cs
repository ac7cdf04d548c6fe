using System.Text;

namespace ModelIde.Core.Inference;

/// <summary>
/// The prompt format to use when a model's chat template is missing or cannot be rendered: the family whose special
/// tokens the tokenizer has (the plain-conversation output of that family's published template), else ChatML.
/// </summary>
public static class FallbackChatFormat
{
    public static RenderedChat Render(IReadOnlyList<ChatMessage> messages, ChatTemplateTokens tokens, bool addGenerationPrompt, string why)
    {
        var (name, text) = Pick(tokens) switch
        {
            Family.Llama3 => ("Llama 3", Llama3(messages, tokens, addGenerationPrompt)),
            Family.Gemma => ("Gemma", Gemma(messages, tokens, addGenerationPrompt)),
            Family.Phi3 => ("Phi-3", Phi3(messages, addGenerationPrompt)),
            Family.Phi4 => ("Phi-4", Phi4(messages, addGenerationPrompt)),
            Family.MistralInst => ("Mistral [INST]", MistralInst(messages, tokens)),
            _ => ("ChatML", ChatMl(messages, addGenerationPrompt)),
        };
        return new RenderedChat(text, $"{why}; using the {name} format");
    }

    public static string ChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        }

        return addGenerationPrompt ? sb.Append("<|im_start|>assistant\n").ToString() : sb.ToString();
    }

    private enum Family { ChatMl, Llama3, Gemma, Phi3, Phi4, MistralInst }

    private static Family Pick(ChatTemplateTokens tokens)
    {
        bool Has(string t) => tokens.KnownTokens.Contains(t);
        if (Has("<|start_header_id|>") && Has("<|eot_id|>"))
        {
            return Family.Llama3;
        }

        if (Has("<start_of_turn>"))
        {
            return Family.Gemma;
        }

        if (Has("<|im_sep|>") && Has("<|im_start|>"))
        {
            return Family.Phi4;
        }

        if (Has("<|user|>") && Has("<|end|>"))
        {
            return Family.Phi3;
        }

        return Has("[INST]") && !Has("<|im_start|>") ? Family.MistralInst : Family.ChatMl;
    }

    private static string Llama3(IReadOnlyList<ChatMessage> messages, ChatTemplateTokens tokens, bool addGenerationPrompt)
    {
        var sb = new StringBuilder(tokens.Bos ?? "");
        foreach (var m in messages)
        {
            sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
        }

        return addGenerationPrompt ? sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n").ToString() : sb.ToString();
    }

    // Gemma has no system role: its text goes before the first user turn, as Gemma's own guidance says.
    private static string Gemma(IReadOnlyList<ChatMessage> messages, ChatTemplateTokens tokens, bool addGenerationPrompt)
    {
        var sb = new StringBuilder(tokens.Bos ?? "");
        var system = "";
        foreach (var m in messages)
        {
            if (m.Role == "system")
            {
                system += m.Content.Trim() + "\n\n";
                continue;
            }

            var role = m.Role == "assistant" ? "model" : m.Role;
            sb.Append("<start_of_turn>").Append(role).Append('\n').Append(system).Append(m.Content.Trim()).Append("<end_of_turn>\n");
            system = "";
        }

        return addGenerationPrompt ? sb.Append("<start_of_turn>model\n").ToString() : sb.ToString();
    }

    private static string Phi3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append("<|end|>\n");
        }

        return addGenerationPrompt ? sb.Append("<|assistant|>\n").ToString() : sb.ToString();
    }

    private static string Phi4(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append("<|im_start|>").Append(m.Role).Append("<|im_sep|>").Append(m.Content).Append("<|im_end|>");
        }

        return addGenerationPrompt ? sb.Append("<|im_start|>assistant<|im_sep|>").ToString() : sb.ToString();
    }

    // [INST] formats have no generation prompt: the closing [/INST] is where the answer starts.
    private static string MistralInst(IReadOnlyList<ChatMessage> messages, ChatTemplateTokens tokens)
    {
        var sb = new StringBuilder(tokens.Bos ?? "");
        var system = "";
        foreach (var m in messages)
        {
            switch (m.Role)
            {
                case "system":
                    system += m.Content + "\n\n";
                    break;
                case "assistant":
                    sb.Append(m.Content).Append(tokens.Eos ?? "");
                    break;
                default:
                    sb.Append("[INST] ").Append(system).Append(m.Content).Append(" [/INST]");
                    system = "";
                    break;
            }
        }

        return sb.ToString();
    }
}
