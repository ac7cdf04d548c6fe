namespace ModelIde.Core.Inference.Gpu;

/// <summary>
/// A native library the CUDA execution provider needs at run time. <see cref="PipPackage"/> is the wheel that carries
/// it (what PyTorch's CUDA 13 builds install); <see cref="FromDriver"/> libraries come with the NVIDIA driver only.
/// </summary>
public sealed record CudaLibrary(string FileName, string Role, string? PipPackage, bool Required = true, bool FromDriver = false);

/// <summary>
/// What ONNX Runtime 1.31.0's CUDA provider loads, in load order (dependencies first). Linux: the NEEDED entries of
/// libonnxruntime_providers_cuda.so (readelf -d) plus cuDNN 9, which the provider opens at run time; Windows: the
/// imports of onnxruntime_providers_cuda.dll (objdump -p) plus cuDNN 9.
/// </summary>
public static class CudaLibraries
{
    public static IReadOnlyList<CudaLibrary> Linux { get; } =
    [
        new("libcuda.so.1", "NVIDIA driver", null, FromDriver: true),
        new("libcudart.so.13", "CUDA 13 runtime", "nvidia-cuda-runtime"),
        new("libcublasLt.so.13", "cuBLASLt 13", "nvidia-cublas"),
        new("libcublas.so.13", "cuBLAS 13", "nvidia-cublas"),
        new("libcurand.so.10", "cuRAND", "nvidia-curand"),
        new("libcudnn.so.9", "cuDNN 9", "nvidia-cudnn-cu13"),
        new("libnvrtc.so.13", "NVRTC 13 (some attention kernels)", "nvidia-cuda-nvrtc", Required: false),
    ];

    public static IReadOnlyList<CudaLibrary> Windows { get; } =
    [
        new("nvcuda.dll", "NVIDIA driver", null, FromDriver: true),
        new("cublasLt64_13.dll", "cuBLASLt 13", "nvidia-cublas"),
        new("cublas64_13.dll", "cuBLAS 13", "nvidia-cublas"),
        new("cudnn64_9.dll", "cuDNN 9", "nvidia-cudnn-cu13"),
    ];

    public static IReadOnlyList<CudaLibrary> For(bool windows) => windows ? Windows : Linux;

    /// <summary>cuDNN 9 is split: libcudnn.so.9 opens these by name, so they are loaded from the same folder first.</summary>
    public static bool IsCudnnPart(string fileName, bool windows) => windows
        ? fileName.StartsWith("cudnn_", StringComparison.OrdinalIgnoreCase) && fileName.EndsWith("64_9.dll", StringComparison.OrdinalIgnoreCase)
        : fileName.StartsWith("libcudnn_", StringComparison.Ordinal) && fileName.EndsWith(".so.9", StringComparison.Ordinal);
}
