using System.Net;
using System.Net.Sockets;
using ModelIde.Core.Auth;

namespace ModelIde.Core.Tests.Auth;

public sealed class LoopbackRedirectListenerTests
{
    [Fact]
    public async Task Takes_only_a_get_on_its_callback_path_with_state_and_answers_the_browser()
    {
        using var listener = LoopbackRedirectListener.Start();
        Assert.Equal("127.0.0.1", listener.RedirectUri.Host);
        var wait = listener.WaitForCallbackAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        using var http = new HttpClient();

        using (var wrongPath = await http.GetAsync(new Uri(listener.RedirectUri, "/callback?code=c&state=s")))
        {
            Assert.Equal(HttpStatusCode.NotFound, wrongPath.StatusCode);
        }

        using (var noState = await http.GetAsync(new Uri(listener.RedirectUri.AbsoluteUri + "?code=c")))
        {
            Assert.Equal(HttpStatusCode.NotFound, noState.StatusCode);
        }

        using (var post = await http.PostAsync(new Uri(listener.RedirectUri.AbsoluteUri + "?code=c&state=s"), new StringContent("")))
        {
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }

        Assert.False(wait.IsCompleted);
        var page = http.GetStringAsync(new Uri(listener.RedirectUri.AbsoluteUri + "?code=the%20code&state=s1"));
        using var callback = await wait;
        Assert.Equal("the code", callback.Query["code"]);
        Assert.Equal("s1", callback.Query["state"]);
        await callback.RespondAsync(true, "Signed in as <demo>.", CancellationToken.None);
        var html = await page;
        Assert.Contains("Signed in as &lt;demo&gt;.", html);
    }

    [Fact]
    public async Task Cancellation_stops_the_wait()
    {
        using var listener = LoopbackRedirectListener.Start();
        using var cts = new CancellationTokenSource();
        var wait = listener.WaitForCallbackAsync(TimeSpan.FromMinutes(5), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    // A hang guard only: far above any honest answer, far below what a starved listener takes (8 x head timeout).
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Idle_connections_held_open_do_not_delay_the_real_callback()
    {
        // Issue 19 case 15: eight idle connections used to delay the callback by 8 x 10 s (served one at a time). With
        // a head timeout of a minute, a listener that waited for even one idle connection would miss the 30 s guard.
        using var listener = LoopbackRedirectListener.Start(maxConnections: 16, headTimeout: TimeSpan.FromMinutes(1));
        var wait = listener.WaitForCallbackAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                idle.Add(await ConnectAsync(listener, i % 2 == 0 ? null : "GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
            }

            using var http = new HttpClient();
            var page = http.GetStringAsync(new Uri(listener.RedirectUri.AbsoluteUri + "?code=c&state=s")).WaitAsync(Hang);
            using var callback = await wait.WaitAsync(Hang);

            Assert.Equal("c", callback.Query["code"]);
            await callback.RespondAsync(true, "ok", CancellationToken.None);
            Assert.Contains("ok", await page, StringComparison.Ordinal);

            // The idle connections do not outlive the sign-in (their own deadline is a minute away).
            await Until(() => idle.All(ClosedByServer), "the idle connections to be closed when the wait ended");
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task More_idle_connections_than_the_bound_evict_the_oldest_and_a_slow_head_is_cut_at_its_deadline()
    {
        using var listener = LoopbackRedirectListener.Start(maxConnections: 4, headTimeout: TimeSpan.FromSeconds(2));
        var wait = listener.WaitForCallbackAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                idle.Add(await ConnectAsync(listener, null));
            }

            // All but the newest few are evicted by the ones after them; those end at their head deadline (2 s),
            // long before the 5-minute sign-in timeout, while the listener keeps waiting.
            await Until(() => idle.Count(ClosedByServer) >= 40 - 4, "the oldest idle connections to be closed");
            await Until(() => idle.All(ClosedByServer), "every idle connection to reach its deadline");
            Assert.False(wait.IsCompleted);

            using var http = new HttpClient();
            var page = http.GetStringAsync(new Uri(listener.RedirectUri.AbsoluteUri + "?code=c2&state=s")).WaitAsync(Hang);
            using var callback = await wait.WaitAsync(Hang);
            Assert.Equal("c2", callback.Query["code"]);
            await callback.RespondAsync(true, "ok", CancellationToken.None);
            await page;
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    private static async Task<TcpClient> ConnectAsync(LoopbackRedirectListener listener, string? partialHead)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, listener.RedirectUri.Port);
        if (partialHead is not null)
        {
            await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(partialHead));
        }

        return client;
    }

    /// <summary>The server closed (or reset) this connection without answering it.</summary>
    private static bool ClosedByServer(TcpClient client)
    {
        var socket = client.Client;
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Hang;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
