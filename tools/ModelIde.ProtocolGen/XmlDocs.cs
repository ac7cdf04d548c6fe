using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ModelIde.ProtocolGen;

/// <summary>The protocol assembly's XML documentation: the summaries become the comments and the docs' notes.</summary>
public sealed partial class XmlDocs
{
    private readonly Dictionary<string, XElement> _members;
    private readonly Assembly _assembly;

    private XmlDocs(Dictionary<string, XElement> members, Assembly assembly)
    {
        _members = members;
        _assembly = assembly;
    }

    public static XmlDocs For(Assembly assembly)
    {
        var file = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"{file} is missing: ModelIde.Protocol must build with GenerateDocumentationFile.", file);
        }

        var members = XDocument.Load(file).Descendants("member")
            .Where(m => m.Attribute("name") is not null)
            .ToDictionary(m => m.Attribute("name")!.Value, StringComparer.Ordinal);
        return new XmlDocs(members, assembly);
    }

    public string? Summary(FieldInfo field) => Text($"F:{field.DeclaringType!.FullName}.{field.Name}", "summary");

    public string? Summary(PropertyInfo property) => Text($"P:{property.DeclaringType!.FullName}.{property.Name}", "summary");

    public string? Summary(Type type) => Text($"T:{type.FullName}", "summary");

    /// <summary>A positional record's <c>&lt;param&gt;</c> text for one of its members.</summary>
    public string? ParamSummary(Type type, string name) =>
        _members.TryGetValue($"T:{type.FullName}", out var m)
            ? Render(m.Elements("param").FirstOrDefault(p => p.Attribute("name")?.Value == name))
            : null;

    private string? Text(string id, string element) =>
        _members.TryGetValue(id, out var m) ? Render(m.Element(element)) : null;

    private string? Render(XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var node in element.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "c" } c => $"`{c.Value}`",
                XElement { Name.LocalName: "see" or "seealso" } s when s.Attribute("langword") is { } word => $"`{word.Value}`",
                XElement { Name.LocalName: "see" or "seealso" } s => $"`{CrefName(s.Attribute("cref")?.Value ?? "")}`",
                XElement { Name.LocalName: "paramref" or "typeparamref" } p => $"`{ProtocolModel.CamelCase(p.Attribute("name")?.Value ?? "")}`",
                XElement e => e.Value,
                _ => "",
            });
        }

        var rendered = Whitespace().Replace(text.ToString(), " ").Trim();
        return rendered.Length == 0 ? null : rendered;
    }

    /// <summary>"T:ModelIde.Protocol.JobSpecDto" → "JobSpec"; "F:ModelIde.Protocol.JobsMethods.Update" → "jobs/update".</summary>
    private string CrefName(string cref)
    {
        var name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        var dot = name.LastIndexOf('.');
        var last = name[(dot + 1)..];
        if (cref.StartsWith("T:", StringComparison.Ordinal))
        {
            return last.EndsWith("Dto", StringComparison.Ordinal) ? last[..^3] : last;
        }

        if (cref.StartsWith("F:", StringComparison.Ordinal) && dot > 0
            && _assembly.GetType(name[..dot])?.GetField(last) is { IsLiteral: true } field && field.GetRawConstantValue() is string value)
        {
            return value;
        }

        return ProtocolModel.CamelCase(last);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
