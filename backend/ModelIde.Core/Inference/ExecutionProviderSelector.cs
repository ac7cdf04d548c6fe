using Microsoft.ML.OnnxRuntime;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Inference;

/// <summary>Which device the user wants; <see cref="Auto"/> prefers GPU, then NPU, then CPU.</summary>
public enum DevicePolicy { Auto, PreferCpu, PreferGpu, PreferNpu, MaxEfficiency }

public sealed record HardwareDeviceInfo(string Type, string Vendor, uint VendorId, uint DeviceId);

public sealed record ExecutionProviderInfo(string Name, string Vendor, string DeviceType);

/// <summary>What ONNX Runtime sees on this machine, and a sentence a user can read about it.</summary>
public sealed record HardwareReport(
    IReadOnlyList<HardwareDeviceInfo> Hardware,
    IReadOnlyList<ExecutionProviderInfo> ExecutionProviders,
    IReadOnlyList<string> Notes,
    string Summary,
    GpuReport? Gpu = null);

/// <summary>The NVIDIA side: the driver's answer, the ONNX Runtime build in use, the CUDA libraries and the decision.</summary>
public sealed record GpuReport(NvidiaDriverReport Driver, string OnnxRuntimeVersion, OnnxRuntimeBuild Runtime, CudaLibraryScan? Libraries, CudaDecision Decision);

/// <summary>A created session with its options (the caller disposes both), where it runs and why.</summary>
public sealed record SelectedSession(InferenceSession Session, SessionOptions Options, string Device, string Reason);

/// <summary>Session options and the device a session was meant to run on, with the reasons behind the choice.</summary>
public sealed record ExecutionProviderChoice(SessionOptions Options, string Device, string Reason);

/// <summary>
/// Picks where a model runs with ONNX Runtime's discovery API (<c>GetHardwareDevices</c>, <c>GetEpDevices</c>,
/// <c>SetEpSelectionPolicy</c>), an optional EP library the user points to, and the legacy <c>AppendExecutionProvider_*</c>
/// calls, which throw on builds without that EP.
/// </summary>
public static class ExecutionProviderSelector
{
    private static readonly Lock RegistrationLock = new();
    private static readonly HashSet<string> RegisteredLibraries = new(StringComparer.Ordinal);

    public static DevicePolicy ParsePolicy(string? text) => (text ?? "auto").Trim().ToLowerInvariant() switch
    {
        "auto" or "" => DevicePolicy.Auto,
        "cpu" or "prefercpu" => DevicePolicy.PreferCpu,
        "gpu" or "prefergpu" => DevicePolicy.PreferGpu,
        "npu" or "prefernpu" => DevicePolicy.PreferNpu,
        "maxefficiency" => DevicePolicy.MaxEfficiency,
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

    public static HardwareReport Describe(DevicePolicy policy = DevicePolicy.Auto, string? epLibraryPath = null, int? threads = null, string? cudaPath = null)
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
        var summary = Summarise(policy, hardware, eps, chosen, threads ?? DefaultThreads);
        var gpu = DescribeGpu(policy, cudaPath, model: null, scanAlways: true);
        notes.AddRange(GpuNotes(gpu));
        if (SpeaksForTheGpu(gpu) && chosen?.HardwareDevice.Type is null or OrtHardwareDeviceType.CPU)
        {
            summary = WithThreads(gpu.Decision.Sentence, gpu.Decision.UseCuda, threads);
        }

        return new HardwareReport(hardware, eps.Select(e => new ExecutionProviderInfo(e.EpName, e.EpVendor, e.HardwareDevice.Type.ToString())).ToArray(), notes, summary, gpu);
    }

    /// <summary>
    /// Creates the session for a model: on CUDA when <see cref="CudaReadiness"/> says everything is there (the CUDA
    /// libraries are loaded first), otherwise, or when CUDA fails to start (out of memory, driver mismatch), on what
    /// <see cref="Choose"/> picks, with the reason in one sentence. A model ONNX Runtime cannot read is an InvalidInput.
    /// </summary>
    public static SelectedSession CreateSession(string modelPath, DevicePolicy policy, string? epLibraryPath, int? threads, string? cudaPath = null)
    {
        EnsureOnnxRuntime();
        string? gpuSentence = null;
        if (policy is DevicePolicy.Auto or DevicePolicy.PreferGpu && string.IsNullOrWhiteSpace(epLibraryPath))
        {
            var gpu = DescribeGpu(policy, cudaPath, GpuMemoryEstimate.ForModel(modelPath), scanAlways: false);
            gpuSentence = SpeaksForTheGpu(gpu) ? gpu.Decision.Sentence : null;
            if (gpu.Decision.UseCuda)
            {
                var cuda = TryCuda(modelPath, gpu, threads, out var failure);
                if (cuda is not null)
                {
                    return cuda;
                }

                gpuSentence = failure;
            }
        }

        var choice = Choose(policy, epLibraryPath, threads);
        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, choice.Options);
        }
        catch (OnnxRuntimeException e)
        {
            choice.Options.Dispose();
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"ONNX Runtime could not load {Path.GetFileName(modelPath)} (truncated or not an ONNX model?): {e.Message}", e);
        }

        var reason = gpuSentence is not null && choice.Device == "cpu" ? WithThreads(gpuSentence, false, threads) : choice.Reason;
        return new SelectedSession(session, choice.Options, choice.Device, reason);
    }

    /// <summary>A fresh CPU session for a model whose CUDA session failed while generating; the reason says what failed.</summary>
    public static SelectedSession CreateCpuSession(string modelPath, int? threads, string reason)
    {
        var options = BaseOptions(threads);
        try
        {
            return new SelectedSession(new InferenceSession(modelPath, options), options, "cpu", WithThreads(reason, false, threads));
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    private static SelectedSession? TryCuda(string modelPath, GpuReport gpu, int? threads, out string failure)
    {
        var name = gpu.Decision.Gpu;
        var load = CudaLibraryLoader.Load(gpu.Libraries!.Found);
        var required = CudaLibraries.For(OperatingSystem.IsWindows()).Where(l => l.Required).Select(l => l.FileName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var broken = load.Failed.FirstOrDefault(f => required.Contains(f.FileName));
        if (broken.FileName is not null)
        {
            failure = CudaReadiness.FellBack(name, $"to load {broken.FileName}", broken.Error);
            return null;
        }

        var spec = GpuRuntimePackSpec.ForThisMachine()!;
        var store = GpuRuntimePackStore.Default();
        if (store.Verify(spec, PackVerification.Hashes, [spec.CudaProvider]) is { } damaged)
        {
            failure = CudaReadiness.FellBack(name, "the GPU runtime check", damaged);
            return null;
        }

        var options = BaseOptions(threads);
        var mark = OnnxRuntimeLog.Mark();
        try
        {
            options.AppendExecutionProvider_CUDA(0);
            var session = new InferenceSession(modelPath, options);
            failure = "";
            var placed = ActualDevice(session);
            return new SelectedSession(session, options, "gpu", gpu.Decision.Sentence + (placed is { } p ? $" (inputs placed by {p.ExecutionProvider})" : ""));
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or NotSupportedException)
        {
            options.Dispose();
            // ONNX Runtime's log says which library or symbol was missing; its exception does not.
            var logged = OnnxRuntimeLog.ErrorsSince(mark).LastOrDefault(m => m.Contains("Failed to load", StringComparison.Ordinal)) ?? OnnxRuntimeLog.ErrorsSince(mark).LastOrDefault();
            failure = CudaReadiness.FellBack(name, "to start the CUDA provider", logged is null ? e.Message : ShortenLog(logged));
            return null;
        }
    }

    /// <summary>Chooses the native library (the GPU pack's or the CPU one), then creates the OrtEnv with our log callback.</summary>
    private static void EnsureOnnxRuntime()
    {
        OnnxRuntimeNativeSwitch.EnsureChosen();
        OnnxRuntimeLog.EnsureInstalled();
    }

    // "…provider_bridge_ort.cc:2043 … FAIL : Failed to load library /p/libX.so with error: /p/libX.so: undefined symbol: …"
    // → "Failed to load library libX.so with error: libX.so: undefined symbol: …" (folders dropped to keep it readable).
    private static string ShortenLog(string message)
    {
        var at = message.IndexOf("Failed to load", StringComparison.Ordinal);
        var text = at > 0 ? message[at..] : message;
        return System.Text.RegularExpressions.Regex.Replace(text, @"(?:[A-Za-z]:)?[/\\][^\s:]*[/\\]([^/\\\s:]+)", "$1");
    }

    private static GpuReport DescribeGpu(DevicePolicy policy, string? cudaPath, GpuMemoryEstimate? model, bool scanAlways)
    {
        var runtime = OnnxRuntimeNativeSwitch.EnsureChosen();
        var driver = NvidiaGpuProbe.Probe();
        var spec = GpuRuntimePackSpec.ForThisMachine();
        CudaLibraryScan? libraries = null;
        if (driver.Gpus.Count > 0 && spec is not null && (runtime.IsGpuPack || scanAlways))
        {
            var configured = string.IsNullOrWhiteSpace(cudaPath) ? Environment.GetEnvironmentVariable(CudaPathVariable) : cudaPath;
            libraries = CudaLibraryLocator.Locate(CudaSearchContext.ForThisMachine(configured));
        }

        var decision = CudaReadiness.Decide(new CudaFacts(policy, driver, spec, runtime, libraries, model));
        return new GpuReport(driver, OrtVersion(), runtime, libraries, decision);
    }

    /// <summary>The sidecar and CLI pass the user's <c>modelscope.inference.cudaPath</c> here when no argument carries it.</summary>
    public const string CudaPathVariable = "MODELIDE_CUDA_PATH";

    // The CUDA sentence replaces the generic one when there is an NVIDIA GPU or the GPU runtime is in use.
    private static bool SpeaksForTheGpu(GpuReport gpu) => gpu.Driver.Gpus.Count > 0 || gpu.Runtime.IsGpuPack;

    private static IEnumerable<string> GpuNotes(GpuReport gpu)
    {
        yield return $"ONNX Runtime {gpu.OnnxRuntimeVersion}: {(gpu.Runtime.IsGpuPack ? gpu.Runtime.Note : "CPU build shipped with ModelIde (" + gpu.Runtime.Note + ")")}";
        var d = gpu.Driver;
        if (d.Gpus.Count > 0)
        {
            var cuda = d.CudaDriverVersionText is { } v ? $", CUDA {v}" : "";
            yield return $"NVIDIA driver {d.DriverVersion ?? "(version unknown)"}{cuda}, read from {d.Source}";
            foreach (var g in d.Gpus)
            {
                var memory = g.TotalMemoryBytes is { } t ? $", {t / (double)(1L << 30):0.0} GiB ({(g.FreeMemoryBytes ?? 0) / (double)(1L << 30):0.0} GiB free)" : "";
                yield return $"GPU: {g.Name}{memory}{(g.ComputeCapability is { } cc ? $", compute capability {cc}" : "")}";
            }
        }

        if (gpu.Libraries is { } libs)
        {
            foreach (var hit in libs.Found)
            {
                yield return $"CUDA library {hit.FileName}: {hit.Path} ({hit.Source})";
            }

            foreach (var missing in libs.Missing)
            {
                yield return $"CUDA library {missing.FileName} ({missing.Role}): not found{(missing.Required ? "" : ", optional")}";
            }

            foreach (var note in libs.Notes)
            {
                yield return note;
            }
        }
    }

    private static string OrtVersion()
    {
        try
        {
            return OrtEnv.Instance().GetVersionString();
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return "(unknown)";
        }
    }

    private static string WithThreads(string sentence, bool cuda, int? threads) =>
        cuda || !sentence.EndsWith("running on CPU", StringComparison.Ordinal) ? sentence : $"{sentence} ({threads ?? DefaultThreads} threads)";

    private static SessionOptions BaseOptions(int? threads)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads is > 0)
        {
            options.IntraOpNumThreads = threads.Value;
        }

        return options;
    }

    /// <summary>Builds session options for the policy; the caller owns (and disposes) <see cref="ExecutionProviderChoice.Options"/>.</summary>
    public static ExecutionProviderChoice Choose(DevicePolicy policy, string? epLibraryPath, int? threads)
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
                OrtHardwareDeviceType.NPU => policy == DevicePolicy.MaxEfficiency ? ExecutionProviderDevicePolicy.MAX_EFFICIENCY : ExecutionProviderDevicePolicy.PREFER_NPU,
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

        var reason = Summarise(policy, hardware.Select(h => new HardwareDeviceInfo(h.Type.ToString(), h.Vendor, h.VendorId, h.DeviceId)).ToArray(), eps, device == "cpu" ? null : chosen, threads ?? DefaultThreads);
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

    private static OrtEpDevice? PickEp(DevicePolicy policy, IReadOnlyList<OrtEpDevice> eps)
    {
        OrtHardwareDeviceType[] order = policy switch
        {
            DevicePolicy.PreferCpu => [OrtHardwareDeviceType.CPU],
            DevicePolicy.PreferNpu or DevicePolicy.MaxEfficiency => [OrtHardwareDeviceType.NPU, OrtHardwareDeviceType.GPU, OrtHardwareDeviceType.CPU],
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

    private static string Summarise(DevicePolicy policy, IReadOnlyList<HardwareDeviceInfo> hardware, IReadOnlyList<OrtEpDevice> eps, OrtEpDevice? chosen, int threads)
    {
        var parts = new List<string>();
        foreach (var type in new[] { "GPU", "NPU" })
        {
            var found = hardware.Where(h => h.Type == type).ToArray();
            if (found.Length == 0)
            {
                continue;
            }

            var names = string.Join(", ", found.Select(h => string.IsNullOrEmpty(h.Vendor) ? $"vendor 0x{h.VendorId:x4}" : h.Vendor).Distinct());
            var hasEp = eps.Any(e => e.HardwareDevice.Type.ToString() == type);
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

        var wantsAccelerator = policy != DevicePolicy.PreferCpu;
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
