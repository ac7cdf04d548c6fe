using Microsoft.ML.OnnxRuntime;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Inference;

/// <summary>The NVIDIA side: the driver's answer, the ONNX Runtime build in use, the CUDA libraries and the decision.</summary>
public sealed record GpuReport(NvidiaDriverReport Driver, string OnnxRuntimeVersion, OnnxRuntimeBuild Runtime, CudaLibraryScan? Libraries, CudaDecision Decision);

/// <summary>The device a model is meant to run on, and what it was decided from (<see cref="ExecutionProviderSelector.Plan"/>).</summary>
public sealed record SessionPlan(DevicePolicyKind Policy, string? EpLibraryPath, int? Threads, string Device, GpuReport? Gpu);

/// <summary>A created session with its options (the caller disposes both), where it runs and why.</summary>
public sealed record SelectedSession(InferenceSession Session, SessionOptions Options, string Device, string Reason);

/// <summary>The CUDA half of the selector: sessions on NVIDIA GPUs through the GPU runtime pack, and the CPU fallback.</summary>
public static partial class ExecutionProviderSelector
{
    /// <summary>
    /// Where a model is meant to run, decided before its file is chosen (the variant depends on the device): "gpu" when
    /// <see cref="CudaReadiness"/> says the GPU, the runtime pack and the CUDA libraries are there (the model's size is
    /// checked once its file is known), otherwise what ONNX Runtime's discovery picks.
    /// </summary>
    public static SessionPlan Plan(DevicePolicyKind policy, string? epLibraryPath, int? threads, string? cudaPath = null)
    {
        EnsureOnnxRuntime();
        RegisterLibrary(epLibraryPath);
        GpuReport? gpu = null;
        if (policy is DevicePolicyKind.Auto or DevicePolicyKind.PreferGpu && string.IsNullOrWhiteSpace(epLibraryPath))
        {
            gpu = DescribeGpu(policy, cudaPath, model: null, scanAlways: false);
        }

        var device = gpu?.Decision.UseCuda == true
            ? "gpu"
            : PickEp(policy, ListEpDevices([]))?.HardwareDevice.Type.ToString().ToLowerInvariant() ?? "cpu";
        return new SessionPlan(policy, epLibraryPath, threads, device, gpu);
    }

    /// <summary>
    /// Creates the session for a model: on CUDA when the plan's GPU report says everything is there and the model fits
    /// in free GPU memory (the CUDA libraries are loaded first), otherwise, or when CUDA fails to start (out of memory,
    /// driver mismatch), on what <see cref="Choose"/> picks, with the reason in one sentence. A model ONNX Runtime
    /// cannot read throws its <see cref="OnnxRuntimeException"/> for the caller to explain.
    /// </summary>
    public static SelectedSession CreateSession(string modelPath, SessionPlan plan)
    {
        EnsureOnnxRuntime();
        string? gpuSentence = null;
        if (plan.Gpu is { } described)
        {
            var facts = new CudaFacts(plan.Policy, described.Driver, GpuRuntimePackSpec.ForThisMachine(), described.Runtime, described.Libraries,
                GpuMemoryEstimate.ForModel(modelPath));
            var gpu = described with { Decision = CudaReadiness.Decide(facts) };
            gpuSentence = SpeaksForTheGpu(gpu) ? gpu.Decision.Sentence : null;
            if (gpu.Decision.UseCuda)
            {
                var cuda = TryCuda(modelPath, gpu, plan.Threads, out var failure);
                if (cuda is not null)
                {
                    return cuda;
                }

                gpuSentence = failure;
            }
        }

        var choice = Choose(plan.Policy, plan.EpLibraryPath, plan.Threads);
        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, choice.Options);
        }
        catch
        {
            choice.Options.Dispose();
            throw;
        }

        var reason = gpuSentence is not null && choice.Device == "cpu" ? WithThreads(gpuSentence, false, plan.Threads) : choice.Reason;
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

    private static GpuReport DescribeGpu(DevicePolicyKind policy, string? cudaPath, GpuMemoryEstimate? model, bool scanAlways)
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
}
