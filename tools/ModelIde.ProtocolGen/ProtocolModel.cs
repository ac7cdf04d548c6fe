using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelIde.Protocol;

namespace ModelIde.ProtocolGen;

/// <summary>One request or notification, read from a method-name constant and its attribute.</summary>
public sealed record RpcMessage(
    string Method,
    string Feature,
    string Key,
    bool IsRequest,
    Type? ParamsType,
    Type? ResultType,
    RpcDirection Direction,
    bool IsLong,
    string? Summary);

/// <summary>A <c>*Methods</c> class: the messages of one feature (<c>auth</c>, <c>jobs</c>, ...).</summary>
public sealed record RpcFeature(string Name, string ClassName, IReadOnlyList<RpcMessage> Messages);

/// <summary>A member of a record as it goes over the wire.</summary>
public sealed record WireField(string Name, Type Type, bool Optional, string? Summary);

/// <summary>A static class of constants that are part of the contract (error codes, server codes).</summary>
public sealed record ConstantGroup(string ClassName, IReadOnlyList<(string Key, object Value, string? Summary)> Constants, string? Summary);

/// <summary>The contract as the generator sees it: every message, every type they reach, the constant groups.</summary>
public sealed class ProtocolModel
{
    private static readonly NullabilityInfoContext s_nullability = new();

    private ProtocolModel(Assembly assembly, XmlDocs docs)
    {
        Assembly = assembly;
        Docs = docs;
    }

    public Assembly Assembly { get; }

    public XmlDocs Docs { get; }

    public List<RpcFeature> Features { get; } = [];

    /// <summary>Records and enums in the order they are first reached (feature by feature), each with the feature that first uses it.</summary>
    public List<(Type Type, string Feature)> Types { get; } = [];

    public List<ConstantGroup> ConstantGroups { get; } = [];

    public IEnumerable<RpcMessage> Messages => Features.SelectMany(f => f.Messages);

    public static ProtocolModel Load() => Load(typeof(SidecarMethods).Assembly);

    public static ProtocolModel Load(Assembly assembly)
    {
        var model = new ProtocolModel(assembly, XmlDocs.For(assembly));
        var statics = assembly.GetExportedTypes().Where(t => t is { IsAbstract: true, IsSealed: true, IsClass: true }).ToArray();

        // The sidecar's own lifecycle first, then the features alphabetically: a stable order for the generated files.
        foreach (var cls in statics.Where(t => t.Name.EndsWith("Methods", StringComparison.Ordinal))
                     .OrderBy(t => t == typeof(SidecarMethods) ? 0 : 1).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            var messages = new List<RpcMessage>();
            foreach (var field in cls.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)))
            {
                var method = (string)field.GetRawConstantValue()!;
                var request = field.GetCustomAttribute<RpcRequestAttribute>();
                var notification = field.GetCustomAttribute<RpcNotificationAttribute>();
                if (request is null == (notification is null))
                {
                    throw new InvalidOperationException($"{cls.Name}.{field.Name} needs exactly one of [RpcRequest] or [RpcNotification].");
                }

                var feature = method.Split('/')[0];
                messages.Add(new RpcMessage(
                    method,
                    feature,
                    CamelCase(field.Name),
                    request is not null,
                    request is not null ? request.ParamsType : notification!.ParamsType,
                    request?.ResultType,
                    notification?.Direction ?? RpcDirection.ClientToSidecar,
                    request?.IsLong ?? false,
                    model.Docs.Summary(field)));
            }

            var names = messages.Select(m => m.Feature).Distinct().ToArray();
            if (names.Length != 1)
            {
                throw new InvalidOperationException($"{cls.Name} mixes features ({string.Join(", ", names)}): one Methods class per feature.");
            }

            model.Features.Add(new RpcFeature(names[0], cls.Name, messages));
            foreach (var m in messages)
            {
                model.Reach(m.ParamsType, names[0]);
                model.Reach(m.ResultType, names[0]);
            }
        }

        model.Reach(typeof(RpcErrorData), "sidecar");
        foreach (var cls in statics.Where(t => !t.Name.EndsWith("Methods", StringComparison.Ordinal)).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var constants = cls.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral && (f.FieldType == typeof(int) || f.FieldType == typeof(string)))
                .Select(f => (CamelCase(f.Name), f.GetRawConstantValue()!, model.Docs.Summary(f)))
                .ToArray();
            if (constants.Length > 0)
            {
                model.ConstantGroups.Add(new ConstantGroup(cls.Name, constants, model.Docs.Summary(cls)));
            }
        }

        var clashes = model.Types.GroupBy(t => TypeName(t.Type)).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (clashes.Length > 0)
        {
            throw new InvalidOperationException($"Two types would have the same TypeScript name: {string.Join(", ", clashes)}.");
        }

        return model;
    }

    /// <summary>TypeScript name of a protocol type: the C# name without the <c>Dto</c> suffix (which only keeps it apart from Core's type).</summary>
    public static string TypeName(Type type) =>
        type.Name.EndsWith("Dto", StringComparison.Ordinal) ? type.Name[..^3] : type.Name;

    public static string CamelCase(string name) => JsonNamingPolicy.CamelCase.ConvertName(name);

    /// <summary>The members of a record declared on it (not on its base), in declaration order.</summary>
    public IReadOnlyList<WireField> FieldsOf(Type type)
    {
        var defaults = type.GetConstructors()
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault()?.GetParameters()
            .Where(p => p.HasDefaultValue)
            .Select(p => p.Name!)
            .ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var fields = new List<WireField>();
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            if (p.GetIndexParameters().Length > 0 || p.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always } || p.Name == "EqualityContract")
            {
                continue;
            }

            var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? CamelCase(p.Name);
            var nullable = Nullable.GetUnderlyingType(p.PropertyType) is not null
                || (!p.PropertyType.IsValueType && s_nullability.Create(p).ReadState == NullabilityState.Nullable);
            fields.Add(new WireField(name, p.PropertyType, nullable || defaults.Contains(p.Name), Docs.Summary(p) ?? Docs.ParamSummary(type, p.Name)));
        }

        return fields;
    }

    /// <summary>Every member on the wire, the base record's first.</summary>
    public IReadOnlyList<WireField> AllFieldsOf(Type type) =>
        BaseRecord(type) is { } b ? [.. AllFieldsOf(b), .. FieldsOf(type)] : FieldsOf(type);

    /// <summary>The base record when it is a protocol type too (rendered as <c>extends</c>).</summary>
    public Type? BaseRecord(Type type) =>
        type.BaseType is { } b && b != typeof(object) && b.Assembly == Assembly ? b : null;

    /// <summary>The wire names of an enum's members, in declaration order.</summary>
    public static IReadOnlyList<string> EnumValues(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? CamelCase(f.Name))
            .ToArray();

    /// <summary>For a list, array or dictionary: the element type (and whether it is a dictionary); null otherwise.</summary>
    public static (Type Element, bool IsDictionary)? ElementOf(Type type)
    {
        if (type.IsArray)
        {
            return (type.GetElementType()!, false);
        }

        if (type.IsGenericType && type != typeof(string))
        {
            var args = type.GetGenericArguments();
            var definition = type.GetGenericTypeDefinition();
            if (args.Length == 2 && (definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>)))
            {
                return args[0] == typeof(string) ? (args[1], true) : throw new InvalidOperationException($"Dictionary keys must be strings: {type}.");
            }

            if (args.Length == 1 && typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
            {
                return (args[0], false);
            }
        }

        return null;
    }

    private void Reach(Type? type, string feature)
    {
        if (type is null)
        {
            return;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (ElementOf(type) is { } element)
        {
            Reach(element.Element, feature);
            return;
        }

        if (type.Assembly != Assembly || Types.Any(t => t.Type == type))
        {
            return;
        }

        if (!type.IsEnum && !type.IsClass)
        {
            throw new InvalidOperationException($"{type.Name}: protocol types are records or enums.");
        }

        if (BaseRecord(type) is { } b)
        {
            Reach(b, feature);
        }

        Types.Add((type, feature));
        if (!type.IsEnum)
        {
            foreach (var f in FieldsOf(type))
            {
                Reach(f.Type, feature);
            }
        }
    }
}
