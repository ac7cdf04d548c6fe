using System.Text.RegularExpressions;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>
/// ONNX Runtime's CUDA errors in words a user can act on. A failing CUDA, cuBLAS or cuDNN call comes back as
/// "[ErrorCode:Fail] /onnxruntime_src/…/cuda_call.cc:154 std::conditional_t&lt;…&gt; onnxruntime::CudaCall(…) [with …]
/// CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED ; GPU=0 ; hostname=… ; file=… ; line=… ; expr=cublasCreate(&amp;handle); "
/// (the format in onnxruntime/core/providers/cuda/cuda_call.cc). Seen on an H200 (2026-12-04): the sentence shown
/// after a fallback was cut at 300 characters inside the C++ signature, before the part that says what failed.
/// </summary>
public static partial class CudaErrorText
{
    [GeneratedRegex(@"\b(?<lib>CUDA|CUBLAS|CUBLASLT|CUDNN|CURAND|CUFFT|CUSPARSE|NCCL) failure (?<code>-?\d+): (?<text>[^;\n]*?)\s*(?:;|$)(?:[^\n]*?\bexpr=(?<expr>[A-Za-z_][A-Za-z0-9_:]*))?", RegexOptions.Multiline, 1000)]
    private static partial Regex CallFailure();

    // "/onnxruntime_src/…/file.cc:154 <C++ signature> [with …] " before ORT_THROW's own text.
    [GeneratedRegex(@"\S*onnxruntime_src\S*:\d+\s+(?:[^\[]*\[with [^\]]*\]\s*)?", RegexOptions.None, 1000)]
    private static partial Regex SourceLocation();

    /// <summary>What failed, in one line: "CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED in cublasCreate: the GPU ran out of memory".</summary>
    public static string Summarise(string error)
    {
        var m = CallFailure().Match(error);
        if (!m.Success)
        {
            var text = SourceLocation().Replace(error, "").Trim();
            return text.Length == 0 ? error.Trim() : text;
        }

        var what = $"{m.Groups["lib"].Value} failure {m.Groups["code"].Value}: {m.Groups["text"].Value.Trim()}";
        if (m.Groups["expr"].Success)
        {
            what += $" in {m.Groups["expr"].Value}";
        }

        return IsOutOfMemory(m.Groups["text"].Value) ? $"{what}: the GPU ran out of memory (other programs may hold it)" : what;
    }

    private static bool IsOutOfMemory(string status) =>
        status.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || status.Contains("ALLOC_FAILED", StringComparison.Ordinal)
        || status.Contains("CUDNN_STATUS_ALLOC", StringComparison.Ordinal);
}
