using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.TestSupport;

namespace ModelIde.Core.Tests.ModelScopeApi;

/// <summary>Issue 19 cases 11 (huge API answers) and 12 (out-of-range dates) against a fake hub on 127.0.0.1.</summary>
public sealed class HostileAnswerTests
{
    [Theory]
    [InlineData("9000000000000000000", null)]
    [InlineData("-9000000000000000000", null)]
    [InlineData("9e18", null)]
    [InlineData("1e300", null)]
    [InlineData("-1e300", null)]
    [InlineData("\"9e18\"", null)]
    [InlineData("\"9000000000000000000\"", null)]
    [InlineData("\"NaN\"", null)]
    [InlineData("\"Infinity\"", null)]
    [InlineData("\"not a date\"", null)]
    [InlineData("253402300800000", null)] // one millisecond past 9999-12-31T23:59:59.999
    [InlineData("-62135596801", null)] // one second before 0001-01-01
    [InlineData("[1]", null)]
    [InlineData("1700000000", "2023-11-14T22:13:20+00:00")]
    [InlineData("1700000000123", "2023-11-14T22:13:20.123+00:00")]
    [InlineData("1700000000.5", "2023-11-14T22:13:20.5+00:00")]
    [InlineData("\"1700000000\"", "2023-11-14T22:13:20+00:00")]
    [InlineData("\"2024-05-01T10:00:00Z\"", "2024-05-01T10:00:00+00:00")]
    [InlineData("-62135596800", "0001-01-01T00:00:00+00:00")]
    [InlineData("253402300799999", "9999-12-31T23:59:59.999+00:00")]
    [InlineData("99999999999", "5138-11-16T09:46:39+00:00")] // the largest value read as seconds; above it, milliseconds
    [InlineData("100000000001", "1973-03-03T09:46:40.001+00:00")]
    public void A_date_the_hub_sends_is_read_or_left_empty_never_thrown(string json, string? expected)
    {
        using var doc = JsonDocument.Parse($"{{\"last_modified\":{json}}}");

        var date = ModelJson.Date(doc.RootElement, "last_modified");

        Assert.Equal(expected, date?.ToString("yyyy-MM-ddTHH:mm:ss.FFFzzz", CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_page_with_out_of_range_dates_keeps_every_model()
    {
        using var server = new RecordingHttpServer(_ => FakeAnswer.Json("""
            {"success":true,"data":{"total_count":3,"models":[
              {"id":"a/one","last_modified":9000000000000000000},
              {"id":"a/two","LastUpdatedTime":"9e18","created_at":-9000000000000000000},
              {"id":"a/three","last_modified":1700000000}]}}
            """));
        using var http = new HttpClient();
        var api = new ModelScopeApiClient(http, new HubSession(server.BaseUri), RetryPolicy.None);

        var page = await api.SearchModelsAsync(new ModelSearchQuery(), CancellationToken.None);

        Assert.Equal(["a/one", "a/two", "a/three"], page.Models.Select(m => m.Id));
        Assert.Equal([null, null, DateTimeOffset.FromUnixTimeSeconds(1700000000)], page.Models.Select(m => m.LastModified));
    }

    private static FakeAnswer Page(long models, bool declareLength) => new(
        200,
        "{\"success\":true,\"data\":{\"models\":[",
        Unit: "{\"id\":\"a/b\",\"description\":\"" + new string('x', 100) + "\"},",
        UnitRepeats: models,
        Tail: "{\"id\":\"a/c\"}],\"total_count\":1}}",
        DeclareLength: declareLength);

    private const int UnitBytes = 130; // {"id":"a/b","description":"x..x"}, with 100 x

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_answer_larger_than_the_cap_is_refused_after_reading_at_most_the_cap(bool declareLength)
    {
        // 1 MiB cap here (64 MiB in the product) and a 100 MB answer.
        using var server = new RecordingHttpServer(_ => Page(800_000, declareLength));
        using var http = new HttpClient();
        var api = new ModelScopeApiClient(http, new HubSession(server.BaseUri), RetryPolicy.Default) { MaxResponseBytes = 1 << 20 };

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => api.SearchModelsAsync(new ModelSearchQuery(), CancellationToken.None));

        Assert.Equal(ModelIdeErrorKind.UnsafeInput, ex.Kind);
        Assert.Equal(
            declareLength
                ? $"127.0.0.1:{server.Port} answered /openapi/v1/models with 99.2 MB; an API answer larger than 1 MB is not read (a page of models is well under 1 MB). Is this the right hub?"
                : $"127.0.0.1:{server.Port} answered /openapi/v1/models with more than 1 MB; an API answer larger than 1 MB is not read (a page of models is well under 1 MB). Is this the right hub?",
            ex.Message);
        Assert.Equal(1, server.Connections); // not retried: the same hub would send the same answer
        Assert.True(server.BodyBytesSent < (declareLength ? 0 : 1 << 20) + (32 << 20), $"{server.BodyBytesSent:N0} bytes were sent");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_answer_just_under_or_exactly_at_the_cap_is_read_whole(bool declareLength)
    {
        var prefix = "{\"success\":true,\"data\":{\"models\":[".Length;
        var tail = "{\"id\":\"a/c\"}],\"total_count\":1}}".Length;
        const int models = 8000;
        var exact = prefix + (UnitBytes * models) + tail;
        Assert.Equal(UnitBytes, Encoding.UTF8.GetByteCount(Page(1, true).Unit!));
        using var server = new RecordingHttpServer(_ => Page(models, declareLength));
        using var http = new HttpClient();

        foreach (var cap in new long[] { exact, exact + 1 })
        {
            var api = new ModelScopeApiClient(http, new HubSession(server.BaseUri), RetryPolicy.None) { MaxResponseBytes = cap };
            var page = await api.SearchModelsAsync(new ModelSearchQuery(), CancellationToken.None);
            Assert.Equal(models + 1, page.Models.Count);
        }

        var under = new ModelScopeApiClient(http, new HubSession(server.BaseUri), RetryPolicy.None) { MaxResponseBytes = exact - 1 };
        await Assert.ThrowsAsync<ModelIdeException>(() => under.SearchModelsAsync(new ModelSearchQuery(), CancellationToken.None));
    }
}
