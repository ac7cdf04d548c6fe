using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ModelIde.Core;
using ModelIde.Core.Jobs;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary>jobs/*: thin adapter over <see cref="JobService"/>; watch polls the remote and sends jobs/update.</summary>
public sealed class JobsRpcTarget : IRpcTarget, IDisposable
{
    private readonly SidecarContext _context;
    private readonly Lazy<JobService> _service;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _watches = new(StringComparer.Ordinal);
    private readonly ILogger _log;
    private volatile SlurmRestOptions? _slurmRest;

    public JobsRpcTarget(SidecarContext context)
    {
        _context = context;
        _log = context.CreateLogger<JobsRpcTarget>();
        _service = new Lazy<JobService>(() => new JobService(new JobServiceOptions
        {
            StateDirectory = JobStore.DefaultDirectory(),
            TokenProvider = () => context.Session.AccessToken,
            SlurmRestProvider = () => _slurmRest,
        }));
    }

    private JobService Service => _service.Value;

    [JsonRpcMethod(JobsMethods.Preview, UseSingleObjectParameterDeserialization = true)]
    public JobPreviewResult Preview(JobSpec spec) => JobService.Preview(spec, Service.HostEnvironmentFor(spec.Backend));

    [JsonRpcMethod(JobsMethods.Submit, UseSingleObjectParameterDeserialization = true)]
    public async Task<JobInfoDto> SubmitAsync(JobSpec spec, CancellationToken cancellationToken) =>
        ToDto(await Task.Run(() => Service.SubmitAsync(spec, cancellationToken), cancellationToken).ConfigureAwait(false));

    [JsonRpcMethod(JobsMethods.List, UseSingleObjectParameterDeserialization = true)]
    public JobListResult List(JobListParams? p = null) => new(Service.List().Select(ToDto).ToArray());

    [JsonRpcMethod(JobsMethods.Get, UseSingleObjectParameterDeserialization = true)]
    public async Task<JobInfoDto> GetAsync(JobIdParams p, CancellationToken cancellationToken) =>
        ToDto(await Service.GetAsync(p.JobId, cancellationToken).ConfigureAwait(false));

    [JsonRpcMethod(JobsMethods.Cancel, UseSingleObjectParameterDeserialization = true)]
    public async Task<JobInfoDto> CancelAsync(JobIdParams p, CancellationToken cancellationToken) =>
        ToDto(await Service.CancelAsync(p.JobId, cancellationToken).ConfigureAwait(false));

    [JsonRpcMethod(JobsMethods.Resume, UseSingleObjectParameterDeserialization = true)]
    public async Task<JobInfoDto> ResumeAsync(JobIdParams p, CancellationToken cancellationToken) =>
        ToDto(await Service.ResumeAsync(p.JobId, cancellationToken).ConfigureAwait(false));

    [JsonRpcMethod(JobsMethods.FetchAdapter, UseSingleObjectParameterDeserialization = true)]
    public async Task<FetchAdapterResult> FetchAdapterAsync(FetchAdapterParams p, CancellationToken cancellationToken)
    {
        var last = DateTime.MinValue;
        var progress = new Progress<AdapterFetchProgress>(x =>
        {
            // At most ~5 notifications a second, and always the last one.
            if (x.BytesDone < x.BytesTotal && (DateTime.UtcNow - last).TotalMilliseconds < 200)
            {
                return;
            }

            last = DateTime.UtcNow;
            _ = _context.Notifier.NotifyAsync(JobsMethods.FetchProgress, new FetchProgressParams(p.JobId, x.File, x.BytesDone, x.BytesTotal, x.FilesDone, x.FilesTotal));
        });
        var r = await Service.FetchAdapterAsync(p.JobId, p.TargetDir, p.Checkpoint, progress, cancellationToken).ConfigureAwait(false);
        return new FetchAdapterResult(r.LocalDir) { Files = r.Files, Bytes = r.Bytes, Skipped = r.Skipped, SkippedBytes = r.SkippedBytes };
    }

    [JsonRpcMethod(JobsMethods.Logs, UseSingleObjectParameterDeserialization = true)]
    public async Task<JobLogsResult> LogsAsync(JobLogsParams p, CancellationToken cancellationToken) =>
        new(await Service.LogsAsync(p.JobId, p.TailLines ?? 200, cancellationToken).ConfigureAwait(false));

    [JsonRpcMethod(JobsMethods.Presets, UseSingleObjectParameterDeserialization = true)]
    public JobPresetsResult Presets(JobListParams? p = null) =>
        new(JobPresets.All);

    [JsonRpcMethod(JobsMethods.TrustHost, UseSingleObjectParameterDeserialization = true)]
    public EmptyResult TrustHost(TrustHostParams p)
    {
        Service.TrustHost(p.Host, p.Port, p.Fingerprint);
        return new EmptyResult();
    }

    [JsonRpcMethod(JobsMethods.ConfigureSlurmRest, UseSingleObjectParameterDeserialization = true)]
    public EmptyResult ConfigureSlurmRest(ConfigureSlurmRestParams p)
    {
        if (string.IsNullOrWhiteSpace(p.BaseUrl))
        {
            _slurmRest = null;
        }
        else
        {
            if (!Uri.TryCreate(p.BaseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"slurmrestd URL '{p.BaseUrl}' must be http(s)://host:port.");
            }

            if (string.IsNullOrWhiteSpace(p.UserName) || string.IsNullOrWhiteSpace(p.Token))
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "slurmrestd needs the Slurm user name and its JWT (scontrol token).");
            }

            Core.Diagnostics.SecretRedactor.AddKnownSecret(p.Token);
            _slurmRest = new SlurmRestOptions(uri, p.UserName, p.Token, p.ApiVersion ?? "v0.0.38");
        }

        Service.ForgetConnections();
        return new EmptyResult();
    }

    [JsonRpcMethod(JobsMethods.Watch, UseSingleObjectParameterDeserialization = true)]
    public EmptyResult Watch(JobWatchParams p)
    {
        _ = Service.Store.Get(p.JobId);
        var cts = new CancellationTokenSource();
        if (_watches.TryAdd(p.JobId, cts))
        {
            var interval = TimeSpan.FromMilliseconds(Math.Clamp(p.IntervalMilliseconds ?? 2000, 200, 60_000));
            _ = Task.Run(() => WatchLoopAsync(p.JobId, interval, cts.Token));
        }
        else
        {
            cts.Dispose();
        }

        return new EmptyResult();
    }

    [JsonRpcMethod(JobsMethods.Unwatch, UseSingleObjectParameterDeserialization = true)]
    public EmptyResult Unwatch(JobIdParams p)
    {
        // Nothing to stop without an id (JSON `{}`): as for an id that is not watched.
        if (p?.JobId is { } jobId && _watches.TryRemove(jobId, out var cts))
        {
            cts.Cancel();
            cts.Dispose();
        }

        return new EmptyResult();
    }

    public void Dispose()
    {
        foreach (var id in _watches.Keys.ToArray())
        {
            Unwatch(new JobIdParams(id));
        }

        if (_service.IsValueCreated)
        {
            _service.Value.Dispose();
        }
    }

    [JsonRpcMethod(JobsMethods.InspectHost, UseSingleObjectParameterDeserialization = true)]
    public async Task<JobHostReportResult> InspectHostAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        var r = await Task.Run(() => Service.InspectHostAsync(spec, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new JobHostReportResult(r.Host, r.Environment.Describe(), r.Swift.Version, r.Swift.Python, r.Swift.HasBitsAndBytes,
            r.Gpus.Select(g => new GpuInfoDto(g.Index, g.Name, g.MemoryTotalMiB, g.MemoryUsedMiB, g.UtilizationPercent, g.IsBusy)).ToArray(), r.Warnings);
    }

    [JsonRpcMethod(JobsMethods.SetHostEnvironment, UseSingleObjectParameterDeserialization = true)]
    public EmptyResult SetHostEnvironment(SetHostEnvironmentParams p)
    {
        if (!Enum.TryParse<JobHostEnvironmentKind>(p.Kind, ignoreCase: true, out var kind))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Unknown host environment kind '{p.Kind}' (none, conda, venv or command).");
        }

        Service.SetHostEnvironment(p.Backend, new JobHostEnvironment(kind, p.Value));
        Service.ForgetConnections();
        return new EmptyResult();
    }

    public static JobInfoDto ToDto(JobInfo j) => new(j)
    {
        DivergedAtStep = j.Divergence?.Step,
        Divergence = j.Divergence?.Message,
        PartialCheckpoints = j.PartialCheckpoints,
        Warnings = j.Warnings,
    };

    private async Task WatchLoopAsync(string jobId, TimeSpan interval, CancellationToken cancellationToken)
    {
        var cursor = new JobWatchCursor();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var update = await Service.PollAsync(jobId, cursor, cancellationToken).ConfigureAwait(false);
                await _context.Notifier.NotifyAsync(JobsMethods.Update, new JobUpdateParams(
                    ToDto(update.Job),
                    update.NewLogLines,
                    update.NewPoints)).ConfigureAwait(false);
                if (update.Job.IsFinished)
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (ModelIdeException ex)
            {
                // A dropped connection is retried on the next tick; the job itself goes on remotely.
                _log.LogWarning("jobs/watch {JobId}: {Message} Retrying.", jobId, ex.Message);
            }

            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        if (_watches.TryRemove(jobId, out var cts))
        {
            cts.Dispose();
        }
    }
}
