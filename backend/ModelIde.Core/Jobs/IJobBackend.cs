namespace ModelIde.Core.Jobs;

/// <summary>Where a fine-tune job runs: a plain SSH host (detached process) or a Slurm cluster's login node.</summary>
public interface IJobBackend : IDisposable
{
    JobBackendAddress Address { get; }

    /// <summary>
    /// ms-swift on the remote after activating <paramref name="environment"/>: version (3.x or 4.x; 2.x and unknown
    /// majors are refused), the Python behind <c>swift</c>, whether bitsandbytes is there. Errors carry the host's stderr.
    /// </summary>
    Task<SwiftInstallation> DetectSwiftAsync(JobHostEnvironment environment, CancellationToken cancellationToken);

    /// <summary>The host's GPUs and their current use (nvidia-smi); empty when nvidia-smi is not there.</summary>
    Task<IReadOnlyList<GpuInfo>> ListGpusAsync(CancellationToken cancellationToken);

    /// <summary>The absolute folder the job with this id uses on the remote.</summary>
    Task<string> GetJobDirectoryAsync(string jobId, CancellationToken cancellationToken);

    Task UploadFileAsync(string localPath, string remotePath, CancellationToken cancellationToken);

    /// <summary>Starts the job; the token reaches the remote only as MODELSCOPE_API_TOKEN in the job's environment.</summary>
    Task<JobInfo> SubmitAsync(JobInfo job, IReadOnlyList<string> swiftArgv, string? token, CancellationToken cancellationToken);

    /// <summary>Reads the remote state files (and the scheduler) and returns the job with state, progress, checkpoints.</summary>
    Task<JobInfo> RefreshAsync(JobInfo job, CancellationToken cancellationToken);

    Task CancelAsync(JobInfo job, CancellationToken cancellationToken);

    /// <summary>Complete lines of a remote file from a byte offset, and the offset after them.</summary>
    Task<(IReadOnlyList<string> Lines, long NextOffset)> ReadNewLinesAsync(string remoteFile, long offset, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> TailAsync(string remoteFile, int lines, CancellationToken cancellationToken);

    /// <summary>
    /// Downloads the files of a remote folder (a checkpoint) that <paramref name="include"/> accepts (relative path,
    /// is folder) into <paramref name="localDir"/>/&lt;folder name&gt;, reporting bytes as they arrive.
    /// </summary>
    Task<AdapterFetchResult> DownloadFolderAsync(string remoteDir, string localDir, Func<string, bool, bool> include, IProgress<AdapterFetchProgress>? progress, CancellationToken cancellationToken);
}
