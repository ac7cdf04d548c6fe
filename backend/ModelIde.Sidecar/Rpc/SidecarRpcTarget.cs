using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary>Lifecycle: initialize, ping, echo, the log level.</summary>
public sealed class SidecarRpcTarget(SidecarContext context) : IRpcTarget
{
    private readonly ILogger _log = context.CreateLogger<SidecarRpcTarget>();

    public static string Version { get; } =
        typeof(SidecarRpcTarget).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    [JsonRpcMethod(SidecarMethods.Initialize, UseSingleObjectParameterDeserialization = true)]
    public InitializeResult Initialize(InitializeParams p)
    {
        if (!string.IsNullOrWhiteSpace(p.Endpoint))
        {
            context.Session.SetEndpoint(new Uri(p.Endpoint, UriKind.Absolute));
        }

        if (p.LogLevel is { } level)
        {
            context.Logging.SetMinimum(level);
        }

        if (!string.IsNullOrWhiteSpace(p.Locale))
        {
            context.Locale = p.Locale;
            try
            {
                // The UI culture only (resources, messages): formatting stays invariant, swift command lines included.
                CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.GetCultureInfo(p.Locale);
            }
            catch (CultureNotFoundException)
            {
                _log.LogWarning("Unknown locale '{Locale}'; keeping {Culture}.", p.Locale, CultureInfo.CurrentCulture.Name);
            }
        }

        _log.LogInformation("Initialized for {Endpoint}, log level {Level}, locale {Locale}.", context.Session.Endpoint, context.Logging.Minimum, context.Locale ?? "-");
        return new InitializeResult(Version, Environment.ProcessId, context.Session.Endpoint.ToString());
    }

    [JsonRpcMethod(SidecarMethods.Ping)]
    public PingResult Ping() =>
        new(Environment.ProcessId, (long)(DateTimeOffset.UtcNow - context.StartedAt).TotalMilliseconds);

    [JsonRpcMethod(SidecarMethods.Echo, UseSingleObjectParameterDeserialization = true)]
    public EchoParams Echo(EchoParams p) => p;

    [JsonRpcMethod(SidecarMethods.SetLogLevel, UseSingleObjectParameterDeserialization = true)]
    public void SetLogLevel(SetLogLevelParams p)
    {
        context.Logging.SetMinimum(p.Level);
        _log.LogInformation("Log level is now {Level}.", context.Logging.Minimum);
    }
}
