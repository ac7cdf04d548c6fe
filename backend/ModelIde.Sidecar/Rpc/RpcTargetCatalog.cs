using System.Reflection;

namespace ModelIde.Sidecar.Rpc;

/// <summary>The one place handlers are registered: every <see cref="IRpcTarget"/> in this assembly.</summary>
public static class RpcTargetCatalog
{
    public static IReadOnlyList<Type> TargetTypes { get; } = typeof(RpcTargetCatalog).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IRpcTarget).IsAssignableFrom(t))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToArray();

    public static IEnumerable<IRpcTarget> CreateAll(SidecarContext context) =>
        TargetTypes.Select(t => (IRpcTarget)(Activator.CreateInstance(t, context)
            ?? throw new InvalidOperationException($"Cannot create {t.Name}.")));
}
