using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ModelIde.Protocol;

namespace ModelIde.ProtocolGen;

/// <summary>
/// Fills the generated sections of docs/protocol.md (between <c>&lt;!-- generated:NAME --&gt;</c> and
/// <c>&lt;!-- /generated --&gt;</c>): per feature the table of methods and the types it introduces; the constants.
/// The prose around them is written by hand.
/// </summary>
public static partial class MarkdownWriter
{
    public const string RelativePath = "docs/protocol.md";

    public static string Fill(string document, ProtocolModel model)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var feature in model.Features)
        {
            sections[feature.Name] = Feature(model, feature);
        }

        sections["constants"] = Constants(model);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var filled = Section().Replace(document, m =>
        {
            var name = m.Groups["name"].Value;
            if (!sections.TryGetValue(name, out var body))
            {
                throw new InvalidOperationException($"{RelativePath} has a generated section '{name}' that the protocol does not know.");
            }

            seen.Add(name);
            return $"<!-- generated:{name} -->\n{body}<!-- /generated -->";
        });
        var missing = sections.Keys.Where(k => !seen.Contains(k)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException($"{RelativePath} needs a section <!-- generated:NAME --><!-- /generated --> for: {string.Join(", ", missing)}.");
        }

        return filled;
    }

    private static string Feature(ProtocolModel model, RpcFeature feature)
    {
        var w = new StringBuilder();
        w.Append("| method | kind | params | result | |\n|---|---|---|---|---|\n");
        foreach (var m in feature.Messages)
        {
            var kind = m.IsRequest
                ? (m.IsLong ? "request (long)" : "request")
                : m.Direction == RpcDirection.SidecarToClient ? "notification ←" : "notification →";
            var parameters = m.ParamsType is null ? "–" : $"`{TypeScriptWriter.TsType(m.ParamsType)}`";
            var result = m.ResultType is null ? "" : $"`{TypeScriptWriter.TsType(m.ResultType)}`";
            w.Append(CultureInfo.InvariantCulture, $"| `{m.Method}` | {kind} | {parameters} | {result} | {Cell(m.Summary)} |\n");
        }

        var types = model.Types.Where(t => t.Feature == feature.Name).Select(t => t.Type).ToArray();
        if (types.Length > 0)
        {
            w.Append('\n');
        }

        foreach (var type in types)
        {
            var name = ProtocolModel.TypeName(type);
            string shape;
            if (type.IsEnum)
            {
                shape = string.Join(" | ", ProtocolModel.EnumValues(type).Select(v => $"\"{v}\""));
            }
            else
            {
                var fields = model.AllFieldsOf(type).Select(f => $"{f.Name}{(f.Optional ? "?" : "")}: {TypeScriptWriter.TsType(f.Type)}");
                shape = "{" + string.Join(", ", fields) + "}";
            }

            var summary = model.Docs.Summary(type);
            w.Append(CultureInfo.InvariantCulture, $"- `{name}` = `{shape}`{(summary is null ? "" : " — " + summary)}\n");
        }

        return w.ToString();
    }

    private static string Constants(ProtocolModel model)
    {
        var w = new StringBuilder();
        foreach (var group in model.ConstantGroups)
        {
            w.Append(CultureInfo.InvariantCulture, $"`{group.ClassName}`{(group.Summary is null ? "" : ": " + group.Summary)}\n\n| name | value | |\n|---|---|---|\n");
            foreach (var (key, value, summary) in group.Constants)
            {
                var literal = value is string s ? $"`\"{s}\"`" : Convert.ToString(value, CultureInfo.InvariantCulture);
                w.Append(CultureInfo.InvariantCulture, $"| `{key}` | {literal} | {Cell(summary)} |\n");
            }

            w.Append('\n');
        }

        return w.ToString().TrimEnd('\n') + "\n";
    }

    private static string Cell(string? text) => (text ?? "").Replace("|", "\\|", StringComparison.Ordinal);

    [GeneratedRegex(@"<!-- generated:(?<name>[a-z]+) -->.*?<!-- /generated -->", RegexOptions.Singleline)]
    private static partial Regex Section();
}
