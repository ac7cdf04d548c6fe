using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ModelIde.Hub.Tests;

/// <summary>One in-process hub per test class, reached over real HTTP on loopback.</summary>
public class HubFixture : IAsyncLifetime
{
    public LocalHub Hub { get; private set; } = null!;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };

    protected virtual LocalHubOptions Options => new();

    public async Task InitializeAsync() => Hub = await LocalHub.StartAsync(Options, CancellationToken.None);

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Hub.DisposeAsync();
    }

    public Uri Url(string relative) => new(Hub.BaseUri, relative.TrimStart('/'));

    public async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(string relative, string? bearer = null, string? cookie = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(relative));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"m_session_id={cookie}");
        }

        return await SendJsonAsync(request);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> SendJsonAsync(HttpMethod method, string relative, string json, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, Url(relative)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await SendJsonAsync(request);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> SendJsonAsync(HttpRequestMessage request)
    {
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return (response.StatusCode, doc.RootElement.Clone());
    }

    public static string RepoModelsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelIde.sln")))
            {
                return Path.Combine(dir.FullName, "models");
            }
        }

        throw new InvalidOperationException("Repository root not found.");
    }
}

public static class Envelope
{
    /// <summary>Asserts the legacy envelope's exact field names and returns Data.</summary>
    public static JsonElement AssertLegacyOk(JsonElement body)
    {
        Assert.Equal(["Code", "Data", "Message", "RequestId", "Success"], body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(200, body.GetProperty("Code").GetInt32());
        Assert.True(body.GetProperty("Success").GetBoolean());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("RequestId").GetString()));
        return body.GetProperty("Data");
    }

    /// <summary>Asserts the OpenAPI success envelope and returns data.</summary>
    public static JsonElement AssertOpenApiOk(JsonElement body)
    {
        Assert.Equal(["data", "message", "success"], Names(body).Order(StringComparer.Ordinal).ToArray());
        Assert.True(body.GetProperty("success").GetBoolean());
        return body.GetProperty("data");
    }

    public static string AssertOpenApiError(JsonElement body)
    {
        Assert.Equal(["code", "message", "success"], Names(body).Order(StringComparer.Ordinal).ToArray());
        Assert.False(body.GetProperty("success").GetBoolean());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("message").GetString()));
        return body.GetProperty("code").GetString()!;
    }

    public static string[] Names(JsonElement obj) => obj.EnumerateObject().Select(p => p.Name).ToArray();
}
