using ModelIde.Core;
using ModelIde.Core.Inference;
using ModelIde.Core.Inference.Gpu;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary><c>gpu/*</c>: status, install (with progress) and removal of the GPU runtime pack, over Core's installer and store.</summary>
public sealed class GpuRpcTarget(SidecarContext context) : IRpcTarget
{
    [JsonRpcMethod(GpuMethods.Status, UseSingleObjectParameterDeserialization = true)]
    public Task<GpuStatusResult> StatusAsync(GpuStatusParams? p, CancellationToken cancellationToken) => Task.Run(() =>
    {
        // Reading NVML, scanning for CUDA libraries and (with Verify) hashing 320 MB: off the dispatcher.
        var report = ExecutionProviderSelector.Describe(DevicePolicyKind.Auto, cudaPath: p?.CudaPath);
        var gpu = report.Gpu;
        var gpus = gpu?.Driver.Gpus.Select(g => new NvidiaGpuDto(g.Name, g.TotalMemoryBytes, g.FreeMemoryBytes, g.ComputeCapability)).ToArray() ?? [];
        var missing = gpu?.Libraries?.Missing.Where(m => m.Required).Select(m => m.FileName).ToArray() ?? [];
        var active = gpu?.Runtime.IsGpuPack ?? false;
        if (GpuRuntimePackSpec.ForThisMachine() is not { } spec)
        {
            return new GpuStatusResult(false, false, false, null, null, 0, "ONNX Runtime has no CUDA build for this platform (only Linux and Windows on x64).",
                gpus, gpu?.Driver.DriverVersion, missing, report.Summary);
        }

        var status = GpuRuntimePackStore.Default().Status(spec, p?.Verify == true ? PackVerification.Hashes : PackVerification.Sizes);
        return new GpuStatusResult(true, status.Installed, active, status.Folder, $"{status.PackageId} {status.Version}", status.Bytes, status.Problem,
            gpus, gpu?.Driver.DriverVersion, missing, report.Summary);
    }, cancellationToken);

    [JsonRpcMethod(GpuMethods.Enable, UseSingleObjectParameterDeserialization = true)]
    public async Task<GpuEnableResult> EnableAsync(GpuEnableParams p, CancellationToken cancellationToken)
    {
        var spec = GpuRuntimePackSpec.ForThisMachine()
            ?? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "ONNX Runtime has no CUDA build for this platform (only Linux and Windows on x64).");
        var source = GpuRuntimePackInstaller.ResolveSource(p?.Source);
        var driver = NvidiaGpuProbe.Probe();
        if (driver.Gpus.Count == 0 && p?.Force != true)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"No NVIDIA GPU found ({driver.Note}); the GPU runtime would not be used.");
        }

        var id = p?.EnableId ?? "";
        var shown = -1L;
        var notifier = context.Notifier;
        // Sent in order, each after the previous one, and all before the result.
        var pending = Task.CompletedTask;
        var progress = new SyncProgress(r =>
        {
            // The installer reports every MiB; one notification per 10 MiB (and the last) is enough for a progress bar.
            if ((r.Bytes >> 20) / 10 != shown || r.Bytes == r.Total)
            {
                shown = (r.Bytes >> 20) / 10;
                var args = new GpuProgressParams(id, r.Bytes, r.Total);
                pending = pending.ContinueWith(_ => notifier.NotifyAsync(GpuMethods.Progress, args), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            }
        });
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var result = await Task.Run(
            () => new GpuRuntimePackInstaller(http, GpuRuntimePackStore.Default()).InstallAsync(spec, source, progress, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        await pending.ConfigureAwait(false);
        return new GpuEnableResult(result.Folder, result.AlreadyInstalled, result.DownloadedBytes, source);
    }

    [JsonRpcMethod(GpuMethods.Remove)]
    public Task<GpuRemoveResult> RemoveAsync(CancellationToken cancellationToken) => Task.Run(() =>
    {
        var spec = GpuRuntimePackSpec.ForThisMachine()
            ?? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "ONNX Runtime has no CUDA build for this platform (only Linux and Windows on x64).");
        return new GpuRemoveResult(GpuRuntimePackStore.Default().Remove(spec));
    }, cancellationToken);

    /// <summary>Reports on the downloading thread (Progress&lt;T&gt; would post, reordering the reports).</summary>
    private sealed class SyncProgress(Action<GpuRuntimePackProgress> report) : IProgress<GpuRuntimePackProgress>
    {
        public void Report(GpuRuntimePackProgress value) => report(value);
    }
}
