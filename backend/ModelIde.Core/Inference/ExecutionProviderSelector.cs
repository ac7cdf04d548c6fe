using Microsoft.ML.OnnxRuntime;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Inference;

/// <summary>Which device the user wants; <see cref="Auto"/> prefers GPU, then NPU, then CPU.</summary>
public sealed record HardwareDeviceInfo(string Type, string Vendor, uint VendorId, uint DeviceId);

public sealed record ExecutionProviderInfo(string Name, string Vendor, string DeviceType);

/// <summary>What ONNX Runtime sees on this machine, and a sentence a user can read about it.</summary>
public sealed record HardwareReport(
    IReadOnlyList<HardwareDeviceInfo> Hardware,
    IReadOnlyList<ExecutionProviderInfo> ExecutionProviders,
    IReadOnlyList<string> Notes,
    string Summary,
    GpuReport? Gpu = null);

/// <summary>Session options and the device a session was meant to run on, with the reasons behind the choice.</summary>
public sealed record ExecutionProviderChoice(SessionOptions Options, string Device, string Reason);

/// <summary>
/// Picks where a model runs with ONNX Runtime's discovery API (<c>GetHardwareDevices</c>, <c>GetEpDevices</c>,
/// <c>SetEpSelectionPolicy</c>), an optional EP library the user points to, and the legacy <c>AppendExecutionProvider_*</c>
/// calls, which throw on builds without that EP.
/// </summary>
public static partial class ExecutionProviderSelector
{
    /// <summary>The most intra-op threads a session may be given (the CLI's --threads and inference/load alike).</summary>
    public const int MaxThreads = 1024;

    private static readonly Lock RegistrationLock = new();
    private static readonly HashSet<string> RegisteredLibraries = new(StringComparer.Ordinal);

    public static DevicePolicyKind ParsePolicy(string? text) => (text ?? "auto").Trim().ToLowerInvariant() switch
    {
        "auto" or "" => DevicePolicyKind.Auto,
        "cpu" or "prefercpu" => DevicePolicyKind.PreferCpu,
        "gpu" or "prefergpu" => DevicePolicyKind.PreferGpu,
        "npu" or "prefernpu" => DevicePolicyKind.PreferNpu,
        "maxefficiency" => DevicePolicyKind.MaxEfficiency,
        _ => throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
            $"Unknown device policy '{text}'; use auto, cpu, gpu, npu, preferCpu, preferGpu, preferNpu or maxEfficiency."),
    };

    /// <summary>Registers a plugin or provider-bridge EP library once per process; a bad path is an InvalidInput.</summary>
    public static void RegisterLibrary(string? libraryPath)
    {
        if (string.IsNullOrWhiteSpace(libraryPath))
        {
            return;
        }

        var full = Path.GetFullPath(libraryPath);
        if (!File.Exists(full))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Execution provider library not found: {full}");
        }

        lock (RegistrationLock)
        {
            if (RegisteredLibraries.Contains(full))
            {
                return;
            }

            try
            {
                OrtEnv.Instance().RegisterExecutionProviderLibrary(Path.GetFileNameWithoutExtension(full), full);
                RegisteredLibraries.Add(full);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Could not load execution provider library {full}: {e.Message}", e);
            }
        }
    }

    public static HardwareReport Describe(DevicePolicyKind policy = DevicePolicyKind.Auto, string? epLibraryPath = null, int? threads = null, string? cudaPath = null)
    {
        EnsureOnnxRuntime();
        RegisterLibrary(epLibraryPath);
        var env = OrtEnv.Instance();
        var hardware = new List<HardwareDeviceInfo>();
        var notes = new List<string>();
        try
        {
            foreach (var h in env.GetHardwareDevices())
            {
                hardware.Add(new HardwareDeviceInfo(h.Type.ToString(), h.Vendor, h.VendorId, h.DeviceId));
            }
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or NotSupportedException)
        {
            notes.Add($"hardware discovery unavailable: {e.Message}");
        }

        var eps = ListEpDevices(notes);
        var chosen = PickEp(policy, eps);
        var gpu = DescribeGpu(policy, cudaPath, model: null, scanAlways: true);
        var summary = Summarise(policy, hardware, eps, chosen, threads ?? DefaultThreads, gpu.Runtime.IsGpuPack);
        notes.AddRange(GpuNotes(gpu));
        if (SpeaksForTheGpu(gpu) && chosen?.HardwareDevice.Type is null or OrtHardwareDeviceType.CPU)
        {
            summary = WithThreads(gpu.Decision.Sentence, gpu.Decision.UseCuda, threads);
        }

        var providers = eps.Select(e => new ExecutionProviderInfo(e.EpName, e.EpVendor, e.HardwareDevice.Type.ToString())).ToList();
        // The GPU runtime's CUDA provider is appended per session, so ONNX Runtime's discovery does not list it.
        if (gpu.Runtime.IsGpuPack && !providers.Any(p => p.Name == CudaProviderName))
        {
            providers.Insert(0, new ExecutionProviderInfo(CudaProviderName, "NVIDIA", "GPU"));
        }

        return new HardwareReport(hardware, providers, notes, summary, gpu);
    }

    /// <summary>Builds session options for the policy; the caller owns (and disposes) <see cref="ExecutionProviderChoice.Options"/>.</summary>
    public static ExecutionProviderChoice Choose(DevicePolicyKind policy, string? epLibraryPath, int? threads)
    {
        EnsureOnnxRuntime();
        RegisterLibrary(epLibraryPath);
        var notes = new List<string>();
        var hardware = SafeHardware();
        var eps = ListEpDevices(notes);
        var chosen = PickEp(policy, eps);
        var options = BaseOptions(threads);

        var device = "cpu";
        if (chosen is not null)
        {
            // ORT's own policies go GPU→CPU or NPU→CPU; our pick (GPU, then NPU, then CPU for auto) decides which one to ask for.
            var ortPolicy = chosen.HardwareDevice.Type switch
            {
                OrtHardwareDeviceType.GPU => ExecutionProviderDevicePolicy.PREFER_GPU,
                OrtHardwareDeviceType.NPU => policy == DevicePolicyKind.MaxEfficiency ? ExecutionProviderDevicePolicy.MAX_EFFICIENCY : ExecutionProviderDevicePolicy.PREFER_NPU,
                _ => ExecutionProviderDevicePolicy.PREFER_CPU,
            };
            try
            {
                options.SetEpSelectionPolicy(ortPolicy);
                device = chosen.HardwareDevice.Type.ToString().ToLowerInvariant();
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or NotSupportedException)
            {
                notes.Add($"automatic EP selection unavailable ({e.Message})");
            }
        }

        // CUDA is not tried here: CreateSession does it, after loading the CUDA libraries it found (the legacy append
        // without them only fails with "Failed to load shared library").

        var reason = Summarise(policy, hardware.Select(h => new HardwareDeviceInfo(h.Type.ToString(), h.Vendor, h.VendorId, h.DeviceId)).ToArray(), eps, device == "cpu" ? null : chosen, threads ?? DefaultThreads,
            OnnxRuntimeNativeSwitch.EnsureChosen().IsGpuPack);
        if (notes.Count > 0)
        {
            reason += " (" + string.Join("; ", notes) + ")";
        }

        return new ExecutionProviderChoice(options, device, reason);
    }

    /// <summary>Where the session really placed its inputs, from <c>GetEpDeviceForInputs</c>; null when it cannot say.</summary>
    public static (string Device, string ExecutionProvider)? ActualDevice(InferenceSession session)
    {
        try
        {
            var devices = session.GetEpDeviceForInputs();
            var first = devices.FirstOrDefault(d => d is not null);
            return first is null ? null : (first.HardwareDevice.Type.ToString().ToLowerInvariant(), first.EpName);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or NotSupportedException or NullReferenceException)
        {
            return null;
        }
    }

    private static int DefaultThreads => Math.Max(1, Environment.ProcessorCount);

    private static IReadOnlyList<OrtHardwareDevice> SafeHardware()
    {
        try
        {
            return OrtEnv.Instance().GetHardwareDevices();
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or NotSupportedException)
        {
            return [];
        }
    }

    private static IReadOnlyList<OrtEpDevice> ListEpDevices(List<string> notes)
    {
        try
        {
            return OrtEnv.Instance().GetEpDevices();
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or NotSupportedException)
        {
            notes.Add($"execution provider discovery unavailable: {e.Message}");
            return [];
        }
    }

    private static OrtEpDevice? PickEp(DevicePolicyKind policy, IReadOnlyList<OrtEpDevice> eps)
    {
        OrtHardwareDeviceType[] order = policy switch
        {
            DevicePolicyKind.PreferCpu => [OrtHardwareDeviceType.CPU],
            DevicePolicyKind.PreferNpu or DevicePolicyKind.MaxEfficiency => [OrtHardwareDeviceType.NPU, OrtHardwareDeviceType.GPU, OrtHardwareDeviceType.CPU],
            _ => [OrtHardwareDeviceType.GPU, OrtHardwareDeviceType.NPU, OrtHardwareDeviceType.CPU],
        };
        foreach (var type in order)
        {
            var match = eps.Where(e => e.HardwareDevice.Type == type)
                .OrderBy(e => e.EpName == "CPUExecutionProvider" ? 1 : 0)
                .FirstOrDefault();
            if (match is not null)
            {
                return match;
            }
        }

        return null;
    }

    private const string CudaProviderName = "CUDAExecutionProvider";

    /// <summary>ONNX Runtime leaves the vendor name empty for some GPUs; the PCI vendor id names it.</summary>
    public static string VendorName(HardwareDeviceInfo h) => !string.IsNullOrEmpty(h.Vendor) ? h.Vendor : h.VendorId switch
    {
        0x10de => "NVIDIA",
        0x1002 => "AMD",
        0x8086 => "Intel",
        0x5143 => "Qualcomm",
        _ => $"vendor 0x{h.VendorId:x4}",
    };

    /// <param name="cudaInBuild">The GPU runtime pack is loaded: an NVIDIA GPU has the CUDA provider even though discovery does not list it.</param>
    internal static string Summarise(DevicePolicyKind policy, IReadOnlyList<HardwareDeviceInfo> hardware, IReadOnlyList<OrtEpDevice> eps, OrtEpDevice? chosen, int threads, bool cudaInBuild)
    {
        var parts = new List<string>();
        foreach (var type in new[] { "GPU", "NPU" })
        {
            var found = hardware.Where(h => h.Type == type).ToArray();
            if (found.Length == 0)
            {
                continue;
            }

            var names = string.Join(", ", found.Select(VendorName).Distinct());
            var hasEp = eps.Any(e => e.HardwareDevice.Type.ToString() == type)
                || (cudaInBuild && type == "GPU" && found.Any(h => h.VendorId == 0x10de));
            parts.Add($"{names} {type} found");
            if (!hasEp)
            {
                parts.Add($"no {type} execution provider in this build");
            }
        }

        if (parts.Count == 0)
        {
            parts.Add("no GPU or NPU found");
        }

        var wantsAccelerator = policy != DevicePolicyKind.PreferCpu;
        if (chosen is null || chosen.HardwareDevice.Type == OrtHardwareDeviceType.CPU)
        {
            parts.Add(wantsAccelerator ? $"running on CPU ({threads} threads)" : $"CPU requested; running on CPU ({threads} threads)");
        }
        else
        {
            parts.Add($"running on {chosen.HardwareDevice.Type} via {chosen.EpName}");
        }

        return string.Join("; ", parts);
    }
}
