using System.Globalization;
using Microsoft.Extensions.Logging;
using ModelIde.Core.Diagnostics;

namespace ModelIde.Sidecar.Logging;

/// <summary>
/// Writes one redacted line per entry to stderr, <c>[level] Category: message</c>, the form the extension's
/// LogOutputChannel reads; an exception follows on indented lines (read as part of the same entry).
/// </summary>
public sealed class StderrLoggerProvider(TextWriter output) : ILoggerProvider
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, ShortName(categoryName));

    public void Dispose()
    {
    }

    private static string ShortName(string category) => category[(category.LastIndexOf('.') + 1)..];

    private static string LevelWord(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "crit",
    };

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        var text = $"[{LevelWord(level)}] {category}: {message}";
        if (exception is not null)
        {
            text += Environment.NewLine + "    " + exception.ToString().ReplaceLineEndings(Environment.NewLine + "    ");
        }

        // Redacted as a whole: a token in an exception message or a URL is masked like one in the message.
        text = SecretRedactor.Redact(text);
        lock (_gate)
        {
            output.WriteLine(text);
            output.Flush();
        }
    }

    private sealed class Logger(StderrLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, string.Format(CultureInfo.InvariantCulture, "{0}", formatter(state, exception)), exception);
            }
        }
    }
}
