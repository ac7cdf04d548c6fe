using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ModelIde.Core;
using ModelIde.Core.Inference;
using ModelIde.Core.Inference.Gpu;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide gpu</c>: install, check and remove the GPU runtime (ONNX Runtime's CUDA build) for local models.</summary>
public sealed class GpuCommand() : CliCommand("gpu", "Install (enable), check (status) or remove the GPU runtime for running local models on CUDA.")
{
    private readonly StatusCommand _status = new();
    private readonly EnableCommand _enable = new();
    private readonly RemoveCommand _remove = new();

    public override string Notes =>
        $"The GPU runtime is {GpuRuntimePackSpec.LinuxX64.PackageId} {GpuRuntimePackSpec.LinuxX64.Version} (or .Windows), installed into " +
        $"${GpuRuntimePackStore.RootVariable} or ~/.modelide/runtimes; the default VSIX and CLI stay CPU-only without it.";

    private static GpuRuntimePackSpec Spec() => GpuRuntimePackSpec.ForThisMachine()
        ?? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "ONNX Runtime has no CUDA build for this platform (only Linux and Windows on x64).");

    private sealed class StatusCommand() : CliCommand("status", "What was found (GPU, driver, CUDA libraries), whether the GPU runtime is installed, and where models run.")
    {
        private readonly Option<bool> _verify = CliOptions.Flag("--verify", "also check every file of the GPU runtime against its SHA-256");
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print {installed, folder, package, bytes, problem, gpus, driver, missingLibraries, summary}");
        private readonly Option<string?> _cudaPath = CliOptions.Text("--cuda-path", "DIR",
            $"also look for the CUDA libraries here (default: ${ExecutionProviderSelector.CudaPathVariable})");

        public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var spec = Spec();
            var status = GpuRuntimePackStore.Default().Status(spec, parse.GetValue(_verify) ? PackVerification.Hashes : PackVerification.Sizes);
            var report = ExecutionProviderSelector.Describe(DevicePolicyKind.Auto, cudaPath: parse.GetValue(_cudaPath));
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(new JsonObject
                {
                    ["installed"] = status.Installed,
                    ["folder"] = status.Folder,
                    ["package"] = $"{status.PackageId} {status.Version}",
                    ["bytes"] = status.Bytes,
                    ["problem"] = status.Problem,
                    ["gpus"] = CliJson.Array(report.Gpu?.Driver.Gpus, CliJson.Gpu),
                    ["driver"] = report.Gpu?.Driver.DriverVersion,
                    ["missingLibraries"] = CliJson.Array(report.Gpu?.Libraries?.Missing.Where(m => m.Required), m => JsonValue.Create(m.FileName)),
                    ["summary"] = report.Summary,
                }.ToJsonString());
                return Task.FromResult(ExitCodes.Success);
            }

            console.Out.WriteLine(status.Installed
                ? $"GPU runtime: {status.PackageId} {status.Version} in {status.Folder} ({status.Bytes / 1_048_576:N0} MiB)"
                : $"GPU runtime: {status.Problem}");
            foreach (var note in report.Notes)
            {
                console.Out.WriteLine($"  {note}");
            }

            console.Out.WriteLine(report.Summary);
            // Not installed is a state, not a failure; a damaged install is.
            return Task.FromResult(status.Installed || status.Problem == GpuRuntimePackStore.NotInstalled ? ExitCodes.Success : ExitCodes.Failure);
        }
    }

    private sealed class EnableCommand() : CliCommand("enable", "Download the GPU runtime, check its SHA-256 and SHA-512, and install it.")
    {
        private readonly Option<string?> _source = CliOptions.Text("--source", "URL|DIR|FILE",
            "a NuGet v3 feed (…/index.json or a flat container URL; mirrors work), or a folder or file holding the .nupkg for offline machines");
        private readonly Option<bool> _force = CliOptions.Flag("--force", "install even when no NVIDIA GPU is found");

        public override string Notes =>
            $"The package source is --source, else ${GpuRuntimePackInstaller.SourceVariable}, else {GpuRuntimePackInstaller.NuGetOrg} (the package is pinned by its hashes, so any mirror serves). " +
            "Progress goes to stderr; the result to stdout.";

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var spec = Spec();
            var source = GpuRuntimePackInstaller.ResolveSource(parse.GetValue(_source));
            var driver = NvidiaGpuProbe.Probe();
            if (driver.Gpus.Count == 0 && !parse.GetValue(_force))
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"No NVIDIA GPU found ({driver.Note}); pass --force to install the GPU runtime anyway.");
            }

            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var installer = new GpuRuntimePackInstaller(http, GpuRuntimePackStore.Default());
            var label = $"{spec.PackageId} {spec.Version}";
            // A folder or file given as --source is read, not downloaded; say which, as the user typed it.
            var localFile = GpuRuntimePackInstaller.LocalPackage(spec, source);
            var shown = -1L;
            var result = await CliProgress.RunAsync(console, bytes: true, report =>
                installer.InstallAsync(spec, source, new SyncProgress(p =>
                {
                    // A report per MiB read; one per 10 MiB is enough for a bar and keeps a log readable.
                    if ((p.Bytes >> 20) / 10 != shown || p.Bytes == p.Total)
                    {
                        shown = (p.Bytes >> 20) / 10;
                        report(Update(localFile is not null ? "reading" : "downloading", label, p));
                    }
                }), cancellationToken)).ConfigureAwait(false);

            console.Out.WriteLine(result.AlreadyInstalled
                ? $"The GPU runtime is already installed and intact in {result.Folder}."
                : $"Installed the GPU runtime ({result.DownloadedBytes / 1_048_576:N0} MiB {(localFile is not null ? "read from " + localFile : "downloaded")}, SHA-256 verified) in {result.Folder}.");
            console.Out.WriteLine("It is used by processes started from now on (restart the ModelScope sidecar in VS Code: reload the window).");
            return ExitCodes.Success;
        }

        private static CliProgressUpdate Update(string verb, string label, GpuRuntimePackProgress p) => new("gpu", label, p.Bytes, p.Total,
            string.Create(CultureInfo.InvariantCulture, $"{verb} {label}: {p.Bytes >> 20:N0} / {p.Total >> 20:N0} MiB"));
    }

    private sealed class RemoveCommand() : CliCommand("remove", "Delete the GPU runtime; models run on the CPU build shipped with ModelIde again.")
    {
        public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var freed = GpuRuntimePackStore.Default().Remove(Spec());
            console.Out.WriteLine(freed > 0 ? $"Removed the GPU runtime ({freed / 1_048_576:N0} MiB freed)." : "The GPU runtime was not installed.");
            return Task.FromResult(ExitCodes.Success);
        }
    }

    /// <summary>Reports on the downloading thread, so every line is written before the summary (Progress&lt;T&gt; posts later).</summary>
    private sealed class SyncProgress(Action<GpuRuntimePackProgress> report) : IProgress<GpuRuntimePackProgress>
    {
        public void Report(GpuRuntimePackProgress value) => report(value);
    }
}
