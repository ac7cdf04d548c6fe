using System.Text.Json;
using ModelIde.TestSupport;
using Xunit.Abstractions;

namespace ModelIde.Cli.Tests.Models;

/// <summary>Issue 19 cases 11 (a 1.5 GB answer) and 12 (out-of-range dates) through the CLI process, against a fake hub.</summary>
public sealed class HostileAnswerCliTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> Anonymous = new() { ["MODELSCOPE_API_TOKEN"] = null, ["MODELSCOPE_ENDPOINT"] = null };

    [Fact]
    public async Task Out_of_range_dates_are_left_empty_and_the_whole_page_is_listed()
    {
        using var server = new RecordingHttpServer(_ => FakeAnswer.Json(HostileAnswers.PageWithHostileDates));

        var r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", server.BaseUri.AbsoluteUri, "--json"], Anonymous);
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Err}");
        using (var doc = JsonDocument.Parse(r.Out))
        {
            var models = doc.RootElement.GetProperty("models").EnumerateArray().ToList();
            Assert.Equal(6, models.Count);
            Assert.All(models.Take(5), m => Assert.Equal(JsonValueKind.Null, m.GetProperty("lastModified").ValueKind));
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), models[5].GetProperty("lastModified").GetDateTimeOffset());
        }

        r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", server.BaseUri.AbsoluteUri], Anonymous);
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Err}");
        Assert.Contains("a/epoch-ms-too-big", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_huge_api_answer_is_read_only_up_to_the_cap_and_fails_clearly(bool declareLength)
    {
        using var server = new RecordingHttpServer(_ => HostileAnswers.HugePage(declareLength));

        var r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", server.BaseUri.AbsoluteUri], Anonymous);

        Assert.Equal(1, r.Code);
        Assert.Contains(declareLength ? "answered /openapi/v1/models with 1,473.4 MB" : "answered /openapi/v1/models with more than 64 MB", r.Err, StringComparison.Ordinal);
        Assert.True(server.BodyBytesSent <= (declareLength ? HostileAnswers.SocketSlack : HostileAnswers.Cap + HostileAnswers.SocketSlack), $"{server.BodyBytesSent:N0} bytes were sent");
        output.WriteLine($"declared length {declareLength}: the hub got {server.BodyBytesSent:N0} body bytes out before the CLI stopped");
    }
}
