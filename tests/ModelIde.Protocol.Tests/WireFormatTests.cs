using System.Text.Json;

namespace ModelIde.Protocol.Tests;

/// <summary>Records Core and the sidecar now share still send the bytes the sidecar sent when they were separate.</summary>
public sealed class WireFormatTests
{
    [Fact]
    public void A_model_time_goes_as_round_trip_text_and_comes_back()
    {
        var json = ProtocolJson.Create();
        var time = DateTimeOffset.FromUnixTimeSeconds(1700000000);
        var model = new ModelSummary("a/b", null, null, 1, 2, null, [], false, false, null, time);

        var text = JsonSerializer.Serialize(model, json);

        Assert.Equal("2023-11-14T22:13:20.0000000+00:00", JsonDocument.Parse(text).RootElement.GetProperty("lastModified").GetString());
        Assert.Equal(time, JsonSerializer.Deserialize<ModelSummary>(text, json)!.LastModified);
        Assert.DoesNotContain("lastModified", JsonSerializer.Serialize(model with { LastModified = null }, json), StringComparison.Ordinal);
    }
}
