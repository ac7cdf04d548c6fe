using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using ModelIde.Protocol;
using ModelIde.Sidecar.Logging;
using ModelIde.Sidecar.Tests.Rpc;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Logging;

/// <summary>The sidecar's own log (stderr in the real process), read in process through a StringWriter.</summary>
public sealed class SidecarLoggingTests
{
    [Fact]
    public async Task Each_failure_is_logged_once_at_the_boundary_with_its_stack()
    {
        var log = new LockedWriter();
        using var logging = new SidecarLogging(log, LogLevel.Information);
        await using var c = SidecarConnection.Start(logging: logging);

        var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            c.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams("../etc")));

        Assert.Equal(RpcErrorCodes.InvalidInput, ex.ErrorCode);
        var text = log.ToString();
        Assert.Single(Regex.Matches(text, @"^\[warn\] SidecarServer: models/files failed: InvalidInput \(error -32001\)\.$", RegexOptions.Multiline));
        Assert.Matches(@"(?m)^    ModelIde\.Core\.ModelIdeException: ", text);
        Assert.Matches(@"(?m)^       at ModelIde\.", text);
    }

    [Fact]
    public async Task Log_level_follows_set_log_level_at_once()
    {
        var log = new LockedWriter();
        using var logging = new SidecarLogging(log, LogLevel.Information);
        await using var c = SidecarConnection.Start(logging: logging);

        await c.Client.InvokeAsync<PingResult>(SidecarMethods.Ping);
        Assert.DoesNotContain("[debug]", log.ToString(), StringComparison.Ordinal);

        await c.Client.NotifyWithParameterObjectAsync(SidecarMethods.SetLogLevel, new SetLogLevelParams(SidecarLogLevel.Debug));
        await c.Client.InvokeAsync<PingResult>(SidecarMethods.Ping);
        Assert.Matches(@"(?m)^\[debug\] SidecarServer: sidecar/ping answered in [\d.]+ ms$", log.ToString());

        await c.Client.NotifyWithParameterObjectAsync(SidecarMethods.SetLogLevel, new SetLogLevelParams(SidecarLogLevel.Warn));
        var before = Regex.Matches(log.ToString(), @"\[debug\]").Count;
        await c.Client.InvokeAsync<PingResult>(SidecarMethods.Ping);
        await c.Client.InvokeWithParameterObjectAsync<InitializeResult>(SidecarMethods.Initialize, new InitializeParams("http://127.0.0.1:9/", SidecarLogLevel.Error, "zh-cn"));
        Assert.Equal(before, Regex.Matches(log.ToString(), @"\[debug\]").Count);
        Assert.Equal(LogLevel.Error, logging.Minimum);
        Assert.Equal("zh-cn", c.Context.Locale);
    }

    [Fact]
    public void Entries_are_redacted_message_and_exception_alike()
    {
        var log = new LockedWriter();
        using var logging = new SidecarLogging(log, LogLevel.Trace);
        var logger = logging.Factory.CreateLogger("Test");
        const string token = "ms-0123456789abcdef";
        logger.LogWarning(new InvalidOperationException($"refused Authorization: Bearer {token}"), "calling with token={Token}", token);
        var text = log.ToString();
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.Contains("[warn] Test: calling with token=***", text, StringComparison.Ordinal);
        Assert.Contains("Bearer ***", text, StringComparison.Ordinal);
    }

    /// <summary>A StringWriter the sidecar's threads can write to while the test reads it.</summary>
    private sealed class LockedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }
    }
}
