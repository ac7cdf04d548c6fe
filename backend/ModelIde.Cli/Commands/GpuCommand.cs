using System.Text.Json;
using ModelIde.Core;
using ModelIde.Core.Inference;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide gpu</c>: install, check and remove the GPU runtime (ONNX Runtime's CUDA build) for local models.</summary>
public sealed class GpuCommand : CliCommand
{
    public override string Name => "gpu";

    public override string Summary => "Install (enable), check (status) or remove the GPU runtime for running local models on CUDA.";

    public override string Usage => $"""
        Usage: modelide gpu status [--verify] [--json]
               modelide gpu enable [--source URL|DIR|FILE] [--force]
               modelide gpu remove

          status   what was found (GPU, driver, CUDA libraries), whether the GPU runtime is installed, and where models run
                   --verify  also check every file of the runtime against its SHA-256
          enable   downloads {GpuRuntimePackSpec.LinuxX64.PackageId} {GpuRuntimePackSpec.LinuxX64.Version} (or .Windows), checks its SHA-256 and SHA-512,
                   and installs its native libraries into $MODELIDE_RUNTIMES_DIR or ~/.modelide/runtimes
                   --source  a NuGet v3 feed (…/index.json or a flat container URL; mirrors work), or a folder or file holding
                             the .nupkg for offline machines (default: ${GpuRuntimePackInstaller.SourceVariable}, else your NuGet.Config)
                   --force   install even when no NVIDIA GPU is found
          remove   deletes the GPU runtime; models run on the CPU build shipped with ModelIde again
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var verb = args.RequirePositional(0, "subcommand (status, enable, remove)");
        var spec = GpuRuntimePackSpec.ForThisMachine()
            ?? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "ONNX Runtime has no CUDA build for this platform (only Linux and Windows on x64).");
        var store = GpuRuntimePackStore.Default();
        switch (verb)
        {
            case "status":
            {
                var verify = args.Flag("verify");
                var json = args.Flag("json");
                args.EnsureNoUnknownOptions();
                var status = store.Status(spec, verify ? PackVerification.Hashes : PackVerification.Sizes);
                var report = ExecutionProviderSelector.Describe(DevicePolicy.Auto);
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        installed = status.Installed,
                        folder = status.Folder,
                        package = $"{status.PackageId} {status.Version}",
                        bytes = status.Bytes,
                        problem = status.Problem,
                        gpus = report.Gpu?.Driver.Gpus.Select(g => new { name = g.Name, totalMemoryBytes = g.TotalMemoryBytes, freeMemoryBytes = g.FreeMemoryBytes, computeCapability = g.ComputeCapability }),
                        driver = report.Gpu?.Driver.DriverVersion,
                        missingLibraries = report.Gpu?.Libraries?.Missing.Where(m => m.Required).Select(m => m.FileName),
                        summary = report.Summary,
                    }));
                    return ExitCodes.Success;
                }

                console.Out.WriteLine(status.Installed
                    ? $"GPU runtime: {status.PackageId} {status.Version} in {status.Folder} ({status.Bytes / 1_048_576:N0} MiB)"
                    : $"GPU runtime: {status.Problem}");
                foreach (var note in report.Notes)
                {
                    console.Out.WriteLine($"  {note}");
                }

                console.Out.WriteLine(report.Summary);
                return status.Installed || status.Problem == "the GPU runtime pack is not installed" ? ExitCodes.Success : ExitCodes.Failure;
            }

            case "enable":
            {
                var source = args.Option("source") ?? GpuRuntimePackInstaller.DefaultSource()
                    ?? throw new CliUsageException($"No package source: pass --source (a NuGet v3 feed URL, or a folder with the .nupkg) or set {GpuRuntimePackInstaller.SourceVariable}.");
                var force = args.Flag("force");
                args.EnsureNoUnknownOptions();
                var driver = NvidiaGpuProbe.Probe();
                if (driver.Gpus.Count == 0 && !force)
                {
                    throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"No NVIDIA GPU found ({driver.Note}); pass --force to install the GPU runtime anyway.");
                }

                using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                var lastShown = -1L;
                var progress = new ConsoleProgress(p =>
                {
                    var mib = p.Bytes >> 20;
                    if (mib / 25 != lastShown)
                    {
                        lastShown = mib / 25;
                        console.Error.Write($"\rdownloading {spec.PackageId} {spec.Version}: {mib:N0} / {p.Total >> 20:N0} MiB");
                    }
                });
                var result = await new GpuRuntimePackInstaller(http, store).InstallAsync(spec, source, progress, cancellationToken).ConfigureAwait(false);
                if (lastShown >= 0)
                {
                    console.Error.WriteLine();
                }

                console.Out.WriteLine(result.AlreadyInstalled
                    ? $"The GPU runtime is already installed and intact in {result.Folder}."
                    : $"Installed the GPU runtime ({result.DownloadedBytes / 1_048_576:N0} MiB downloaded, SHA-256 verified) in {result.Folder}.");
                console.Out.WriteLine("It is used by processes started from now on (restart the ModelScope sidecar in VS Code: reload the window).");
                return ExitCodes.Success;
            }

            case "remove":
            {
                args.EnsureNoUnknownOptions();
                var freed = store.Remove(spec);
                console.Out.WriteLine(freed > 0 ? $"Removed the GPU runtime ({freed / 1_048_576:N0} MiB freed)." : "The GPU runtime was not installed.");
                return ExitCodes.Success;
            }

            default:
                throw new CliUsageException($"Unknown subcommand '{verb}'; use status, enable or remove.");
        }
    }

    /// <summary>Reports on the downloading thread, so every line is written before the summary (Progress&lt;T&gt; posts later).</summary>
    private sealed class ConsoleProgress(Action<GpuRuntimePackProgress> report) : IProgress<GpuRuntimePackProgress>
    {
        public void Report(GpuRuntimePackProgress value) => report(value);
    }
}
