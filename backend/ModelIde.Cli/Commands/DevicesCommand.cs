using System.CommandLine;
using System.Text.Json.Nodes;
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
            console.Out.WriteLine(new JsonObject
            {
                ["hardware"] = CliJson.Array(report.Hardware, h => new JsonObject { ["type"] = h.Type, ["vendor"] = h.Vendor, ["vendorId"] = h.VendorId, ["deviceId"] = h.DeviceId }),
                ["executionProviders"] = CliJson.Array(report.ExecutionProviders, e => new JsonObject { ["name"] = e.Name, ["vendor"] = e.Vendor, ["deviceType"] = e.DeviceType }),
                ["notes"] = CliJson.Array(report.Notes, n => JsonValue.Create(n)),
                ["summary"] = report.Summary,
                ["gpu"] = GpuJson(report.Gpu),
            }.ToJsonString());
            return Task.FromResult(ExitCodes.Success);
        }

        console.Out.WriteLine("Hardware:");
        foreach (var h in report.Hardware)
        {
            console.Out.WriteLine($"  {h.Type,-4} {ExecutionProviderSelector.VendorName(h)} (vendor 0x{h.VendorId:x4}, device 0x{h.DeviceId:x4})");
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
    private static JsonObject? GpuJson(GpuReport? gpu) => gpu is null ? null : new JsonObject
    {
        ["gpus"] = CliJson.Array(gpu.Driver.Gpus, CliJson.Gpu),
        ["driver"] = gpu.Driver.DriverVersion,
        ["cudaDriver"] = gpu.Driver.CudaDriverVersionText,
        ["probe"] = gpu.Driver.Source,
        ["onnxRuntime"] = gpu.OnnxRuntimeVersion,
        ["gpuRuntime"] = gpu.Runtime.IsGpuPack,
        ["gpuRuntimeFolder"] = gpu.Runtime.PackFolder,
        ["cudaLibraries"] = CliJson.Array(gpu.Libraries?.Found, f => new JsonObject { ["file"] = f.FileName, ["path"] = f.Path, ["source"] = f.Source }),
        ["missingLibraries"] = CliJson.Array(gpu.Libraries?.Missing.Where(m => m.Required), m => JsonValue.Create(m.FileName)),
        ["useCuda"] = gpu.Decision.UseCuda,
        ["reason"] = gpu.Decision.Sentence,
    };
}
