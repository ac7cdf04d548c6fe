using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelIde.Protocol;

// The attributes below make each method-name constant the one description of its message: the sidecar's handlers
// are checked against them (tests), and the extension's TypeScript types and docs/protocol.md's tables are generated
// from them (tools/ModelIde.ProtocolGen, run by scripts/protocol.sh; the build fails when the generated files are stale).

/// <summary>Who sends a notification.</summary>
public enum RpcDirection
{
    SidecarToClient,
    ClientToSidecar,
}

/// <summary>The constant names a request from the extension to the sidecar, with its params and result types.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class RpcRequestAttribute : Attribute
{
    /// <summary>A request without params.</summary>
    public RpcRequestAttribute(Type resultType)
    {
        ResultType = resultType;
    }

    public RpcRequestAttribute(Type paramsType, Type resultType)
    {
        ParamsType = paramsType;
        ResultType = resultType;
    }

    public Type? ParamsType { get; }

    public Type ResultType { get; }

    /// <summary>Runs until done or cancelled (<c>$/cancelRequest</c>); progress comes as notifications.</summary>
    public bool IsLong { get; init; }
}

/// <summary>The constant names a notification, with its params type and direction.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class RpcNotificationAttribute(Type paramsType) : Attribute
{
    public Type ParamsType { get; } = paramsType;

    public RpcDirection Direction { get; init; } = RpcDirection.SidecarToClient;
}

/// <summary>The JSON both sides speak: camelCase members, nulls left out, enums as camelCase names only.</summary>
public static class ProtocolJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.PropertyNameCaseInsensitive = true;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        // By name on the wire, never by number: an ordinal would silently change meaning when a member is added.
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }

    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions();
        Configure(options);
        return options;
    }
}

/// <summary>A time as .NET's round-trip text (<c>o</c>: always seven fractional digits and the offset), for members that have always been sent that way.</summary>
public sealed class RoundTripTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("o", CultureInfo.InvariantCulture));
}
