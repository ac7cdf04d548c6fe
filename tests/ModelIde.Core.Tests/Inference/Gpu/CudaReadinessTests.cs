using ModelIde.Core.Inference;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Tests.Inference.Gpu;

/// <summary>The decision and its one sentence for each thing that can be missing.</summary>
public sealed class CudaReadinessTests
{
    private static readonly NvidiaGpu H200 = new("NVIDIA H200", 150_754_820_096, 149_000_000_000, "9.0", null);
    private static readonly NvidiaDriverReport Driver = new([H200], "580.95.05", 13000, "libnvidia-ml.so.1", null);
    private static readonly OnnxRuntimeBuild Pack = new(true, "/home/u/.modelide/runtimes/p", "GPU runtime pack");

    private static CudaLibraryScan Libraries(params string[] missing)
    {
        var all = CudaLibraries.Linux;
        return new CudaLibraryScan(
            all.Where(l => !missing.Contains(l.FileName)).Select(l => new CudaLibraryHit(l.FileName, "/venv/nvidia/cu13/lib/" + l.FileName, l.FromDriver ? "the system library path" : "a Python environment")).ToArray(),
            all.Where(l => missing.Contains(l.FileName)).ToArray(), []);
    }

    private static CudaFacts Facts(DevicePolicyKind policy = DevicePolicyKind.Auto, NvidiaDriverReport? driver = null, OnnxRuntimeBuild? runtime = null,
        CudaLibraryScan? libraries = null, GpuMemoryEstimate? model = null) =>
        new(policy, driver ?? Driver, GpuRuntimePackSpec.LinuxX64, runtime ?? Pack, libraries ?? Libraries(), model);

    [Fact]
    public void Everything_there_runs_on_cuda_and_says_where_the_libraries_came_from()
    {
        var d = CudaReadiness.Decide(Facts(model: new GpuMemoryEstimate(1L << 30, 1L << 28, 8192, GpuMemoryEstimate.DefaultWorkspaceBytes)));
        Assert.True(d.UseCuda);
        Assert.Equal("NVIDIA H200 (140.4 GiB, 138.8 GiB free) found with CUDA libraries from a Python environment; running on CUDA", d.Sentence);
    }

    [Fact]
    public void One_missing_library_is_named_with_its_pip_package_and_the_setting()
    {
        var d = CudaReadiness.Decide(Facts(libraries: Libraries("libcublasLt.so.13")));
        Assert.False(d.UseCuda);
        Assert.Equal("NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; libcublasLt.so.13 not found: install CUDA 13 or `pip install nvidia-cublas`, or set modelscope.inference.cudaPath; running on CPU", d.Sentence);
    }

    [Fact]
    public void Several_missing_libraries_are_named_together_with_every_package()
    {
        var d = CudaReadiness.Decide(Facts(libraries: Libraries("libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10", "libcudnn.so.9", "libnvrtc.so.13")));
        Assert.Equal("NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; libcudart.so.13, libcublasLt.so.13, libcublas.so.13, libcurand.so.10 and libcudnn.so.9 not found: " +
            "install CUDA 13 and cuDNN 9 or `pip install nvidia-cuda-runtime nvidia-cublas nvidia-curand nvidia-cudnn-cu13`, or set modelscope.inference.cudaPath; running on CPU", d.Sentence);
    }

    [Fact]
    public void Only_cudnn_missing_says_cudnn()
    {
        var d = CudaReadiness.Decide(Facts(libraries: Libraries("libcudnn.so.9")));
        Assert.Contains("libcudnn.so.9 not found: install cuDNN 9 for CUDA 13 or `pip install nvidia-cudnn-cu13`", d.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_optional_library_does_not_stop_cuda() =>
        Assert.True(CudaReadiness.Decide(Facts(libraries: Libraries("libnvrtc.so.13"))).UseCuda);

    [Fact]
    public void No_driver_library_says_reinstall_the_driver() =>
        Assert.Equal("NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; the driver's libcuda.so.1 not found: reinstall the NVIDIA driver; running on CPU",
            CudaReadiness.Decide(Facts(libraries: Libraries("libcuda.so.1"))).Sentence);

    [Fact]
    public void No_pack_says_how_to_enable_it() =>
        Assert.Equal("NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; the GPU runtime is not installed: run \"ModelScope: Enable GPU (CUDA)\" or `modelide gpu enable`; running on CPU",
            CudaReadiness.Decide(Facts(runtime: new OnnxRuntimeBuild(false, null, "the GPU runtime pack is not installed"))).Sentence);

    [Fact]
    public void A_pack_that_could_not_be_switched_to_says_why() =>
        Assert.Equal("NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; the GPU runtime is not in use: the GPU runtime is turned off (MODELIDE_GPU_RUNTIME=off); running on CPU",
            CudaReadiness.Decide(Facts(runtime: new OnnxRuntimeBuild(false, null, "the GPU runtime is turned off (MODELIDE_GPU_RUNTIME=off)"))).Sentence);

    [Fact]
    public void An_old_driver_says_which_cuda_it_supports_and_what_to_update() =>
        Assert.Equal("NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; its driver 550.54.15 supports CUDA 12.4, the GPU runtime needs CUDA 13: update the NVIDIA driver to 580 or newer; running on CPU",
            CudaReadiness.Decide(Facts(driver: Driver with { DriverVersion = "550.54.15", CudaDriverVersion = 12040 })).Sentence);

    [Fact]
    public void An_old_driver_seen_only_in_proc_is_caught_by_its_version_number()
    {
        var proc = new NvidiaDriverReport([new NvidiaGpu("Tesla T4", null, null, null, "0000:3b:00.0")], "535.183.01", null, "/proc/driver/nvidia", "NVML not found");
        Assert.Equal("Tesla T4 found; driver 535.183.01 is older than CUDA 13 needs: update the NVIDIA driver to 580 or newer; running on CPU",
            CudaReadiness.Decide(Facts(driver: proc)).Sentence);
    }

    [Fact]
    public void A_gpu_older_than_turing_is_refused() =>
        Assert.Contains("compute capability 6.0 is older than the GPU runtime supports (7.5 or newer); running on CPU",
            CudaReadiness.Decide(Facts(driver: Driver with { Gpus = [H200 with { Name = "Tesla P100", ComputeCapability = "6.0" }] })).Sentence, StringComparison.Ordinal);

    [Fact]
    public void A_model_that_does_not_fit_in_free_memory_stays_on_cpu_with_both_sizes()
    {
        var full = Driver with { Gpus = [H200 with { FreeMemoryBytes = 2L << 30 }] };
        var model = new GpuMemoryEstimate(3L << 30, 1L << 30, 32768, GpuMemoryEstimate.DefaultWorkspaceBytes);
        var d = CudaReadiness.Decide(Facts(driver: full, model: model));
        Assert.False(d.UseCuda);
        Assert.Equal("NVIDIA H200 (140.4 GiB, 2.0 GiB free) found, but the model needs about 5.0 GiB with a 32,768-token context and 2.0 GiB is free: close other GPU programs or use a smaller (fp16 or int4) export; running on CPU", d.Sentence);
    }

    [Fact]
    public void No_gpu_and_cpu_policy_say_so()
    {
        Assert.Equal("No NVIDIA GPU found (NVML (libnvidia-ml.so.1) not found); running on CPU",
            CudaReadiness.Decide(Facts(driver: NvidiaDriverReport.None("NVML (libnvidia-ml.so.1) not found"))).Sentence);
        Assert.Equal("CPU requested; running on CPU", CudaReadiness.Decide(Facts(DevicePolicyKind.PreferCpu)).Sentence);
        Assert.False(CudaReadiness.Decide(Facts(DevicePolicyKind.PreferNpu)).UseCuda);
    }

    [Fact]
    public void A_failure_while_starting_names_the_gpu_and_the_first_line_of_the_error() =>
        Assert.Equal("NVIDIA H200 failed to start the CUDA provider (CUDA failure 2: out of memory: the GPU ran out of memory (other programs may hold it)); running on CPU",
            CudaReadiness.FellBack(H200, "to start the CUDA provider", "CUDA failure 2: out of memory\n  at cuda_call.cc:123"));

    // The first 300 characters of this message are what an H200 gave on 2026-12-04 when another process had taken the
    // GPU's memory during a generation (the sentence then stopped there, at "SUCCTYPE …"); the rest is ONNX Runtime's
    // CudaCall format (onnxruntime/core/providers/cuda/cuda_call.cc), which was cut off and so not recorded.
    private const string RecordedPrefix = "[ErrorCode:Fail] /onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:154 std::conditional_t<THRW, void, onnxruntime::common::Status> onnxruntime::CudaCall(ERRTYPE, const char*, const char*, SUCCTYPE, const char*, const char*, int) [with ERRTYPE = cublasStatus_t; bool THRW = true; SUCCTYPE = cublasStatus_t; std::conditional_t<THRW, void, onnxruntime::common::Status> = void] ";

    [Theory]
    [InlineData("CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED ; GPU=0 ; hostname=gpu-7 ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=182 ; expr=cublasCreate(&cublas_handle_); ",
        "CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED in cublasCreate: the GPU ran out of memory (other programs may hold it)")]
    [InlineData("CUBLAS failure 14: CUBLAS_STATUS_INTERNAL_ERROR ; GPU=0 ; hostname=gpu-7 ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/math/matmul.cc ; line=297 ; expr=cublasGemmHelper( GetCublasHandle(ctx), transB, transA, ...); ",
        "CUBLAS failure 14: CUBLAS_STATUS_INTERNAL_ERROR in cublasGemmHelper")]
    // The call, code and status of this one are what the H200 gave once the reason was fixed (the sentence read "CUDA
    // failure 2: out of memory in cudaStreamCreateWithFlags: …"); its file and line were not shown, so they are made up.
    [InlineData("CUDA failure 2: out of memory ; GPU=0 ; hostname=gpu-7 ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_stream_handle.cc ; line=48 ; expr=cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking); ",
        "CUDA failure 2: out of memory in cudaStreamCreateWithFlags: the GPU ran out of memory (other programs may hold it)")]
    public void A_failure_during_generation_says_which_call_failed_not_where_in_onnx_runtime(string tail, string expected) =>
        Assert.Equal($"NVIDIA H200 failed during generation ({expected}); running on CPU", CudaReadiness.FellBack(H200, "during generation", RecordedPrefix + tail));

    [Fact]
    public void An_onnx_runtime_error_of_another_kind_loses_only_its_source_location() =>
        Assert.Equal("NVIDIA H200 failed during generation ([ErrorCode:Fail] Non-zero status code returned while running MatMul node. Name:'/model/layers.0/mlp/MatMul'); running on CPU",
            CudaReadiness.FellBack(H200, "during generation",
                "[ErrorCode:Fail] /onnxruntime_src/onnxruntime/core/framework/sequential_executor.cc:572 Non-zero status code returned while running MatMul node. Name:'/model/layers.0/mlp/MatMul'"));
}
