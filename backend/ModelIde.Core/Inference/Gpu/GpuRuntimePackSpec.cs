using System.Runtime.InteropServices;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>One native file taken from the package: its entry in the nupkg and its pinned size and SHA-256.</summary>
public sealed record GpuRuntimePackFile(string EntryName, string FileName, long Size, string Sha256);

/// <summary>
/// The GPU runtime pack: Microsoft's own ONNX Runtime GPU package, pinned by size, SHA-256 and SHA-512 (the hash NuGet
/// itself records), and the natives taken from it. The pins were read from the packages restored from NuGet
/// (sha256sum, and the .nupkg.sha512 file NuGet writes beside each package).
/// </summary>
public sealed record GpuRuntimePackSpec(
    string PackageId,
    string Version,
    string RuntimeId,
    long PackageSize,
    string PackageSha256,
    string PackageSha512Base64,
    IReadOnlyList<GpuRuntimePackFile> Files)
{
    public static GpuRuntimePackSpec LinuxX64 { get; } = new(
        "Microsoft.ML.OnnxRuntime.Gpu.Linux", "1.31.0", "linux-x64", 244_928_869,
        "7cd256a2b6a0713a55bbb7f60b175ff004d462d56a07572a15a2ed07456514d7",
        "cZhkav+zM0582qgdS/QZUJ5gdf1ZEdYO/sTzRVJKyiTFlnHNY5M/0ssKGkAam3/mVUcW8XuqsMpjfCBGD3v0nQ==",
        [
            new("runtimes/linux-x64/native/libonnxruntime.so", "libonnxruntime.so", 33_076_832, "7a7a2cfec3da75774dd8116e6a31fe466b46f5f6901e3fa87350d9391a840bfa"),
            new("runtimes/linux-x64/native/libonnxruntime_providers_shared.so", "libonnxruntime_providers_shared.so", 14_632, "c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772"),
            new("runtimes/linux-x64/native/libonnxruntime_providers_cuda.so", "libonnxruntime_providers_cuda.so", 284_015_096, "5ea2ec896db647cd9bb1ab08e943cda07d497975b6d6b967a2bd88b8a1303f00"),
        ]);

    public static GpuRuntimePackSpec WindowsX64 { get; } = new(
        "Microsoft.ML.OnnxRuntime.Gpu.Windows", "1.31.0", "win-x64", 160_447_640,
        "6ef71832859a6fa1cdbd51d36be301641b6de609c72a2ab206b32f6cc209959d",
        "HL9ZvlstfZCfck3a0MUQT0LKImIX7+pSsl3hFuxY799cry+T65/2SiCBSajzPWghb+0fXr+sgNn7ji0P0mS2QA==",
        [
            new("runtimes/win-x64/native/onnxruntime.dll", "onnxruntime.dll", 17_719_608, "00a206c08241370fdc363887428238fab1d926e9eef2539751c07c6e26059f01"),
            new("runtimes/win-x64/native/onnxruntime_providers_shared.dll", "onnxruntime_providers_shared.dll", 21_816, "389a67bd9dd3a2647ad51392fce073a7886466344da43250ff24f9df89f8201c"),
            new("runtimes/win-x64/native/onnxruntime_providers_cuda.dll", "onnxruntime_providers_cuda.dll", 196_830_520, "198309952e14aefc28c155de035df3e8c10252defb49b65a65ab122362e9e293"),
        ]);

    /// <summary>The pack for this machine, or null where Microsoft ships no CUDA build (macOS, Arm).</summary>
    public static GpuRuntimePackSpec? ForThisMachine() => RuntimeInformation.ProcessArchitecture != Architecture.X64 ? null
        : OperatingSystem.IsLinux() ? LinuxX64
        : OperatingSystem.IsWindows() ? WindowsX64
        : null;

    /// <summary>Folder name under the store: one per package, version and platform, so versions never mix.</summary>
    public string FolderName => $"{PackageId.ToLowerInvariant()}.{Version}.{RuntimeId}";

    public GpuRuntimePackFile OnnxRuntime => Files[0];

    public GpuRuntimePackFile CudaProvider => Files.Single(f => f.FileName.Contains("providers_cuda", StringComparison.Ordinal));

    public long InstalledSize => Files.Sum(f => f.Size);

    /// <summary>The nupkg's address in a NuGet v3 flat container ({base}/{id}/{version}/{id}.{version}.nupkg, lower case).</summary>
    public Uri PackageUrl(Uri flatContainer)
    {
        var id = PackageId.ToLowerInvariant();
        var version = Version.ToLowerInvariant();
        var baseText = flatContainer.AbsoluteUri.EndsWith('/') ? flatContainer.AbsoluteUri : flatContainer.AbsoluteUri + "/";
        return new Uri(new Uri(baseText), $"{id}/{version}/{id}.{version}.nupkg");
    }
}
