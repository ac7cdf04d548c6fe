using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ModelIde.Hub.Api;

namespace ModelIde.Hub.Faults;

/// <summary>Middleware shared by both hosts: request log first, then injected faults.</summary>
internal static class HubPipeline
{
    public static void UseRequestLogAndFaults(this IApplicationBuilder app, HubContext hub, string host)
    {
        app.Use(async (http, next) =>
        {
            var path = http.Request.Path.Value ?? "/";
            if (path.StartsWith("/_admin", StringComparison.Ordinal))
            {
                await next(http);
                return;
            }

            http.Response.Headers["x-request-id"] = Guid.NewGuid().ToString();
            var counter = host == RequestLog.BlobHost ? new ByteCountingStream(http.Response.Body, http.Response.BodyWriter) : null;
            if (counter is not null)
            {
                http.Response.Body = counter;
            }

            try
            {
                var effects = hub.Faults.Take(http.Request.Method, path, path + http.Request.QueryString.Value);
                http.Features.Set(effects);
                if (counter is not null && effects.RateLimitBytesPerSecond is { } rate)
                {
                    http.Response.Body = new PacedStream(counter, rate);
                }

                if (effects.DelayMs > 0)
                {
                    await Task.Delay(effects.DelayMs, http.RequestAborted);
                }

                if (effects.Status is { } status)
                {
                    if (effects.RetryAfterSeconds is { } retryAfter)
                    {
                        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    if (host == RequestLog.BlobHost)
                    {
                        http.Response.StatusCode = status;
                        http.Response.ContentType = "text/plain";
                        await http.Response.WriteAsync($"Injected fault: HTTP {status}.", http.RequestAborted);
                    }
                    else
                    {
                        await Envelopes.ErrorFor(path, status, status == 429 ? "TooManyRequests" : "ServerError", $"Injected fault: HTTP {status}.").ExecuteAsync(http);
                    }

                    return;
                }

                await next(http);
            }
            finally
            {
                hub.Log.Add(new HubRequest(
                    DateTimeOffset.UtcNow,
                    host,
                    http.Request.Method,
                    path,
                    http.Request.QueryString.Value ?? "",
                    http.Request.Headers.Authorization.Count > 0,
                    http.Request.Cookies.ContainsKey("m_session_id") || http.Request.Cookies.ContainsKey("modelscope_session"),
                    http.Request.Headers.Range.Count > 0 ? http.Request.Headers.Range.ToString() : null,
                    http.Request.Headers.UserAgent.Count > 0 ? http.Request.Headers.UserAgent.ToString() : null,
                    http.Response.StatusCode,
                    counter?.Count ?? 0));
            }
        });
    }

    /// <summary>Response body paced to a byte rate: slices of about 20 ms, each sent when the rate allows it.</summary>
    private sealed class PacedStream(Stream inner, long bytesPerSecond) : Stream
    {
        private readonly System.Diagnostics.Stopwatch _clock = new();
        private readonly int _slice = (int)Math.Clamp(bytesPerSecond / 50, 1024, 1 << 20);
        private long _sent;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            for (var done = 0; done < count;)
            {
                var n = Math.Min(_slice, count - done);
                inner.Write(buffer, offset + done, n);
                done += n;
                if (Due(n) is { } wait)
                {
                    Thread.Sleep(wait);
                }
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (!buffer.IsEmpty)
            {
                var n = Math.Min(_slice, buffer.Length);
                await inner.WriteAsync(buffer[..n], cancellationToken).ConfigureAwait(false);
                // Flush each slice so the pacing happens on the wire, not in Kestrel's output buffer.
                await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
                if (Due(n) is { } wait)
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <summary>How long to wait after <paramref name="bytes"/> more so the average stays at the rate; null when not ahead.</summary>
        private TimeSpan? Due(int bytes)
        {
            if (!_clock.IsRunning)
            {
                _clock.Start();
            }

            _sent += bytes;
            var ahead = TimeSpan.FromSeconds((double)_sent / bytesPerSecond) - _clock.Elapsed;
            return ahead > TimeSpan.Zero ? ahead : null;
        }
    }

    /// <summary>
    /// Pass-through response body that counts what was written, including writes cut off by a client that went away. A
    /// blob body may go to <see cref="Output"/> instead and be counted through <see cref="AddWrittenToOutput"/>.
    /// </summary>
    internal sealed class ByteCountingStream(Stream inner, PipeWriter output) : Stream
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        /// <summary>The server's own output pipe, which this stream writes into as well (by copying each buffer into it).</summary>
        public PipeWriter Output => output;

        public void AddWrittenToOutput(int bytes) => Interlocked.Add(ref _count, bytes);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Interlocked.Add(ref _count, count);
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Add(ref _count, buffer.Length);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
