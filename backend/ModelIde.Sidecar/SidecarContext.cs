using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Sidecar;

/// <summary>Services shared by the RPC targets of one sidecar process.</summary>
public sealed class SidecarContext : IDisposable
{
    public SidecarContext(SidecarOptions options)
    {
        Options = options;
        Session = new HubSession(HubEndpoints.Resolve(options.Endpoint));
        Http = ModelScopeApiClient.CreateHttpClient();
        Api = new ModelScopeApiClient(Http, Session);
        Session.Rejected += (_, e) => _ = Notifier.NotifyAsync(
            Protocol.AuthMethods.SessionExpired,
            new Protocol.SessionExpiredParams(e.Endpoint.AbsoluteUri, e.UserName, e.Reason));
    }

    public SidecarOptions Options { get; }

    public HubSession Session { get; }

    public HttpClient Http { get; }

    public ModelScopeApiClient Api { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Sends notifications to the extension; set once the connection is attached.</summary>
    public IClientNotifier Notifier { get; internal set; } = NullClientNotifier.Instance;

    public void Dispose() => Http.Dispose();
}

public sealed record SidecarOptions(string? Endpoint = null, int? ClientProcessId = null, string LogLevel = "info");

/// <summary>Sends JSON-RPC notifications (progress, streamed tokens, log lines) to the client.</summary>
public interface IClientNotifier
{
    Task NotifyAsync(string method, object? argument);
}

internal sealed class NullClientNotifier : IClientNotifier
{
    public static readonly NullClientNotifier Instance = new();

    public Task NotifyAsync(string method, object? argument) => Task.CompletedTask;
}
