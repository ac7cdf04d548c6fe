using System.Text;

namespace ModelIde.Core.Inference;

public sealed record ChatMessage(string Role, string Content);

/// <summary>The prompt text and, when the model's template could not be rendered, why ChatML was used instead.</summary>
public sealed record RenderedChat(string Text, string? FallbackReason);

/// <summary>
/// Renders the small Jinja subset that Qwen-style chat templates use: <c>{% for m in messages %}</c>, <c>{% if %}</c> /
/// <c>{% else %}</c>, <c>{{ ... }}</c> with string literals, <c>+</c>, <c>m['role']</c> / <c>m.role</c>, <c>not</c>,
/// <c>==</c>/<c>!=</c>, and whitespace control. Anything else falls back to plain ChatML, and says so.
/// </summary>
public static class ChatTemplateRenderer
{
    public static RenderedChat Render(string? template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        if (string.IsNullOrEmpty(template))
        {
            return new RenderedChat(RenderChatMl(messages, addGenerationPrompt), "the model has no chat_template; using ChatML");
        }

        try
        {
            var nodes = Parse(Tokenize(template));
            var scope = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["messages"] = messages,
                ["add_generation_prompt"] = addGenerationPrompt,
                ["bos_token"] = "",
                ["eos_token"] = "",
            };
            var sb = new StringBuilder();
            Execute(nodes, scope, sb);
            return new RenderedChat(sb.ToString(), null);
        }
        catch (TemplateNotSupportedException e)
        {
            return new RenderedChat(RenderChatMl(messages, addGenerationPrompt), $"chat_template uses {e.Message}, which this renderer does not support; using ChatML");
        }
    }

    public static string RenderChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        }

        if (addGenerationPrompt)
        {
            sb.Append("<|im_start|>assistant\n");
        }

        return sb.ToString();
    }

    private sealed class TemplateNotSupportedException(string what) : Exception(what);

    private enum PieceKind { Text, Output, Statement }

    private sealed record Piece(PieceKind Kind, string Body);

    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record OutputNode(string Expression) : Node;

    private sealed record ForNode(string Variable, string Collection, List<Node> Body) : Node;

    private sealed record IfNode(List<(string? Condition, List<Node> Body)> Branches) : Node;

    private static List<Piece> Tokenize(string template)
    {
        var pieces = new List<Piece>();
        var i = 0;
        var trimNextLeading = false;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            while (open >= 0 && open + 1 < template.Length && template[open + 1] is not ('{' or '%' or '#'))
            {
                open = template.IndexOf('{', open + 1);
            }

            var text = open < 0 || open + 1 >= template.Length ? template[i..] : template[i..open];
            if (trimNextLeading)
            {
                text = text.TrimStart();
            }

            if (open < 0 || open + 1 >= template.Length)
            {
                pieces.Add(new Piece(PieceKind.Text, text));
                break;
            }

            var kind = template[open + 1];
            var close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            var end = template.IndexOf(close, open + 2, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new TemplateNotSupportedException("an unclosed tag");
            }

            var body = template[(open + 2)..end];
            if (body.StartsWith('-'))
            {
                text = text.TrimEnd();
                body = body[1..];
            }

            trimNextLeading = body.EndsWith('-');
            if (trimNextLeading)
            {
                body = body[..^1];
            }

            pieces.Add(new Piece(PieceKind.Text, text));
            if (kind != '#')
            {
                pieces.Add(new Piece(kind == '{' ? PieceKind.Output : PieceKind.Statement, body.Trim()));
            }

            i = end + 2;
        }

        return pieces;
    }

    private static List<Node> Parse(List<Piece> pieces)
    {
        var pos = 0;
        var nodes = ParseBlock(pieces, ref pos, out var terminator);
        if (terminator is not null)
        {
            throw new TemplateNotSupportedException($"an unexpected '{terminator}'");
        }

        return nodes;
    }

    private static List<Node> ParseBlock(List<Piece> pieces, ref int pos, out string? terminator)
    {
        var nodes = new List<Node>();
        while (pos < pieces.Count)
        {
            var p = pieces[pos++];
            switch (p.Kind)
            {
                case PieceKind.Text:
                    if (p.Body.Length > 0)
                    {
                        nodes.Add(new TextNode(p.Body));
                    }

                    break;
                case PieceKind.Output:
                    nodes.Add(new OutputNode(p.Body));
                    break;
                default:
                    var word = p.Body.Split(' ', 2)[0];
                    switch (word)
                    {
                        case "endfor" or "endif" or "else":
                            terminator = p.Body;
                            return nodes;
                        case "elif":
                            terminator = p.Body;
                            return nodes;
                        case "for":
                            var parts = p.Body.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                            if (parts.Length != 4 || parts[2] != "in")
                            {
                                throw new TemplateNotSupportedException($"'{{% {p.Body} %}}'");
                            }

                            var body = ParseBlock(pieces, ref pos, out var end);
                            if (end != "endfor")
                            {
                                throw new TemplateNotSupportedException("a for without endfor");
                            }

                            nodes.Add(new ForNode(parts[1], parts[3], body));
                            break;
                        case "if":
                            var branches = new List<(string?, List<Node>)>();
                            var condition = (string?)p.Body[2..].Trim();
                            while (true)
                            {
                                var block = ParseBlock(pieces, ref pos, out var t);
                                branches.Add((condition, block));
                                if (t == "endif")
                                {
                                    break;
                                }

                                if (t == "else")
                                {
                                    condition = null;
                                }
                                else if (t is not null && t.StartsWith("elif ", StringComparison.Ordinal))
                                {
                                    condition = t[5..].Trim();
                                }
                                else
                                {
                                    throw new TemplateNotSupportedException("an if without endif");
                                }
                            }

                            nodes.Add(new IfNode(branches));
                            break;
                        default:
                            throw new TemplateNotSupportedException($"'{{% {word} %}}'");
                    }

                    break;
            }
        }

        terminator = null;
        return nodes;
    }

    private static void Execute(List<Node> nodes, Dictionary<string, object?> scope, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t:
                    sb.Append(t.Text);
                    break;
                case OutputNode o:
                    sb.Append(ToText(Evaluate(o.Expression, scope)));
                    break;
                case ForNode f:
                    if (Evaluate(f.Collection, scope) is not System.Collections.IEnumerable items || items is string)
                    {
                        throw new TemplateNotSupportedException($"a loop over '{f.Collection}'");
                    }

                    var saved = scope.TryGetValue(f.Variable, out var old) ? old : null;
                    foreach (var item in items)
                    {
                        scope[f.Variable] = item;
                        Execute(f.Body, scope, sb);
                    }

                    scope[f.Variable] = saved;
                    break;
                case IfNode i:
                    foreach (var (condition, body) in i.Branches)
                    {
                        if (condition is null || IsTrue(Evaluate(condition, scope)))
                        {
                            Execute(body, scope, sb);
                            break;
                        }
                    }

                    break;
            }
        }
    }

    private static string ToText(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "True" : "False",
        _ => value.ToString() ?? "",
    };

    private static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    // Expressions: or-less grammar: [not] term (('=='|'!=') term)? ; term = atom ('+' atom)* ; atom = literal | name(['key'] | .key)*.
    private static object? Evaluate(string expression, Dictionary<string, object?> scope)
    {
        var lexer = new ExpressionReader(expression);
        var value = lexer.ReadComparison(scope);
        lexer.SkipSpace();
        if (!lexer.AtEnd)
        {
            throw new TemplateNotSupportedException($"the expression '{expression}'");
        }

        return value;
    }

    private sealed class ExpressionReader(string text)
    {
        private int _pos;

        public bool AtEnd => _pos >= text.Length;

        public void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        public object? ReadComparison(Dictionary<string, object?> scope)
        {
            SkipSpace();
            if (TryWord("not"))
            {
                return !IsTrue(ReadComparison(scope));
            }

            var left = ReadSum(scope);
            SkipSpace();
            if (TryLiteral("=="))
            {
                return Equals(ToText(left), ToText(ReadSum(scope)));
            }

            if (TryLiteral("!="))
            {
                return !Equals(ToText(left), ToText(ReadSum(scope)));
            }

            return left;
        }

        private object? ReadSum(Dictionary<string, object?> scope)
        {
            var value = ReadAtom(scope);
            SkipSpace();
            while (TryLiteral("+"))
            {
                value = ToText(value) + ToText(ReadAtom(scope));
                SkipSpace();
            }

            return value;
        }

        private object? ReadAtom(Dictionary<string, object?> scope)
        {
            SkipSpace();
            if (AtEnd)
            {
                throw new TemplateNotSupportedException($"the expression '{text}'");
            }

            var c = text[_pos];
            if (c is '\'' or '"')
            {
                return ReadString();
            }

            var start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_'))
            {
                _pos++;
            }

            if (_pos == start)
            {
                throw new TemplateNotSupportedException($"the expression '{text}'");
            }

            var name = text[start.._pos];
            object? value = name switch
            {
                "true" or "True" => true,
                "false" or "False" => false,
                "none" or "None" => null,
                _ => scope.TryGetValue(name, out var v) ? v : throw new TemplateNotSupportedException($"the variable '{name}'"),
            };

            while (_pos < text.Length)
            {
                if (text[_pos] == '[')
                {
                    _pos++;
                    SkipSpace();
                    var key = ReadString();
                    SkipSpace();
                    if (!TryLiteral("]"))
                    {
                        throw new TemplateNotSupportedException($"the expression '{text}'");
                    }

                    value = Member(value, key);
                }
                else if (text[_pos] == '.')
                {
                    _pos++;
                    var s = _pos;
                    while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_'))
                    {
                        _pos++;
                    }

                    if (_pos < text.Length && text[_pos] == '(')
                    {
                        throw new TemplateNotSupportedException($"the method call '{text[s.._pos]}()'");
                    }

                    value = Member(value, text[s.._pos]);
                }
                else
                {
                    break;
                }
            }

            SkipSpace();
            if (!AtEnd && text[_pos] is '|' or '(' or '%' or '*' or '-' or '~')
            {
                throw new TemplateNotSupportedException($"the expression '{text}'");
            }

            return value;
        }

        private static object? Member(object? value, string key) => value switch
        {
            ChatMessage m when key == "role" => m.Role,
            ChatMessage m when key == "content" => m.Content,
            _ => throw new TemplateNotSupportedException($"the member '{key}'"),
        };

        private string ReadString()
        {
            var quote = text[_pos++];
            var sb = new StringBuilder();
            while (_pos < text.Length && text[_pos] != quote)
            {
                var c = text[_pos++];
                if (c == '\\' && _pos < text.Length)
                {
                    var e = text[_pos++];
                    sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => e });
                }
                else
                {
                    sb.Append(c);
                }
            }

            if (_pos >= text.Length)
            {
                throw new TemplateNotSupportedException("an unterminated string");
            }

            _pos++;
            return sb.ToString();
        }

        private bool TryLiteral(string s)
        {
            if (string.CompareOrdinal(text, _pos, s, 0, s.Length) == 0)
            {
                _pos += s.Length;
                return true;
            }

            return false;
        }

        private bool TryWord(string word)
        {
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) == 0 &&
                (_pos + word.Length == text.Length || char.IsWhiteSpace(text[_pos + word.Length])))
            {
                _pos += word.Length;
                return true;
            }

            return false;
        }
    }
}
