namespace ModelIde.Core.Jobs;

/// <summary>Where a fine-tune job runs: a plain SSH host (detached process) or a Slurm cluster's login node.</summary>
public interface IJobBackend : IDisposable
{
    JobBackendAddress Address { get; }

    /// <summary>ms-swift's major version on the remote (3 or 4); fails clearly when swift is not installed.</summary>
    Task<int> DetectSwiftMajorVersionAsync(CancellationToken cancellationToken);

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

    /// <summary>Downloads a remote folder (a checkpoint) into <paramref name="localDir"/>; returns the local folder.</summary>
    Task<string> DownloadFolderAsync(string remoteDir, string localDir, CancellationToken cancellationToken);
}
