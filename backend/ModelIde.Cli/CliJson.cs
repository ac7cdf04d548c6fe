using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ModelIde.Core.Inference.Gpu;
using ModelIde.Core.Models;

namespace ModelIde.Cli;

/// <summary>
/// What `--json` prints, without reflection: the native (AOT) build of the CLI cannot serialize types it has no
/// compile-time metadata for. Ad-hoc reports are JSON trees; the hub's own records go through <see cref="CliJsonContext"/>.
/// </summary>
internal static class CliJson
{
    /// <summary>The hub's answers as `models ... --json` has always printed them: camelCase, indented.</summary>
    public static JsonSerializerOptions Hub { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true, TypeInfoResolver = CliJsonContext.Default };

    /// <summary>A JSON array of <paramref name="items"/>, or null (printed as null) when there are none to speak of.</summary>
    public static JsonArray? Array<T>(IEnumerable<T>? items, Func<T, JsonNode?> node) => items is null ? null : new JsonArray(items.Select(node).ToArray());

    public static JsonNode Gpu(NvidiaGpu g) => new JsonObject
    {
        ["name"] = g.Name,
        ["totalMemoryBytes"] = g.TotalMemoryBytes,
        ["freeMemoryBytes"] = g.FreeMemoryBytes,
        ["computeCapability"] = g.ComputeCapability,
    };
}

[JsonSerializable(typeof(ModelSearchPage))]
[JsonSerializable(typeof(IReadOnlyList<RepoFile>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
