using Microsoft.Extensions.Logging;
using ModelIde.Protocol;

namespace ModelIde.Sidecar.Logging;

/// <summary>
/// The sidecar's log: Microsoft.Extensions.Logging with one provider, <see cref="StderrLoggerProvider"/>, whose level
/// the client can change at any time (<c>--log-level</c>, <c>sidecar/initialize</c>, <c>sidecar/setLogLevel</c>).
/// </summary>
public sealed class SidecarLogging : IDisposable
{
    private volatile LogLevel _minimum;

    public SidecarLogging(TextWriter output, LogLevel minimum = LogLevel.Information)
    {
        _minimum = minimum;
        Factory = LoggerFactory.Create(b => b
            .SetMinimumLevel(LogLevel.Trace)
            .AddFilter(level => level >= _minimum)
            .AddProvider(new StderrLoggerProvider(output)));
    }

    public ILoggerFactory Factory { get; }

    public LogLevel Minimum => _minimum;

    /// <summary>A log that goes nowhere (in-process tests that do not look at it).</summary>
    public static SidecarLogging None() => new(TextWriter.Null, LogLevel.None);

    public void SetMinimum(LogLevel level) => _minimum = level;

    public void SetMinimum(SidecarLogLevel level) => _minimum = ToLogLevel(level);

    public static LogLevel ToLogLevel(SidecarLogLevel level) => level switch
    {
        SidecarLogLevel.Trace => LogLevel.Trace,
        SidecarLogLevel.Debug => LogLevel.Debug,
        SidecarLogLevel.Warn => LogLevel.Warning,
        SidecarLogLevel.Error => LogLevel.Error,
        _ => LogLevel.Information,
    };

    /// <summary>The <c>--log-level</c> words (the extension's, and .NET's own names); null for an unknown word.</summary>
    public static LogLevel? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "off" or "none" => LogLevel.None,
        _ => null,
    };

    public void Dispose() => Factory.Dispose();
}
