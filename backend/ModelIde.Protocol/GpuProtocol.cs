namespace ModelIde.Protocol;

/// <summary><c>gpu/*</c>: the GPU runtime (ONNX Runtime's CUDA build) that lets local models run on an NVIDIA GPU.</summary>
public static class GpuMethods
{
    /// <summary>The GPU, driver and CUDA libraries found, whether the GPU runtime is installed, and where models would run.</summary>
    [RpcRequest(typeof(GpuStatusParams), typeof(GpuStatusResult))]
    public const string Status = "gpu/status";

    /// <summary>
    /// Downloads the pinned GPU runtime package, verifies its SHA-256 and SHA-512, and installs it (a no-op when it is
    /// already there and intact). The sidecar keeps the ONNX Runtime it started with: restart it to use the GPU build.
    /// </summary>
    [RpcRequest(typeof(GpuEnableParams), typeof(GpuEnableResult), IsLong = true)]
    public const string Enable = "gpu/enable";

    /// <summary>Download progress of <see cref="Enable"/>, about one per 10 MiB.</summary>
    [RpcNotification(typeof(GpuProgressParams))]
    public const string Progress = "gpu/progress";

    /// <summary>Deletes the GPU runtime; models run on the CPU build again after the sidecar restarts.</summary>
    [RpcRequest(typeof(GpuRemoveResult))]
    public const string Remove = "gpu/remove";
}

/// <param name="CudaPath">The <c>modelscope.inference.cudaPath</c> setting: a folder searched first for the CUDA libraries.</param>
/// <param name="Verify">Also check every installed file's SHA-256 (slower: about 320 MB are read).</param>
public sealed record GpuStatusParams(string? CudaPath = null, bool Verify = false);

public sealed record NvidiaGpuDto(string Name, long? TotalMemoryBytes, long? FreeMemoryBytes, string? ComputeCapability);

/// <param name="Supported">False where ONNX Runtime has no CUDA build (only Linux and Windows on x64 have one).</param>
/// <param name="Active">Whether this sidecar process runs the GPU build (it was installed before the sidecar started).</param>
/// <param name="Problem">Why it is not installed or not usable, in words; null when installed and intact.</param>
/// <param name="Summary">Where a model would run and why, in one sentence.</param>
public sealed record GpuStatusResult(
    bool Supported,
    bool Installed,
    bool Active,
    string? Folder,
    string? Package,
    long Bytes,
    string? Problem,
    IReadOnlyList<NvidiaGpuDto> Gpus,
    string? Driver,
    IReadOnlyList<string> MissingLibraries,
    string Summary);

/// <param name="EnableId">Chosen by the client; progress notifications carry it.</param>
/// <param name="Source">The <c>modelscope.gpu.packageSource</c> setting: a NuGet v3 feed URL, or a folder or .nupkg file;
/// empty means MODELIDE_GPU_PACKAGE_SOURCE, else nuget.org.</param>
/// <param name="Force">Install even when no NVIDIA GPU is found.</param>
public sealed record GpuEnableParams(string EnableId, string? Source = null, bool Force = false);

public sealed record GpuEnableResult(string Folder, bool AlreadyInstalled, long DownloadedBytes, string Source);

public sealed record GpuProgressParams(string EnableId, long BytesDone, long BytesTotal);

public sealed record GpuRemoveResult(long FreedBytes);
