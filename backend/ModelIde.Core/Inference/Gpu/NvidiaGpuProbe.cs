using System.Globalization;
using System.Text.RegularExpressions;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>One NVIDIA GPU as the driver reports it; memory and compute capability only come from NVML.</summary>
public sealed record NvidiaGpu(string Name, long? TotalMemoryBytes, long? FreeMemoryBytes, string? ComputeCapability, string? BusId);

/// <summary>
/// What the NVIDIA driver says about this machine. <see cref="CudaDriverVersion"/> is the newest CUDA the driver can run
/// (NVML's 1000 * major + 10 * minor, e.g. 13000 for 13.0), null when only /proc answered.
/// </summary>
public sealed record NvidiaDriverReport(IReadOnlyList<NvidiaGpu> Gpus, string? DriverVersion, int? CudaDriverVersion, string Source, string? Note)
{
    public static NvidiaDriverReport None(string note) => new([], null, null, "none", note);

    public string? CudaDriverVersionText => CudaDriverVersion is { } v ? $"{v / 1000}.{v % 1000 / 10}" : null;
}

/// <summary>Where <see cref="NvidiaGpuProbe"/> looks; tests point these at fabricated files and a stub NVML.</summary>
public sealed record NvidiaProbeSources(IReadOnlyList<string> NvmlLibraries, string ProcDriverDirectory)
{
    public static NvidiaProbeSources Default { get; } = new(
        OperatingSystem.IsWindows() ? ["nvml.dll", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.System), "nvml.dll")] : ["libnvidia-ml.so.1", "libnvidia-ml.so"],
        "/proc/driver/nvidia");
}

/// <summary>
/// Finds NVIDIA GPUs without CUDA: NVML (shipped with the driver) first, then the kernel module's files under
/// /proc/driver/nvidia. A machine without either is a normal answer, never an exception.
/// </summary>
public static partial class NvidiaGpuProbe
{
    public static NvidiaDriverReport Probe(NvidiaProbeSources? sources = null)
    {
        sources ??= NvidiaProbeSources.Default;
        var nvml = NvmlReader.TryRead(sources.NvmlLibraries, out var nvmlNote);
        if (nvml is { Gpus.Count: > 0 })
        {
            return nvml;
        }

        var proc = ReadProcDriver(sources.ProcDriverDirectory);
        if (proc is not null)
        {
            return proc with { Note = nvmlNote };
        }

        return nvml ?? NvidiaDriverReport.None(nvmlNote ?? "no NVIDIA driver found");
    }

    /// <summary>Parses /proc/driver/nvidia/version and gpus/*/information (the kernel module's own description).</summary>
    public static NvidiaDriverReport? ReadProcDriver(string directory)
    {
        var gpusDir = Path.Combine(directory, "gpus");
        if (!Directory.Exists(gpusDir))
        {
            return null;
        }

        var gpus = new List<NvidiaGpu>();
        foreach (var dir in Directory.GetDirectories(gpusDir).Order(StringComparer.Ordinal))
        {
            var info = Path.Combine(dir, "information");
            if (!File.Exists(info))
            {
                continue;
            }

            string? model = null;
            string? bus = null;
            foreach (var line in SafeReadLines(info))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }

                var key = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (key == "Model")
                {
                    model = value;
                }
                else if (key == "Bus Location")
                {
                    bus = value;
                }
            }

            gpus.Add(new NvidiaGpu(model ?? "NVIDIA GPU", null, null, null, bus ?? Path.GetFileName(dir)));
        }

        if (gpus.Count == 0)
        {
            return null;
        }

        string? driver = null;
        var version = Path.Combine(directory, "version");
        if (File.Exists(version))
        {
            var first = SafeReadLines(version).FirstOrDefault(l => l.StartsWith("NVRM version:", StringComparison.Ordinal));
            if (first is not null && DriverVersionPattern().Match(first) is { Success: true } m)
            {
                driver = m.Value;
            }
        }

        return new NvidiaDriverReport(gpus, driver, null, directory, null);
    }

    /// <summary>The driver's major version (580 from "580.65.06"), or null.</summary>
    public static int? DriverMajor(string? driverVersion) =>
        driverVersion is not null && int.TryParse(driverVersion.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : null;

    private static string[] SafeReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar ..." or "... Open Kernel Module for x86_64  580.65.06  Release Build ...".
    [GeneratedRegex(@"(?<![\d.])\d{3,}\.\d+(\.\d+)?(?![\d.])")]
    private static partial Regex DriverVersionPattern();
}
