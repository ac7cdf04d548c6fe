using Microsoft.Extensions.Logging;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Sidecar.Logging;

namespace ModelIde.Sidecar;

/// <summary>Services shared by the RPC targets of one sidecar process.</summary>
public sealed class SidecarContext : IDisposable
{
    private readonly bool _ownsLogging;

    /// <param name="logging">The process's log; without one, log entries go nowhere (in-process tests).</param>
    public SidecarContext(SidecarOptions options, SidecarLogging? logging = null)
    {
        Options = options;
        _ownsLogging = logging is null;
        Logging = logging ?? SidecarLogging.None();
        Session = new HubSession(HubEndpoints.Resolve(options.Endpoint));
        Http = ModelScopeApiClient.CreateHttpClient();
        Api = new ModelScopeApiClient(Http, Session);
        Session.Rejected += (_, e) => _ = Notifier.NotifyAsync(
            Protocol.AuthMethods.SessionExpired,
            new Protocol.SessionExpiredParams(e.Endpoint.AbsoluteUri, e.UserName, e.Reason));
    }

    public SidecarOptions Options { get; }

    public SidecarLogging Logging { get; }

    /// <summary>The client's UI language (<c>sidecar/initialize</c>), e.g. <c>zh-cn</c>; null until it says.</summary>
    public string? Locale { get; internal set; }

    public HubSession Session { get; }

    public HttpClient Http { get; }

    public ModelScopeApiClient Api { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Sends notifications to the extension; set once the connection is attached.</summary>
    public IClientNotifier Notifier { get; internal set; } = NullClientNotifier.Instance;

    public ILogger CreateLogger<T>() => Logging.Factory.CreateLogger<T>();

    public void Dispose()
    {
        Http.Dispose();
        if (_ownsLogging)
        {
            Logging.Dispose();
        }
    }
}

public sealed record SidecarOptions(string? Endpoint = null, int? ClientProcessId = null, string LogLevel = "info");

/// <summary>Sends JSON-RPC notifications (progress, streamed tokens, expired sessions) to the client.</summary>
public interface IClientNotifier
{
    Task NotifyAsync(string method, object? argument);
}

internal sealed class NullClientNotifier : IClientNotifier
{
    public static readonly NullClientNotifier Instance = new();

    public Task NotifyAsync(string method, object? argument) => Task.CompletedTask;
}
