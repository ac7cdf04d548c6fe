using System.Net;
using System.Text;

namespace ModelIde.Core.Tests.Hub;

/// <summary>An in-test HttpMessageHandler: answers each request with a function and records what was sent.</summary>
public sealed class FakeHubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public List<(Uri Uri, bool HasAuthorization, bool HasCookie, string? Range)> Requests { get; } = [];

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Requests)
        {
            Requests.Add((request.RequestUri!, request.Headers.Authorization is not null, request.Headers.Contains("Cookie"), request.Headers.Range?.ToString()));
        }

        return Task.FromResult(answer(request));
    }
}
