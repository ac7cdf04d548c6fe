namespace ModelIde.Protocol;

/// <summary>Run a local ONNX model: device discovery, load, streamed generation, unload.</summary>
public static class InferenceMethods
{
    /// <summary>Request. What hardware and execution providers ONNX Runtime sees, and where a model would run.</summary>
    public const string Devices = "inference/devices";

    /// <summary>Request. Loads a model folder into a session kept by id.</summary>
    public const string Load = "inference/load";

    /// <summary>Request (long). Generates, streaming <see cref="Token"/> notifications; cancel with $/cancelRequest.</summary>
    public const string Generate = "inference/generate";

    /// <summary>Notification, sidecar → client. One streamed chunk.</summary>
    public const string Token = "inference/token";

    /// <summary>Request. Disposes a session.</summary>
    public const string Unload = "inference/unload";
}

public sealed record InferenceDevicesParams(string? Policy = null, string? EpLibraryPath = null);

public sealed record HardwareDeviceDto(string Type, string Vendor, uint VendorId, uint DeviceId);

public sealed record ExecutionProviderDto(string Name, string Vendor, string DeviceType);

public sealed record InferenceDevicesResult(IReadOnlyList<HardwareDeviceDto> Hardware, IReadOnlyList<ExecutionProviderDto> ExecutionProviders, string Summary);

public sealed record InferenceLoadParams(string ModelDir, string? Policy = null, string? EpLibraryPath = null, int? Threads = null);

public sealed record InferenceLoadResult(string SessionId, string Device, string Reason, int ContextLength, string? ChatTemplate, bool IsChatModel);

public sealed record ChatMessageDto(string Role, string Content);

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

public sealed record InferenceGenerateResult(
    string Text,
    IReadOnlyList<int> TokenIds,
    int PromptTokens,
    int GeneratedTokens,
    double TokensPerSecond,
    string StopReason);

public sealed record InferenceTokenParams(string GenerationId, string Text, int TokenId);

public sealed record InferenceUnloadParams(string SessionId);

public sealed record InferenceUnloadResult;
