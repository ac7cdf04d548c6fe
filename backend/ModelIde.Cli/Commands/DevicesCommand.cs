using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide devices</c>: what hardware and execution providers ONNX Runtime sees, and where a model would run.</summary>
public sealed class DevicesCommand : CliCommand
{
    public override string Name => "devices";

    public override string Summary => "Show the hardware and ONNX Runtime execution providers found, and where a model would run.";

    public override string Usage => """
        Usage: modelide devices [--json] [--policy P] [--ep-library PATH]

          --policy P         auto (GPU, then NPU, then CPU; default), preferCpu, preferGpu, preferNpu, maxEfficiency
          --ep-library PATH  register an execution provider library (plugin or provider-bridge EP) first
          --json             print the report as JSON
        """;

    public override Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var json = args.Flag("json");
        var policy = ExecutionProviderSelector.ParsePolicy(args.Option("policy"));
        var library = args.Option("ep-library");
        args.EnsureNoUnknownOptions();

        var report = ExecutionProviderSelector.Describe(policy, library);
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                hardware = report.Hardware.Select(h => new { type = h.Type, vendor = h.Vendor, vendorId = h.VendorId, deviceId = h.DeviceId }),
                executionProviders = report.ExecutionProviders.Select(e => new { name = e.Name, vendor = e.Vendor, deviceType = e.DeviceType }),
                notes = report.Notes,
                summary = report.Summary,
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
}
