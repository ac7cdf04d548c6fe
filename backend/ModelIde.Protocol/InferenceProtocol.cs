namespace ModelIde.Protocol;

/// <summary>Run a local ONNX model: device discovery, load, streamed generation, unload.</summary>
public static class InferenceMethods
{
    /// <summary>What hardware and execution providers ONNX Runtime sees, and where a model would run.</summary>
    [RpcRequest(typeof(InferenceDevicesParams), typeof(InferenceDevicesResult))]
    public const string Devices = "inference/devices";

    /// <summary>Loads a model folder into a session kept by id (until unloaded or the connection closes).</summary>
    [RpcRequest(typeof(InferenceLoadParams), typeof(InferenceLoadResult))]
    public const string Load = "inference/load";

    /// <summary>Generates, streaming <see cref="Token"/> notifications.</summary>
    [RpcRequest(typeof(InferenceGenerateParams), typeof(InferenceGenerateResult), IsLong = true)]
    public const string Generate = "inference/generate";

    /// <summary>One streamed chunk; their concatenation is the final <c>text</c>.</summary>
    [RpcNotification(typeof(InferenceTokenParams))]
    public const string Token = "inference/token";

    /// <summary>Which files of a hub repository to download to run one of its ONNX variants: that variant's and the shared ones.</summary>
    [RpcRequest(typeof(InferenceDownloadPlanParams), typeof(InferenceDownloadPlanResult))]
    public const string DownloadPlan = "inference/downloadPlan";

    /// <summary>Disposes a session.</summary>
    [RpcRequest(typeof(InferenceUnloadParams), typeof(InferenceUnloadResult))]
    public const string Unload = "inference/unload";
}

/// <summary>Where a model should run (the <c>modelscope.inference.devicePolicy</c> setting).</summary>
public enum DevicePolicyKind
{
    Auto,
    PreferCpu,
    PreferGpu,
    PreferNpu,
    MaxEfficiency,
}

/// <param name="CudaPath">The <c>modelscope.inference.cudaPath</c> setting: a folder searched first for the CUDA libraries.</param>
public sealed record InferenceDevicesParams(DevicePolicyKind? Policy = null, string? EpLibraryPath = null, string? CudaPath = null);

public sealed record HardwareDeviceDto(string Type, string Vendor, uint VendorId, uint DeviceId);

public sealed record ExecutionProviderDto(string Name, string Vendor, string DeviceType);

public sealed record InferenceDevicesResult(IReadOnlyList<HardwareDeviceDto> Hardware, IReadOnlyList<ExecutionProviderDto> ExecutionProviders, string Summary);

/// <param name="CudaPath">The <c>modelscope.inference.cudaPath</c> setting: a folder searched first for the CUDA libraries.</param>
/// <param name="File">Which ONNX file to run, relative to <paramref name="ModelDir"/> (the <c>modelscope.inference.modelFile</c>
/// setting); null lets the sidecar choose by device and memory.</param>
public sealed record InferenceLoadParams(string ModelDir, DevicePolicyKind? Policy = null, string? EpLibraryPath = null, int? Threads = null, string? CudaPath = null, string? File = null);

/// <param name="File">The ONNX file that runs, relative to the model folder, with forward slashes.</param>
/// <param name="FileReason">Why that file: the only one, chosen by the user, or the precision that suits the device (with the variants found).</param>
/// <param name="Defaults">The model's own generation defaults, which the playground starts from.</param>
public sealed record InferenceLoadResult(
    string SessionId,
    string Device,
    string Reason,
    int ContextLength,
    string? ChatTemplate,
    bool IsChatModel,
    string File,
    string FileReason,
    GenerationDefaultsDto Defaults);

/// <summary>genai_config.json's search section, else generation_config.json; each null when the model does not say.</summary>
/// <param name="MaxLength">Prompt plus generated tokens at most.</param>
public sealed record GenerationDefaultsDto(
    int? MaxLength = null,
    bool? DoSample = null,
    double? Temperature = null,
    int? TopK = null,
    double? TopP = null,
    double? RepetitionPenalty = null);

public enum ChatRole
{
    System,
    User,
    Assistant,
}

public sealed record ChatMessageDto(ChatRole Role, string Content);

public sealed record InferenceGenerateParams(
    string SessionId,
    string GenerationId,
    string? Prompt = null,
    IReadOnlyList<ChatMessageDto>? Messages = null,
    int? MaxNewTokens = null,
    double? Temperature = null,
    int? TopK = null,
    double? TopP = null,
    double? RepetitionPenalty = null,
    int? Seed = null,
    IReadOnlyList<string>? Stop = null);

public enum StopReasonKind
{
    Eos,
    Stop,
    MaxTokens,
    Cancelled,
}

/// <param name="Device">Where the generation ended: "cpu" after a GPU failure mid-generation moved the model to the CPU.</param>
/// <param name="Reason">Why it runs there (after a fallback: what failed on the GPU).</param>
public sealed record InferenceGenerateResult(
    string Text,
    IReadOnlyList<int> TokenIds,
    int PromptTokens,
    int GeneratedTokens,
    double TokensPerSecond,
    StopReasonKind StopReason,
    string Device,
    string Reason);

public sealed record InferenceTokenParams(string GenerationId, string Text, int TokenId);

public sealed record InferenceUnloadParams(string SessionId);

public sealed record InferenceUnloadResult;

/// <param name="Policy">The device policy the variant is chosen for, as for inference/load.</param>
public sealed record InferenceDownloadPlanParams(string ModelId, string? Revision = null, DevicePolicyKind? Policy = null);

/// <param name="File">The variant's ONNX file, relative to the repository root.</param>
/// <param name="Bytes">The file with its external data (or, for a GenAI builder folder, the whole folder).</param>
public sealed record OnnxVariantDto(string File, string Precision, bool GpuOnly, long Bytes);

/// <param name="Chosen">The variant the plan downloads; null when there is none to choose (no ONNX model, or none runs on this device): then <paramref name="Files"/> is every file.</param>
/// <param name="Files">Paths to pass as <c>include</c> to downloads/start.</param>
/// <param name="AllBytes">The whole repository, for comparison.</param>
public sealed record InferenceDownloadPlanResult(OnnxVariantDto? Chosen, string Reason, IReadOnlyList<OnnxVariantDto> Variants, IReadOnlyList<string> Files, long Bytes, long AllBytes);
