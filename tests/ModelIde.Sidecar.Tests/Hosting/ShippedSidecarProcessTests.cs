using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Inference;
using ModelIde.Sidecar.Tests.Jobs;
using ModelIde.Sidecar.Tests.Rpc;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Hosting;

/// <summary>
/// The paths a trimmed sidecar loses first, through the process the extension starts: serialization of the protocol
/// (initialize), a real chat template in Jint, ONNX Runtime inference, and SSH.NET's key exchange and commands. With
/// MODELIDE_SIDECAR_EXE set (scripts/test.d/30-e2e.sh sets it to the published sidecar it packaged) this is the VSIX's
/// binary; without it, the build output.
/// </summary>
public sealed class ShippedSidecarProcessTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("modelide-shipped-sidecar-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private (Process Process, JsonRpc Rpc) Start()
    {
        var process = SidecarProcessTests.StartSidecar(
            new Dictionary<string, string?> { ["MODELSCOPE_API_TOKEN"] = null, ["MODELIDE_JOBS_STATE_DIR"] = _state },
            "--endpoint", "http://127.0.0.1:9");
        _ = process.StandardError.ReadToEndAsync();
        var formatter = new SystemTextJsonFormatter();
        SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
        var rpc = new TypedErrorsJsonRpc(new HeaderDelimitedMessageHandler(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, formatter));
        rpc.StartListening();
        return (process, rpc);
    }

    private static void Stop(Process process, JsonRpc rpc)
    {
        rpc.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }

    [Fact]
    public async Task Initializes_and_renders_a_real_chat_template_as_python_jinja2_then_generates_as_from_the_rendered_prompt()
    {
        // Qwen2.5's template (namespaces, loops, tool branches) on the bundled model; python3-jinja2's rendering is the oracle.
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelIde.TestSupport.RepoPaths.Root(), "tests", "ModelIde.Core.Tests",
            "Inference", "Fixtures", "chat-templates", "expected.json")));
        var chat = fixture.RootElement.GetProperty("cases").EnumerateArray().First(c =>
            c.GetProperty("family").GetString() == "qwen2.5" && c.GetProperty("add_generation_prompt").GetBoolean()
            && c.GetProperty("messages").GetArrayLength() >= 2 && !c.TryGetProperty("tools", out _));
        var messages = chat.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessageDto(Enum.Parse<ChatRole>(m.GetProperty("role").GetString()!, ignoreCase: true), m.GetProperty("content").GetString()!))
            .ToArray();
        var template = File.ReadAllText(Path.Combine(ModelIde.TestSupport.RepoPaths.Root(), "tests", "ModelIde.Core.Tests",
            "Inference", "Fixtures", "chat-templates", "qwen2.5.jinja"));
        var modelDir = HostileChatTemplateTests.ModelWithTemplate(template);
        var (process, rpc) = Start();
        try
        {
            var init = await rpc.InvokeWithParameterObjectAsync<InitializeResult>(SidecarMethods.Initialize,
                new InitializeParams("http://127.0.0.1:9", SidecarLogLevel.Info, "zh-cn"));
            Assert.Equal(process.Id, init.ProcessId);
            Assert.StartsWith(ModelIde.Sidecar.Rpc.SidecarRpcTarget.Version.Split('+')[0] + "+", init.Version, StringComparison.Ordinal);

            var load = await rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
                new InferenceLoadParams(modelDir, DevicePolicyKind.PreferCpu, Threads: 1));
            var fromMessages = await rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                new InferenceGenerateParams(load.SessionId, "chat", Messages: messages, MaxNewTokens: 6, Temperature: 0));
            var fromOracle = await rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                new InferenceGenerateParams(load.SessionId, "oracle", Prompt: chat.GetProperty("expected").GetString(), MaxNewTokens: 6, Temperature: 0));

            // A template that failed in Jint would fall back to another format: another prompt length, other tokens.
            Assert.Equal(fromOracle.PromptTokens, fromMessages.PromptTokens);
            Assert.Equal(fromOracle.TokenIds, fromMessages.TokenIds);
            Assert.NotEmpty(fromMessages.TokenIds);
        }
        finally
        {
            Stop(process, rpc);
            Directory.Delete(modelDir, recursive: true);
        }
    }

    [Fact]
    public async Task Refuses_an_unknown_ssh_host_with_its_fingerprint_then_inspects_it_once_trusted()
    {
        var env = SshTestServer.Environment();
        var (host, port) = (env["MODELIDE_SSH_HOST"], int.Parse(env["MODELIDE_SSH_PORT"], CultureInfo.InvariantCulture));
        var spec = new JobSpec
        {
            Backend = $"ssh://{env["MODELIDE_SSH_USER"]}@{host}:{port}",
            IdentityFile = env["MODELIDE_SSH_KEY"],
            Model = "Qwen/Qwen2.5-0.5B-Instruct",
            Dataset = [env["MODELIDE_SSH_DATASET"]],
        };
        var (process, rpc) = Start();
        try
        {
            var refused = await Assert.ThrowsAsync<RemoteInvocationException>(() => rpc.InvokeWithParameterObjectAsync<JobHostReportResult>(JobsMethods.InspectHost, spec));
            var data = Assert.IsType<RpcErrorData>(refused.DeserializedErrorData);
            Assert.Equal((RpcServerCodes.UnknownHostKey, host, port, env["MODELIDE_SSH_HOST_FINGERPRINT"]), (data.ServerCode, data.Host, data.Port, data.Fingerprint));

            var closed = await Assert.ThrowsAsync<RemoteInvocationException>(() => rpc.InvokeWithParameterObjectAsync<JobHostReportResult>(JobsMethods.InspectHost,
                spec with { Backend = $"ssh://{env["MODELIDE_SSH_USER"]}@127.0.0.1:9" }));
            Assert.Equal(ModelIdeErrorKind.Network, Assert.IsType<RpcErrorData>(closed.DeserializedErrorData).Kind);

            await rpc.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.TrustHost, new TrustHostParams(host, port, env["MODELIDE_SSH_HOST_FINGERPRINT"]));
            var report = await rpc.InvokeWithParameterObjectAsync<JobHostReportResult>(JobsMethods.InspectHost, spec);
            // The stand-in swift and nvidia-smi of scripts/setup/20-ssh.sh, reached over SSH and parsed.
            Assert.Matches(@"^\d+\.\d+\.\d+$", report.SwiftVersion);
            Assert.Equal(8, report.Gpus.Count);
        }
        finally
        {
            Stop(process, rpc);
        }
    }
}
