using System.Reflection;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary>Lifecycle: initialize, ping, echo.</summary>
public sealed class SidecarRpcTarget(SidecarContext context) : IRpcTarget
{
    public static string Version { get; } =
        typeof(SidecarRpcTarget).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    [JsonRpcMethod(SidecarMethods.Initialize, UseSingleObjectParameterDeserialization = true)]
    public InitializeResult Initialize(InitializeParams p)
    {
        if (!string.IsNullOrWhiteSpace(p.Endpoint))
        {
            context.Session.SetEndpoint(new Uri(p.Endpoint, UriKind.Absolute));
        }

        return new InitializeResult(Version, Environment.ProcessId, context.Session.Endpoint.ToString());
    }

    [JsonRpcMethod(SidecarMethods.Ping)]
    public PingResult Ping() =>
        new(Environment.ProcessId, (long)(DateTimeOffset.UtcNow - context.StartedAt).TotalMilliseconds);

    [JsonRpcMethod(SidecarMethods.Echo, UseSingleObjectParameterDeserialization = true)]
    public EchoParams Echo(EchoParams p) => p;

}
