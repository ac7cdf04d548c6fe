using System.CommandLine;
using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide devices</c>: what hardware and execution providers ONNX Runtime sees, and where a model would run.</summary>
public sealed class DevicesCommand() : CliCommand("devices", "Show the hardware and ONNX Runtime execution providers found, and where a model would run.")
{
    private readonly Option<string?> _policy = CliOptions.Text("--policy", "P", "auto (GPU, then NPU, then CPU; default), preferCpu, preferGpu, preferNpu, maxEfficiency")
        .Suggest("auto", "preferCpu", "preferGpu", "preferNpu", "maxEfficiency");
    private readonly Option<string?> _epLibrary = CliOptions.Text("--ep-library", "PATH", "register an execution provider library (plugin or provider-bridge EP) first");
    private readonly Option<string?> _cudaPath = CliOptions.Text("--cuda-path", "DIR",
        $"also look for the CUDA libraries here (default: ${ExecutionProviderSelector.CudaPathVariable})");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "print the report as JSON (the NVIDIA GPU and CUDA findings under \"gpu\")");

    public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var policy = ExecutionProviderSelector.ParsePolicy(parse.GetValue(_policy));
        var report = ExecutionProviderSelector.Describe(policy, parse.GetValue(_epLibrary), cudaPath: parse.GetValue(_cudaPath));
        if (parse.GetValue(_json))
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                hardware = report.Hardware.Select(h => new { type = h.Type, vendor = h.Vendor, vendorId = h.VendorId, deviceId = h.DeviceId }),
                executionProviders = report.ExecutionProviders.Select(e => new { name = e.Name, vendor = e.Vendor, deviceType = e.DeviceType }),
                notes = report.Notes,
                summary = report.Summary,
                gpu = GpuJson(report.Gpu),
            }));
            return Task.FromResult(ExitCodes.Success);
        }

        console.Out.WriteLine("Hardware:");
        foreach (var h in report.Hardware)
        {
            console.Out.WriteLine($"  {h.Type,-4} {h.Vendor} (vendor 0x{h.VendorId:x4}, device 0x{h.DeviceId:x4})");
        }

        console.Out.WriteLine("Execution providers:");
        foreach (var e in report.ExecutionProviders)
        {
            console.Out.WriteLine($"  {e.Name} ({e.Vendor}) on {e.DeviceType}");
        }

        foreach (var n in report.Notes)
        {
            console.Out.WriteLine($"Note: {n}");
        }

        console.Out.WriteLine(report.Summary);
        return Task.FromResult(ExitCodes.Success);
    }

    /// <summary>What a script needs to decide about the GPU: the GPUs, the driver, the runtime loaded, the CUDA libraries found and missing, the decision.</summary>
    private static object? GpuJson(GpuReport? gpu) => gpu is null ? null : new
    {
        gpus = gpu.Driver.Gpus.Select(g => new { name = g.Name, totalMemoryBytes = g.TotalMemoryBytes, freeMemoryBytes = g.FreeMemoryBytes, computeCapability = g.ComputeCapability }),
        driver = gpu.Driver.DriverVersion,
        cudaDriver = gpu.Driver.CudaDriverVersionText,
        probe = gpu.Driver.Source,
        onnxRuntime = gpu.OnnxRuntimeVersion,
        gpuRuntime = gpu.Runtime.IsGpuPack,
        gpuRuntimeFolder = gpu.Runtime.PackFolder,
        cudaLibraries = gpu.Libraries?.Found.Select(f => new { file = f.FileName, path = f.Path, source = f.Source }),
        missingLibraries = gpu.Libraries?.Missing.Where(m => m.Required).Select(m => m.FileName),
        useCuda = gpu.Decision.UseCuda,
        reason = gpu.Decision.Sentence,
    };
}
