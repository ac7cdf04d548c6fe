using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Protocol;

namespace ModelIde.ProtocolGen;

/// <summary>
/// Sample messages for the cross-language round trip: every record filled by reflection (all members, then only the
/// required ones), put through the sidecar's own serializer. The extension's test checks them against the generated
/// types and sends them back; <see cref="Compare"/> reads them with the C# types again.
/// </summary>
public sealed class SampleMessages(ProtocolModel model)
{
    private readonly JsonSerializerOptions _json = ProtocolJson.Create();
    private int _counter;

    /// <summary>{ types: { Name: [full, minimal] }, enums: { Name: [values] }, methods: { method: { kind, params, result } } }.</summary>
    public JsonObject Create()
    {
        _counter = 0;
        var types = new JsonObject();
        foreach (var (type, _) in model.Types.Where(t => !t.Type.IsEnum))
        {
            types[ProtocolModel.TypeName(type)] = new JsonArray(ThroughCSharp(type, Record(type, full: true, depth: 0)), ThroughCSharp(type, Record(type, full: false, depth: 0)));
        }

        var enums = new JsonObject();
        foreach (var (type, _) in model.Types.Where(t => t.Type.IsEnum))
        {
            enums[ProtocolModel.TypeName(type)] = new JsonArray(Enum.GetValues(type).Cast<object>().Select(v => JsonSerializer.SerializeToNode(v, type, _json)).ToArray());
        }

        var methods = new JsonObject();
        foreach (var m in model.Messages)
        {
            methods[m.Method] = new JsonObject
            {
                ["kind"] = m.IsRequest ? "request" : "notification",
                ["params"] = m.ParamsType is null ? null : TypeScriptWriter.TsType(m.ParamsType),
                ["result"] = m.ResultType is null ? null : TypeScriptWriter.TsType(m.ResultType),
            };
        }

        return new JsonObject { ["types"] = types, ["enums"] = enums, ["methods"] = methods };
    }

    /// <summary>Reads what the other side sent back with the C# types and lists every sample that does not come out as sent.</summary>
    public IReadOnlyList<string> Compare(JsonObject returned)
    {
        var expected = Create()["types"]!.AsObject();
        var problems = new List<string>();
        var returnedTypes = returned["types"]?.AsObject() ?? [];
        foreach (var (name, samples) in expected)
        {
            var type = model.Types.Single(t => ProtocolModel.TypeName(t.Type) == name).Type;
            var back = returnedTypes[name]?.AsArray();
            if (back is null || back.Count != samples!.AsArray().Count)
            {
                problems.Add($"{name}: not sent back");
                continue;
            }

            for (var i = 0; i < back.Count; i++)
            {
                try
                {
                    var again = JsonSerializer.SerializeToNode(back[i].Deserialize(type, _json), type, _json);
                    if (!JsonNode.DeepEquals(again, samples.AsArray()[i]))
                    {
                        problems.Add($"{name}[{i}]: sent {samples.AsArray()[i]!.ToJsonString()}, read back as {again?.ToJsonString()}");
                    }
                }
                catch (JsonException ex)
                {
                    problems.Add($"{name}[{i}]: C# cannot read {back[i]?.ToJsonString()}: {ex.Message}");
                }
            }
        }

        return problems;
    }

    private JsonNode? ThroughCSharp(Type type, JsonObject sample)
    {
        var value = sample.Deserialize(type, _json) ?? throw new InvalidOperationException($"{type.Name}: the sample reads as null.");
        return JsonSerializer.SerializeToNode(value, type, _json);
    }

    private JsonObject Record(Type type, bool full, int depth)
    {
        var o = new JsonObject();
        foreach (var f in model.AllFieldsOf(type))
        {
            if (full || !f.Optional)
            {
                o[f.Name] = Value(f.Type, type.Name + "." + f.Name, full, depth + 1);
            }
        }

        return o;
    }

    private JsonNode? Value(Type type, string path, bool full, int depth)
    {
        if (depth > 8)
        {
            throw new InvalidOperationException($"{path}: protocol types nest too deeply (a cycle?).");
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        var n = ++_counter;
        if (ProtocolModel.ElementOf(type) is { } element)
        {
            var item = Value(element.Element, path + "[]", full, depth + 1);
            return element.IsDictionary ? new JsonObject { ["key" + n] = item } : new JsonArray(item);
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return JsonSerializer.SerializeToNode(values.GetValue(n % values.Length), type, _json);
        }

        return type switch
        {
            _ when type == typeof(string) => $"{path} {n}",
            _ when type == typeof(DateTimeOffset) => new DateTimeOffset(2026, 1, 2, 3, 4, n % 60, TimeSpan.Zero).ToString("o", CultureInfo.InvariantCulture),
            _ when type == typeof(bool) => n % 2 == 0,
            _ when type == typeof(int) => 100 + n,
            _ when type == typeof(uint) => 3_000_000_000u + (uint)n,
            _ when type == typeof(long) => 5_000_000_000L + n,
            _ when type == typeof(double) || type == typeof(float) => n + 0.25,
            _ when type.IsClass && type.Assembly == model.Assembly => Record(type, full, depth),
            _ => throw new InvalidOperationException($"{path}: no sample for {type}."),
        };
    }
}
