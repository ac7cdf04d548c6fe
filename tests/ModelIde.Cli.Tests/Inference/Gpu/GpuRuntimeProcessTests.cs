using System.Reflection;
using System.Text.Json;
using ModelIde.Core.Inference.Gpu;
using ModelIde.Core.Tests.Inference.Gpu;
using ModelIde.TestSupport;

namespace ModelIde.Cli.Tests.Inference.Gpu;

/// <summary>
/// The built `modelide` CLI as a child process (the ONNX Runtime native library is chosen once per process) with the
/// GPU runtime pack installed from Microsoft's real package, on this machine without CUDA: a stand-in NVML reports an
/// H200, and the model must still answer on CPU, with the reference token ids and the reason in one sentence.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class GpuRuntimeProcessTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-gpu-process-").FullName;

    private string Runtimes => Path.Combine(_dir, "runtimes");

    private string Driver => Path.Combine(_dir, "driver");

    public async Task InitializeAsync()
    {
        var spec = GpuRuntimePackSpec.LinuxX64;
        var nupkg = Path.Combine(NuGetPackageRoot(), spec.PackageId.ToLowerInvariant(), spec.Version, $"{spec.PackageId.ToLowerInvariant()}.{spec.Version}.nupkg");
        using var http = new HttpClient(new FileFeed(nupkg));
        await new GpuRuntimePackInstaller(http, new GpuRuntimePackStore(Runtimes)).InstallAsync(spec, "http://feed.invalid/flat/", null, CancellationToken.None);
        // What the NVIDIA driver installs: NVML and libcuda.so.1 (stand-ins), found through LD_LIBRARY_PATH.
        NativeStubs.Nvml(Driver);
        NativeStubs.Library(Driver, "libcuda.so.1");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Gpu_runtime_without_cuda_libraries_answers_on_cpu_and_names_what_is_missing()
    {
        var (prompt, expected) = Reference();
        var devices = await RunCliAsync(null, "devices");
        Assert.True(devices.Code == 0, devices.Err);
        // The GPU build (1.31.0) is the one this process loaded, not the CPU build (1.31.1) shipped with ModelIde.
        Assert.Contains("ONNX Runtime 1.31.0: GPU runtime pack Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 from " + Runtimes, devices.Out, StringComparison.Ordinal);
        Assert.Contains("GPU: NVIDIA H200, 140.4 GiB (138.8 GiB free), compute capability 9.0", devices.Out, StringComparison.Ordinal);
        const string Sentence = "NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; libcudart.so.13, libcublasLt.so.13, libcublas.so.13, libcurand.so.10 and libcudnn.so.9 not found: " +
            "install CUDA 13 and cuDNN 9 or `pip install nvidia-cuda-runtime nvidia-cublas nvidia-curand nvidia-cudnn-cu13`, or set modelscope.inference.cudaPath; running on CPU";
        Assert.Contains(Sentence, devices.Out, StringComparison.Ordinal);

        var json = await RunCliAsync(null, "infer", "--model", RepoPaths.TinyModelDir(), "--prompt", prompt, "--max-new-tokens", "12", "--device", "auto", "--threads", "2", "--json");
        Assert.True(json.Code == 0, json.Err);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString());
        Assert.StartsWith(Sentence + " (2 threads)", doc.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(expected, doc.RootElement.GetProperty("token_ids").EnumerateArray().Select(x => x.GetInt32()));

        var text = await RunCliAsync(null, "infer", "--model", RepoPaths.TinyModelDir(), "--prompt", prompt, "--max-new-tokens", "12", "--threads", "2");
        Assert.True(text.Code == 0, text.Err);
        Assert.Contains($"device: cpu ({Sentence} (2 threads)", text.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cuda_provider_that_fails_to_start_falls_back_to_cpu_with_the_reason()
    {
        // Libraries with the right names and dependencies but none of CUDA's functions: they load, the provider cannot.
        var cuda = NativeStubs.CudaSet(Path.Combine(_dir, "cuda-stubs"), withDriver: false);
        var (prompt, expected) = Reference();

        var json = await RunCliAsync(cuda, "infer", "--model", RepoPaths.TinyModelDir(), "--prompt", prompt, "--max-new-tokens", "12", "--device", "gpu", "--threads", "2", "--json");
        Assert.True(json.Code == 0, json.Err);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString());
        Assert.Equal(expected, doc.RootElement.GetProperty("token_ids").EnumerateArray().Select(x => x.GetInt32()));

        var text = await RunCliAsync(cuda, "infer", "--model", RepoPaths.TinyModelDir(), "--prompt", prompt, "--max-new-tokens", "12", "--threads", "2");
        Assert.True(text.Code == 0, text.Err);
        // The reason quotes ONNX Runtime's log (the exception alone says only "Failed to load shared library").
        Assert.Contains("device: cpu (NVIDIA H200 failed to start the CUDA provider (Failed to load library libonnxruntime_providers_cuda.so with error: " +
            "libonnxruntime_providers_cuda.so: undefined symbol: ", text.Err, StringComparison.Ordinal);
        Assert.Contains("); running on CPU (2 threads)", text.Err, StringComparison.Ordinal);
        // ONNX Runtime's log reaches stderr through ModelIde's callback, without terminal colour codes.
        Assert.Contains("onnxruntime error: ", text.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", text.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Devices_json_reports_the_gpu_and_the_cuda_libraries_found_under_cuda_path()
    {
        var cuda = NativeStubs.CudaSet(Path.Combine(_dir, "cuda-json"), withDriver: false);

        var without = await RunCliAsync(null, "devices", "--json");
        Assert.True(without.Code == 0, without.Err);
        using (var doc = JsonDocument.Parse(without.Out))
        {
            var gpu = doc.RootElement.GetProperty("gpu");
            Assert.Equal(NativeStubs.GpuName, gpu.GetProperty("gpus")[0].GetProperty("name").GetString());
            Assert.Equal(NativeStubs.DriverVersion, gpu.GetProperty("driver").GetString());
            Assert.True(gpu.GetProperty("gpuRuntime").GetBoolean());
            Assert.Contains("libcublasLt.so.13", gpu.GetProperty("missingLibraries").EnumerateArray().Select(e => e.GetString()));
            Assert.False(gpu.GetProperty("useCuda").GetBoolean());
            Assert.Contains("libcublasLt.so.13", gpu.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        // --cuda-path is read by the command itself (no MODELIDE_CUDA_PATH): every required library is found there.
        var with = await RunCliAsync(null, "devices", "--json", "--cuda-path", cuda);
        Assert.True(with.Code == 0, with.Err);
        using (var doc = JsonDocument.Parse(with.Out))
        {
            var gpu = doc.RootElement.GetProperty("gpu");
            Assert.Empty(gpu.GetProperty("missingLibraries").EnumerateArray());
            var found = gpu.GetProperty("cudaLibraries").EnumerateArray().ToDictionary(f => f.GetProperty("file").GetString()!, f => f.GetProperty("path").GetString()!);
            Assert.Equal(Path.Combine(cuda, "libcublasLt.so.13"), found["libcublasLt.so.13"]);
            Assert.True(gpu.GetProperty("useCuda").GetBoolean(), gpu.GetProperty("reason").GetString());
        }

        // infer --cuda-path reaches the same libraries; these stubs cannot start the provider, so the answer comes from the CPU.
        var (prompt, expected) = Reference();
        var infer = await RunCliAsync(null, "infer", "--model", RepoPaths.TinyModelDir(), "--prompt", prompt, "--max-new-tokens", "12", "--threads", "2", "--cuda-path", cuda, "--json");
        Assert.True(infer.Code == 0, infer.Err);
        using (var doc = JsonDocument.Parse(infer.Out))
        {
            Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString());
            Assert.Contains("failed to start the CUDA provider", doc.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(expected, doc.RootElement.GetProperty("token_ids").EnumerateArray().Select(x => x.GetInt32()));
        }
    }

    [Fact]
    public async Task Gpu_enable_status_and_remove_through_the_cli()
    {
        var spec = GpuRuntimePackSpec.LinuxX64;
        var runtimes = Path.Combine(_dir, "cli-runtimes");
        // Offline: the folder NuGet restored the package into, as a user would copy it to a machine without a feed.
        var folder = Path.Combine(NuGetPackageRoot(), spec.PackageId.ToLowerInvariant(), spec.Version);

        var enable = await RunCliWithRuntimesAsync(null, runtimes, true, "gpu", "enable", "--source", folder);
        Assert.True(enable.Code == 0, enable.Err);
        Assert.Contains($"Installed the GPU runtime (233 MiB read from {Path.Combine(folder, $"{spec.PackageId.ToLowerInvariant()}.{spec.Version}.nupkg")}, SHA-256 verified) in {Path.Combine(runtimes, spec.FolderName)}.", enable.Out, StringComparison.Ordinal);

        var again = await RunCliWithRuntimesAsync(null, runtimes, true, "gpu", "enable", "--source", folder);
        Assert.Contains("already installed and intact", again.Out, StringComparison.Ordinal);

        var status = await RunCliWithRuntimesAsync(null, runtimes, true, "gpu", "status", "--verify", "--json");
        Assert.True(status.Code == 0, status.Err);
        using (var doc = JsonDocument.Parse(status.Out))
        {
            Assert.True(doc.RootElement.GetProperty("installed").GetBoolean());
            Assert.Equal("NVIDIA H200", doc.RootElement.GetProperty("gpus")[0].GetProperty("name").GetString());
            Assert.Contains("libcublasLt.so.13", doc.RootElement.GetProperty("missingLibraries").EnumerateArray().Select(e => e.GetString()));
        }

        var remove = await RunCliWithRuntimesAsync(null, runtimes, true, "gpu", "remove");
        Assert.Contains("Removed the GPU runtime (", remove.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(runtimes));

        var noGpu = await RunCliWithRuntimesAsync(null, runtimes, false, "gpu", "enable", "--source", folder);
        Assert.NotEqual(0, noGpu.Code);
        Assert.Contains("No NVIDIA GPU found", noGpu.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(runtimes));
    }

    private static (string Prompt, int[] Ids) Reference()
    {
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.TinyModelDir(), "reference.json")));
        var g = reference.RootElement.GetProperty("generation")[1];
        return (g.GetProperty("prompt").GetString()!, g.GetProperty("greedy_ids_onnxruntime").EnumerateArray().Take(12).Select(x => x.GetInt32()).ToArray());
    }

    private Task<(int Code, string Out, string Err)> RunCliAsync(string? cudaPath, params string[] args) => RunCliWithRuntimesAsync(cudaPath, Runtimes, true, args);

    /// <summary>The CLI with this test's HOME, runtimes folder and (unless <paramref name="withDriver"/> is false) the stand-in NVIDIA driver.</summary>
    private async Task<(int Code, string Out, string Err)> RunCliWithRuntimesAsync(string? cudaPath, string runtimes, bool withDriver, params string[] args)
    {
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = _dir,
            [GpuRuntimePackStore.RootVariable] = runtimes,
            ["LD_LIBRARY_PATH"] = withDriver ? Driver : "",
            // No conda, venv or Python with CUDA wheels may leak in from the machine.
            ["PATH"] = "/usr/bin:/bin",
            [ExecutionProviderSelectorCudaPath] = cudaPath,
        };
        foreach (var name in new[] { "CUDA_PATH", "CUDA_HOME", "CONDA_PREFIX", "VIRTUAL_ENV", OnnxRuntimeNativeSwitch.DisableVariable, GpuRuntimePackInstaller.SourceVariable })
        {
            env[name] = null;
        }

        var result = await CliProcess.RunAsync(CliHost.Dll, args, env);
        return (result.Code, result.Out, result.Err);
    }

    private const string ExecutionProviderSelectorCudaPath = ModelIde.Core.Inference.ExecutionProviderSelector.CudaPathVariable;

    private static string NuGetPackageRoot() =>
        typeof(GpuRuntimeProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;

    /// <summary>Serves the one restored nupkg for any URL: the install path under test is the same as from a real feed.</summary>
    private sealed class FileFeed(string nupkg) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StreamContent(File.OpenRead(nupkg)) });
    }
}
