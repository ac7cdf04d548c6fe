using System.Globalization;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>Whether to run on CUDA, and one sentence saying what was found, what is missing and how to fix it.</summary>
public sealed record CudaDecision(bool UseCuda, string Sentence, NvidiaGpu? Gpu);

/// <summary>Everything the decision is made from; each part is measured elsewhere, so the decision is a pure function.</summary>
public sealed record CudaFacts(
    DevicePolicyKind Policy,
    NvidiaDriverReport Driver,
    GpuRuntimePackSpec? Pack,
    OnnxRuntimeBuild Runtime,
    CudaLibraryScan? Libraries,
    GpuMemoryEstimate? Model);

/// <summary>
/// Decides CUDA vs CPU for <see cref="DevicePolicyKind.Auto"/> and <see cref="DevicePolicyKind.PreferGpu"/>: CUDA only when an
/// NVIDIA GPU, a driver new enough for CUDA 13, the GPU runtime pack and every CUDA library are there and the model
/// fits in the GPU's free memory. Each "no" names the first missing piece and the fix.
/// </summary>
public static class CudaReadiness
{
    /// <summary>ONNX Runtime 1.31's CUDA provider is built for CUDA 13: NVIDIA driver 580 or newer.</summary>
    public const int MinimumCudaDriverVersion = 13000;
    public const int MinimumDriverMajor = 580;

    /// <summary>Its kernels start at sm_75 (Turing).</summary>
    public static readonly Version MinimumComputeCapability = new(7, 5);

    public const string EnableCommandTitle = "ModelScope: Enable GPU (CUDA)";
    public const string EnableCliCommand = "modelide gpu enable";

    public static CudaDecision Decide(CudaFacts f)
    {
        var gpu = f.Driver.Gpus.FirstOrDefault();
        if (f.Policy is not (DevicePolicyKind.Auto or DevicePolicyKind.PreferGpu))
        {
            return Cpu(gpu, f.Policy == DevicePolicyKind.PreferCpu ? "CPU requested" : null);
        }

        if (gpu is null)
        {
            return Cpu(null, $"no NVIDIA GPU found ({f.Driver.Note ?? "no driver"})");
        }

        var found = Found(gpu, f.Driver);
        if (f.Pack is null)
        {
            return Cpu(gpu, $"{found}, but ONNX Runtime has no CUDA build for this platform");
        }

        if (f.Driver.CudaDriverVersion is { } cuda && cuda < MinimumCudaDriverVersion)
        {
            return Cpu(gpu, $"{found}; its driver {f.Driver.DriverVersion} supports CUDA {f.Driver.CudaDriverVersionText}, the GPU runtime needs CUDA 13: update the NVIDIA driver to {MinimumDriverMajor} or newer");
        }

        if (f.Driver.CudaDriverVersion is null && NvidiaGpuProbe.DriverMajor(f.Driver.DriverVersion) is { } major && major < MinimumDriverMajor)
        {
            return Cpu(gpu, $"{found}; driver {f.Driver.DriverVersion} is older than CUDA 13 needs: update the NVIDIA driver to {MinimumDriverMajor} or newer");
        }

        if (gpu.ComputeCapability is { } cc && Version.TryParse(cc, out var capability) && capability < MinimumComputeCapability)
        {
            return Cpu(gpu, $"{found}, but its compute capability {cc} is older than the GPU runtime supports ({MinimumComputeCapability} or newer)");
        }

        if (!f.Runtime.IsGpuPack)
        {
            return Cpu(gpu, f.Runtime.Note.StartsWith("the GPU runtime pack is not installed", StringComparison.Ordinal)
                ? $"{found}; the GPU runtime is not installed: run \"{EnableCommandTitle}\" or `{EnableCliCommand}`"
                : $"{found}; the GPU runtime is not in use: {f.Runtime.Note}");
        }

        if (f.Libraries is not { } libs)
        {
            return Cpu(gpu, $"{found}; the CUDA libraries were not looked for");
        }

        if (libs.DriverLibraryMissing)
        {
            var driverLib = libs.Missing.First(m => m.FromDriver).FileName;
            return Cpu(gpu, $"{found}; the driver's {driverLib} not found: reinstall the NVIDIA driver");
        }

        var missing = libs.Missing.Where(m => m.Required && !m.FromDriver).ToArray();
        if (missing.Length > 0)
        {
            return Cpu(gpu, $"{found}; {Join(missing.Select(m => m.FileName))} not found: {HowToGet(missing)}, or set {CudaLibraryLocator.SettingName}");
        }

        if (f.Model is { } model && gpu.FreeMemoryBytes is { } free && !model.FitsIn(free))
        {
            return Cpu(gpu, $"{found}, but the model needs about {GiB(model.TotalBytes)} with a {model.ContextTokens:N0}-token context and {GiB(free)} is free: close other GPU programs or use a smaller (fp16 or int4) export");
        }

        var from = f.Libraries?.Found.FirstOrDefault(h => !h.FileName.StartsWith("libcuda.", StringComparison.Ordinal) && !h.FileName.Equals("nvcuda.dll", StringComparison.OrdinalIgnoreCase))?.Source;
        return new CudaDecision(true, $"{found}{(from is null ? "" : $" with CUDA libraries from {from}")}; running on CUDA", gpu);
    }

    /// <summary>The sentence after a CUDA failure at load or during generation; the model then runs on CPU.</summary>
    public static string FellBack(NvidiaGpu? gpu, string what, string error) =>
        $"{(gpu is null ? "The GPU" : gpu.Name)} failed {what} ({FirstLine(CudaErrorText.Summarise(error))}); running on CPU";

    private static CudaDecision Cpu(NvidiaGpu? gpu, string? why) =>
        new(false, Capitalise(why is null ? "running on CPU" : $"{why}; running on CPU"), gpu);

    private static string Found(NvidiaGpu gpu, NvidiaDriverReport driver)
    {
        var memory = gpu.TotalMemoryBytes is { } total ? $" ({GiB(total)}{(gpu.FreeMemoryBytes is { } free ? $", {GiB(free)} free" : "")})" : "";
        var more = driver.Gpus.Count > 1 ? $" and {driver.Gpus.Count - 1} more" : "";
        return $"{gpu.Name}{memory}{more} found";
    }

    private static string HowToGet(IReadOnlyList<CudaLibrary> missing)
    {
        var cudnn = missing.Any(m => m.FileName.Contains("cudnn", StringComparison.OrdinalIgnoreCase));
        var toolkit = missing.Any(m => !m.FileName.Contains("cudnn", StringComparison.OrdinalIgnoreCase));
        var install = toolkit && cudnn ? "install CUDA 13 and cuDNN 9" : cudnn ? "install cuDNN 9 for CUDA 13" : "install CUDA 13";
        var pip = string.Join(' ', missing.Select(m => m.PipPackage).OfType<string>().Distinct());
        return $"{install} or `pip install {pip}`";
    }

    private static string Join(IEnumerable<string> names)
    {
        var all = names.ToArray();
        return all.Length == 1 ? all[0] : string.Join(", ", all[..^1]) + " and " + all[^1];
    }

    private static string GiB(long bytes) => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? text;
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    private static string Capitalise(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
