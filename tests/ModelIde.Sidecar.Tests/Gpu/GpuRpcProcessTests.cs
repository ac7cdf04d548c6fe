using System.Collections.Concurrent;
using System.Reflection;
using ModelIde.Core.Inference.Gpu;
using ModelIde.Core.Tests.Inference.Gpu;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Rpc;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Gpu;

/// <summary>
/// gpu/status, gpu/enable and gpu/remove against the real sidecar process (what "Enable GPU (CUDA)" calls), installing
/// Microsoft's real GPU package from a folder source, with a stand-in NVIDIA driver (no GPU on this machine).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class GpuRpcProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-gpu-rpc-").FullName;

    private string Runtimes => Path.Combine(_dir, "runtimes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Enable_installs_with_progress_then_status_and_remove_follow()
    {
        var driver = Path.Combine(_dir, "driver");
        NativeStubs.Nvml(driver);
        NativeStubs.Library(driver, "libcuda.so.1");
        var spec = GpuRuntimePackSpec.LinuxX64;
        using var sidecar = Start(driver);

        var before = await sidecar.Rpc.InvokeWithParameterObjectAsync<GpuStatusResult>(GpuMethods.Status, new GpuStatusParams());
        Assert.True(before.Supported);
        Assert.False(before.Installed);
        Assert.False(before.Active);
        Assert.Equal("NVIDIA H200", Assert.Single(before.Gpus).Name);
        Assert.Contains("the GPU runtime is not installed: run \"ModelScope: Enable GPU (CUDA)\" or `modelide gpu enable`", before.Summary, StringComparison.Ordinal);

        var source = RestoredPackageFolder(spec);
        var enable = await sidecar.Rpc.InvokeWithParameterObjectAsync<GpuEnableResult>(GpuMethods.Enable, new GpuEnableParams("e1", source));
        Assert.False(enable.AlreadyInstalled);
        Assert.Equal(spec.PackageSize, enable.DownloadedBytes);
        Assert.Equal(source, enable.Source);
        Assert.Equal(Path.Combine(Runtimes, spec.FolderName), enable.Folder);
        // Every notification came before the answer, in order, about one per 10 MiB, ending at the package's size.
        var progress = sidecar.Progress.ToArray();
        Assert.All(progress, p => Assert.Equal("e1", p.EnableId));
        Assert.InRange(progress.Length, spec.PackageSize / (10 << 20), spec.PackageSize / (10 << 20) + 2);
        Assert.Equal(progress.Select(p => p.BytesDone).Order(), progress.Select(p => p.BytesDone));
        Assert.Equal(spec.PackageSize, progress[^1].BytesDone);

        var after = await sidecar.Rpc.InvokeWithParameterObjectAsync<GpuStatusResult>(GpuMethods.Status, new GpuStatusParams(Verify: true));
        Assert.True(after.Installed, after.Problem);
        // This sidecar chose its ONNX Runtime when it started: the GPU build is used after a restart.
        Assert.False(after.Active);

        var removed = await sidecar.Rpc.InvokeAsync<GpuRemoveResult>(GpuMethods.Remove);
        Assert.Equal(after.Bytes, removed.FreedBytes);
        Assert.False(Directory.Exists(Runtimes));
    }

    [Fact]
    public async Task Enable_without_an_nvidia_gpu_is_refused_and_installs_nothing()
    {
        using var sidecar = Start(driverFolder: null);
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            sidecar.Rpc.InvokeWithParameterObjectAsync<GpuEnableResult>(GpuMethods.Enable, new GpuEnableParams("e2", RestoredPackageFolder(GpuRuntimePackSpec.LinuxX64))));
        Assert.Equal(RpcErrorCodes.InvalidInput, e.ErrorCode);
        Assert.Contains("No NVIDIA GPU found", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Runtimes));
        Assert.Empty(sidecar.Progress);
    }

    // The folder NuGet restored the package into: an offline source, as a user copies it to a machine without a feed.
    private static string RestoredPackageFolder(GpuRuntimePackSpec spec) => Path.Combine(
        typeof(GpuRpcProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!,
        spec.PackageId.ToLowerInvariant(), spec.Version);

    private LiveSidecar Start(string? driverFolder)
    {
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = _dir,
            [GpuRuntimePackStore.RootVariable] = Runtimes,
            ["LD_LIBRARY_PATH"] = driverFolder ?? "",
            // No conda, venv or Python with CUDA wheels may leak in from the machine.
            ["PATH"] = "/usr/bin:/bin",
            [GpuRuntimePackInstaller.SourceVariable] = null,
            [Core.Inference.ExecutionProviderSelector.CudaPathVariable] = null,
            ["CUDA_PATH"] = null,
            ["CUDA_HOME"] = null,
            ["CONDA_PREFIX"] = null,
            ["VIRTUAL_ENV"] = null,
            ["MODELSCOPE_API_TOKEN"] = null,
        };
        var process = SidecarProcessTests.StartSidecar(env, "--endpoint", "http://127.0.0.1:9/");
        _ = process.StandardError.ReadToEndAsync();
        var formatter = new SystemTextJsonFormatter();
        SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
        var rpc = new JsonRpc(new HeaderDelimitedMessageHandler(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, formatter));
        var sidecar = new LiveSidecar(process, rpc);
        rpc.AddLocalRpcTarget(sidecar);
        // One notification at a time, in arrival order, as vscode-jsonrpc handles them.
        rpc.SynchronizationContext = new Microsoft.VisualStudio.Threading.NonConcurrentSynchronizationContext(sticky: false);
        rpc.StartListening();
        return sidecar;
    }

    private sealed class LiveSidecar(System.Diagnostics.Process process, JsonRpc rpc) : IDisposable
    {
        public JsonRpc Rpc { get; } = rpc;

        public ConcurrentQueue<GpuProgressParams> Progress { get; } = new();

        [JsonRpcMethod(GpuMethods.Progress, UseSingleObjectParameterDeserialization = true)]
        public void OnProgress(GpuProgressParams p) => Progress.Enqueue(p);

        public void Dispose()
        {
            Rpc.Dispose();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}
