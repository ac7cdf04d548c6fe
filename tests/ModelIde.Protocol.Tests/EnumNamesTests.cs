using System.Text.Json;

namespace ModelIde.Protocol.Tests;

/// <summary>The Protocol's enums (Core uses them too) go over the wire by name only.</summary>
public sealed class EnumNamesTests
{
    [Fact]
    public void Error_kinds_and_error_codes_agree()
    {
        foreach (var kind in Enum.GetValues<ModelIdeErrorKind>())
        {
            var code = typeof(RpcErrorCodes).GetField(kind.ToString())!.GetRawConstantValue();
            Assert.Equal(code, Sidecar.RpcErrors.CodeFor(kind));
        }
    }

    [Fact]
    public void Enums_go_over_the_wire_by_name_and_a_number_is_refused()
    {
        var json = ProtocolJson.Create();
        Assert.Equal("""{"backend":"","model":"","dataset":[],"tuner":"qlora","extraArgs":[]}""", JsonSerializer.Serialize(new JobSpec { Tuner = JobTunerKind.Qlora }, json));
        Assert.Equal("\"oauth\"", JsonSerializer.Serialize(AuthSessionKind.OAuth, json));
        Assert.Equal("\"env\"", JsonSerializer.Serialize(LocalCredentialSource.Environment, json));
        Assert.Equal(JobTunerKind.Full, JsonSerializer.Deserialize<JobSpec>("""{"tuner":"full"}""", json)!.Tuner);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobSpec>("""{"tuner":2}""", json));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobSpec>("""{"tuner":"fine"}""", json));
    }
}
