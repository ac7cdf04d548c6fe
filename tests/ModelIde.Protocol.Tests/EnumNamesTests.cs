using System.Text.Json;
using ModelIde.Core;
using ModelIde.Core.Auth;
using ModelIde.Core.Inference;
using ModelIde.Core.Jobs;
using ModelIde.Core.Models;
using ModelIde.Sidecar.Rpc;

namespace ModelIde.Protocol.Tests;

/// <summary>Protocol enums and their Core twins map member by member, by name; the wire takes names only.</summary>
public sealed class EnumNamesTests
{
    [Fact]
    public void Every_member_maps_to_its_twin_and_back()
    {
        RoundTrip<AuthSessionKind, AuthSessionKindDto>();
        RoundTrip<LocalCredentialSource, LocalCredentialSourceDto>();
        RoundTrip<DevicePolicy, DevicePolicyKind>();
        RoundTrip<StopReason, StopReasonKind>();
    }

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
    public void A_member_without_a_twin_fails_loudly_instead_of_shifting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => EnumNames.Map<JobStateKind, JobTunerKind>(JobStateKind.Running));
        Assert.Contains("Running", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enums_go_over_the_wire_by_name_and_a_number_is_refused()
    {
        var json = ProtocolJson.Create();
        Assert.Equal("""{"backend":"","model":"","dataset":[],"tuner":"qlora","extraArgs":[]}""", JsonSerializer.Serialize(new JobSpec { Tuner = JobTunerKind.Qlora }, json));
        Assert.Equal("\"oauth\"", JsonSerializer.Serialize(AuthSessionKindDto.OAuth, json));
        Assert.Equal("\"env\"", JsonSerializer.Serialize(LocalCredentialSourceDto.Environment, json));
        Assert.Equal(JobTunerKind.Full, JsonSerializer.Deserialize<JobSpec>("""{"tuner":"full"}""", json)!.Tuner);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobSpec>("""{"tuner":2}""", json));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobSpec>("""{"tuner":"fine"}""", json));
    }

    private static void RoundTrip<TCore, TWire>()
        where TCore : struct, Enum
        where TWire : struct, Enum
    {
        Assert.Equal(Enum.GetNames<TCore>().Length, Enum.GetNames<TWire>().Length);
        foreach (var value in Enum.GetValues<TCore>())
        {
            Assert.Equal(value, EnumNames.Map<TWire, TCore>(EnumNames.Map<TCore, TWire>(value)));
        }
    }
}
