using System.Globalization;
using System.Text;
using ModelIde.Protocol;

namespace ModelIde.ProtocolGen;

/// <summary>
/// Writes extension/src/sidecar/protocol.generated.ts: an interface per record, a string union per enum, the constant
/// groups, and per feature a <c>*Methods</c> object of vscode-jsonrpc <c>RequestType</c>/<c>NotificationType</c> values.
/// Also a table of every record's field types, which tests use to check what the sidecar sends.
/// </summary>
public static class TypeScriptWriter
{
    public const string RelativePath = "extension/src/sidecar/protocol.generated.ts";

    public static string Write(ProtocolModel model)
    {
        var w = new StringBuilder();
        w.Append("""
            // Generated from backend/ModelIde.Protocol by tools/ModelIde.ProtocolGen: do not edit. Change the C# records and
            // method constants, then run `bash scripts/protocol.sh` (the build fails while this file is stale).
            // C# `FooDto` is `Foo` here; enums are their camelCase member names; a nullable or defaulted member is optional.
            import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/node';

            """);

        foreach (var feature in model.Features)
        {
            var types = model.Types.Where(t => t.Feature == feature.Name).Select(t => t.Type).ToArray();
            w.Append(CultureInfo.InvariantCulture, $"\n// --- {feature.Name}/\n");
            foreach (var type in types)
            {
                w.Append('\n');
                WriteType(w, model, type);
            }

            w.Append('\n');
            w.Append(CultureInfo.InvariantCulture, $"export const {feature.ClassName} = {{\n");
            foreach (var m in feature.Messages)
            {
                Comment(w, "  ", Describe(m));
                var errorData = ProtocolModel.TypeName(typeof(RpcErrorData));
                var value = m switch
                {
                    { IsRequest: true, ParamsType: null } => $"new RequestType0<{TsType(m.ResultType!)}, {errorData}>('{m.Method}')",
                    { IsRequest: true } => $"new RequestType<{TsType(m.ParamsType)}, {TsType(m.ResultType!)}, {errorData}>('{m.Method}')",
                    _ => $"new NotificationType<{TsType(m.ParamsType!)}>('{m.Method}')",
                };
                w.Append(CultureInfo.InvariantCulture, $"  {m.Key}: {value},\n");
            }

            w.Append("} as const;\n");
        }

        foreach (var group in model.ConstantGroups)
        {
            w.Append('\n');
            Comment(w, "", group.Summary);
            w.Append(CultureInfo.InvariantCulture, $"export const {group.ClassName} = {{\n");
            foreach (var (key, value, summary) in group.Constants)
            {
                Comment(w, "  ", summary);
                var literal = value is string s ? $"'{s}'" : Convert.ToString(value, CultureInfo.InvariantCulture);
                w.Append(CultureInfo.InvariantCulture, $"  {key}: {literal},\n");
            }

            w.Append("} as const;\n");
        }

        WriteShapes(w, model);
        return w.ToString();
    }

    /// <summary>The TypeScript for a member or parameter type.</summary>
    public static string TsType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (ProtocolModel.ElementOf(type) is { } element)
        {
            return element.IsDictionary ? $"Record<string, {TsType(element.Element)}>" : $"{TsType(element.Element)}[]";
        }

        if (type == typeof(string) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid))
        {
            return "string";
        }

        if (type == typeof(bool))
        {
            return "boolean";
        }

        if (type.IsPrimitive || type == typeof(decimal))
        {
            return "number";
        }

        if (type == typeof(object) || type == typeof(System.Text.Json.JsonElement))
        {
            return "unknown";
        }

        return ProtocolModel.TypeName(type);
    }

    private static string Describe(RpcMessage m)
    {
        var kind = m.IsRequest
            ? (m.IsLong ? "Request (long; cancel with $/cancelRequest)." : "Request.")
            : m.Direction == RpcDirection.SidecarToClient ? "Notification, sidecar → client." : "Notification, client → sidecar.";
        return m.Summary is null ? kind : $"{kind} {m.Summary}";
    }

    private static void WriteType(StringBuilder w, ProtocolModel model, Type type)
    {
        Comment(w, "", model.Docs.Summary(type));
        var name = ProtocolModel.TypeName(type);
        if (type.IsEnum)
        {
            w.Append(CultureInfo.InvariantCulture, $"export type {name} = {string.Join(" | ", ProtocolModel.EnumValues(type).Select(v => $"'{v}'"))};\n");
            return;
        }

        var fields = model.FieldsOf(type);
        var baseRecord = model.BaseRecord(type);
        if (fields.Count == 0 && baseRecord is null)
        {
            w.Append(CultureInfo.InvariantCulture, $"export type {name} = Record<string, never>;\n");
            return;
        }

        var extends = baseRecord is null ? "" : $" extends {ProtocolModel.TypeName(baseRecord)}";
        w.Append(CultureInfo.InvariantCulture, $"export interface {name}{extends} {{\n");
        foreach (var f in fields)
        {
            Comment(w, "  ", f.Summary);
            w.Append(CultureInfo.InvariantCulture, $"  {f.Name}{(f.Optional ? "?" : "")}: {TsType(f.Type)};\n");
        }

        w.Append("}\n");
    }

    /// <summary>Field types as strings ("string?", "JobInfo[]") and enum values: enough for a runtime check of a message.</summary>
    private static void WriteShapes(StringBuilder w, ProtocolModel model)
    {
        w.Append("""

            /** Every record's wire members (`T?` optional, `T[]` list, `Record<string, T>` map), for runtime checks in tests. */
            export const protocolShapes: Record<string, Record<string, string>> = {

            """);
        foreach (var (type, _) in model.Types.Where(t => !t.Type.IsEnum))
        {
            var fields = model.AllFieldsOf(type).Select(f => $"{f.Name}: '{TsType(f.Type)}{(f.Optional ? "?" : "")}'").ToArray();
            var body = fields.Length == 0 ? "{}" : $"{{ {string.Join(", ", fields)} }}";
            w.Append(CultureInfo.InvariantCulture, $"  {ProtocolModel.TypeName(type)}: {body},\n");
        }

        w.Append("};\n\n/** Every enum's wire values. */\nexport const protocolEnums: Record<string, readonly string[]> = {\n");
        foreach (var (type, _) in model.Types.Where(t => t.Type.IsEnum))
        {
            w.Append(CultureInfo.InvariantCulture, $"  {ProtocolModel.TypeName(type)}: [{string.Join(", ", ProtocolModel.EnumValues(type).Select(v => $"'{v}'"))}],\n");
        }

        // TypeScript says `number` for C#'s int and double alike; a form that parses numbers needs to know which.
        w.Append("};\n\n/** Every record's whole-number members (C# integers), where it has any. */\nexport const protocolIntegers: Record<string, readonly string[]> = {\n");
        foreach (var (type, _) in model.Types.Where(t => !t.Type.IsEnum))
        {
            var integers = model.AllFieldsOf(type).Where(f => IsInteger(f.Type)).Select(f => $"'{f.Name}'").ToArray();
            if (integers.Length > 0)
            {
                w.Append(CultureInfo.InvariantCulture, $"  {ProtocolModel.TypeName(type)}: [{string.Join(", ", integers)}],\n");
            }
        }

        w.Append("};\n");
    }

    private static bool IsInteger(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte) || t == typeof(uint) || t == typeof(ulong) || t == typeof(ushort) || t == typeof(sbyte));

    private static void Comment(StringBuilder w, string indent, string? text)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            w.Append(CultureInfo.InvariantCulture, $"{indent}/** {text.Replace("*/", "*\\/", StringComparison.Ordinal)} */\n");
        }
    }
}
