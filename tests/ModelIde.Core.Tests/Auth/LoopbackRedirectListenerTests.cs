using System.Net;
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
}
