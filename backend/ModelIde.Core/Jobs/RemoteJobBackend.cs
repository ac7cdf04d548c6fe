using System.Globalization;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Sftp;

namespace ModelIde.Core.Jobs;

/// <summary>
/// What the SSH and Slurm backends share: both reach the remote over SSH, keep each job in
/// <c>~/.modelide/jobs/&lt;id&gt;/</c> (wrapper, output.log, exit_code, ...) and find swift's logging.jsonl and
/// checkpoints from the <c>The logging file will be saved in:</c> line of output.log.
/// </summary>
public abstract class RemoteJobBackend : IJobBackend
{
    public const string JobsFolder = ".modelide/jobs";
    public const string OutputLog = "output.log";
    private const int ChunkBytes = 1 << 20;

    private string? _home;

    protected RemoteJobBackend(SshConnection connection)
    {
        Connection = connection;
    }

    public JobBackendAddress Address => Connection.Address;

    protected SshConnection Connection { get; }

    public async Task<SwiftInstallation> DetectSwiftAsync(JobHostEnvironment environment, CancellationToken cancellationToken)
    {
        var r = await Connection.RunAsync(PosixShell.LoginShell(SwiftInstallation.ProbeScript(environment)), null, cancellationToken).ConfigureAwait(false);
        return SwiftInstallation.FromProbe(Address.Host, environment, r.ExitStatus, r.Stdout, r.Stderr);
    }

    public async Task<IReadOnlyList<GpuInfo>> ListGpusAsync(CancellationToken cancellationToken)
    {
        var r = await Connection.RunAsync(PosixShell.LoginShell("command -v nvidia-smi >/dev/null 2>&1 || exit 0\n" + GpuInventory.Query), null, cancellationToken).ConfigureAwait(false);
        if (r.ExitStatus != 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"nvidia-smi on {Address.Host} failed (exit code {r.ExitStatus}): {r.Stderr.Trim()}");
        }

        return GpuInventory.Parse(r.Stdout);
    }

    public async Task<string> GetJobDirectoryAsync(string jobId, CancellationToken cancellationToken)
    {
        if (_home is null)
        {
            var r = await Connection.RunAsync("printf %s \"$HOME\"", null, cancellationToken).ConfigureAwait(false);
            _home = r.Stdout.Trim();
            if (r.ExitStatus != 0 || !_home.StartsWith('/'))
            {
                throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"Cannot find the home folder of {Address.User} on {Address.Host}.");
            }
        }

        return $"{_home.TrimEnd('/')}/{JobsFolder}/{jobId}";
    }

    public async Task UploadFileAsync(string localPath, string remotePath, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(localPath);
        await Connection.SftpAsync(sftp => sftp.UploadFileAsync(file, remotePath, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public abstract Task<JobInfo> SubmitAsync(JobInfo job, IReadOnlyList<string> swiftArgv, string? token, CancellationToken cancellationToken);

    public abstract Task CancelAsync(JobInfo job, CancellationToken cancellationToken);

    public async Task<JobInfo> RefreshAsync(JobInfo job, CancellationToken cancellationToken)
    {
        var d = PosixShell.Quote(job.RemoteDir);
        var script = $$"""
            d={{d}}
            if [ ! -d "$d" ]; then echo missing=1; exit 0; fi
            cd "$d" || exit 0
            # Liveness before state: the wrapper writes its final state before it exits, so a dead wrapper's state is final.
            p=$(cat pid 2>/dev/null); s=""
            [ -n "$p" ] && s=$(ps -o stat= -p "$p" 2>/dev/null)
            case "$s" in ''|Z*) echo alive=0;; *) echo alive=1;; esac
            echo "state=$(cat state 2>/dev/null)"
            echo "exit_code=$(cat exit_code 2>/dev/null)"
            [ -f cancel_requested ] && echo cancel_requested=1
            lf=$(sed -n 's/.*The logging file will be saved in: //p' output.log 2>/dev/null | tail -n 1)
            echo "logging_file=$lf"
            if [ -n "$lf" ]; then
              # trainer_state.json is the Trainer's last file of a save: without it the folder was cut off (or is being written).
              for c in "$(dirname "$lf")"/checkpoint-*; do
                [ -d "$c" ] || continue
                if [ -f "$c/trainer_state.json" ]; then echo "checkpoint=$c"; else echo "partial_checkpoint=$c"; fi
              done
              echo "progress_tail=$(tail -n 40 "$lf" 2>/dev/null | base64 -w0)"
              nf=$(grep -m 1 -E '"(loss|grad_norm)": (NaN|-?Infinity)[,}]' "$lf" 2>/dev/null)
              [ -n "$nf" ] && echo "nonfinite=$(printf '%s\n' "$nf" | base64 -w0)"
            fi
            echo "output_tail=$(tail -n 30 output.log 2>/dev/null | base64 -w0)"
            {{SchedulerProbe(job)}}
            """;
        var r = await Connection.RunAsync(PosixShell.LoginShell(script), null, cancellationToken).ConfigureAwait(false);
        var facts = ProbeFacts.Parse(r.Stdout);
        if (!facts.Missing)
        {
            await AddSchedulerFactsAsync(job, facts, cancellationToken).ConfigureAwait(false);
        }
        if (facts.Missing)
        {
            return job with { State = JobStateKind.Unknown, Reason = $"The job folder {job.RemoteDir} is gone from {Address.Host}." };
        }

        var (progress, _) = TrainingLogParser.ParseLines(facts.ProgressTail);
        var checkpoints = facts.Checkpoints.OrderBy(CheckpointStep).ToArray();
        var partial = facts.PartialCheckpoints.OrderBy(CheckpointStep).ToArray();
        var divergence = TrainingLogParser.FindDivergence(facts.NonFiniteLine) ?? job.Divergence;
        if (SchedulerUnreachable(facts) is { } unreachable)
        {
            // The scheduler cannot say; the job's own files still can: fresh progress, last known state.
            return job with
            {
                Unreachable = $"{unreachable} Will retry; last known state: {job.State.ToString().ToLowerInvariant()}.",
                Progress = progress ?? job.Progress,
                Checkpoints = checkpoints.Length > 0 ? checkpoints : job.Checkpoints,
                PartialCheckpoints = partial,
                LoggingFile = facts.LoggingFile ?? job.LoggingFile,
                Divergence = divergence,
            };
        }

        var (state, reason) = DecideState(job, facts);
        IReadOnlyList<string>? errors = state == JobStateKind.Failed ? LastErrorLines(facts.OutputTail) : null;
        return job with
        {
            State = state,
            Reason = reason,
            Progress = progress ?? job.Progress,
            Checkpoints = checkpoints.Length > 0 ? checkpoints : job.Checkpoints,
            PartialCheckpoints = partial,
            LoggingFile = facts.LoggingFile ?? job.LoggingFile,
            LastErrorLines = errors,
            Divergence = divergence,
        };
    }

    public async Task<(IReadOnlyList<string> Lines, long NextOffset)> ReadNewLinesAsync(string remoteFile, long offset, CancellationToken cancellationToken)
    {
        var off = offset.ToString(CultureInfo.InvariantCulture);
        var script = $"""
            f={PosixShell.Quote(remoteFile)}
            size=$(stat -c %s "$f" 2>/dev/null || echo 0)
            echo "size=$size"
            if [ "$size" -gt {off} ]; then echo "data=$(tail -c +$(({off} + 1)) "$f" | head -c {ChunkBytes} | base64 -w0)"; fi
            """;
        var r = await Connection.RunAsync("bash -c " + PosixShell.Quote(script), null, cancellationToken).ConfigureAwait(false);
        long size = 0;
        byte[] data = [];
        foreach (var line in r.Stdout.Split('\n'))
        {
            if (line.StartsWith("size=", StringComparison.Ordinal))
            {
                _ = long.TryParse(line[5..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out size);
            }
            else if (line.StartsWith("data=", StringComparison.Ordinal))
            {
                data = Convert.FromBase64String(line[5..].Trim());
            }
        }

        if (size < offset)
        {
            // The file was replaced (a new run): start over.
            return await ReadNewLinesAsync(remoteFile, 0, cancellationToken).ConfigureAwait(false);
        }

        var lastNewline = Array.LastIndexOf(data, (byte)'\n');
        if (lastNewline < 0)
        {
            return ([], offset);
        }

        var text = Encoding.UTF8.GetString(data, 0, lastNewline);
        return (text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray(), offset + lastNewline + 1);
    }

    public async Task<IReadOnlyList<string>> TailAsync(string remoteFile, int lines, CancellationToken cancellationToken)
    {
        var r = await Connection.RunAsync($"tail -n {lines.ToString(CultureInfo.InvariantCulture)} {PosixShell.Quote(remoteFile)}", null, cancellationToken).ConfigureAwait(false);
        if (r.ExitStatus != 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"Cannot read {remoteFile} on {Address.Host}: {r.Stderr.Trim()}");
        }

        return r.Stdout.TrimEnd('\n').Split('\n');
    }

    public Task<AdapterFetchResult> DownloadFolderAsync(string remoteDir, string localDir, Func<string, bool, bool> include, IProgress<AdapterFetchProgress>? progress, CancellationToken cancellationToken)
    {
        var name = remoteDir.TrimEnd('/').Split('/')[^1];
        if (name is "" or "." or ".." || name.Contains('\\'))
        {
            throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"Refusing to download '{remoteDir}': not a folder name.");
        }

        return Connection.SftpAsync(sftp => DownloadFolderAsync(sftp, remoteDir, Path.Combine(Path.GetFullPath(localDir), name), include, progress, cancellationToken), cancellationToken);
    }

    private static async Task<AdapterFetchResult> DownloadFolderAsync(SftpClient sftp, string remoteDir, string target, Func<string, bool, bool> include, IProgress<AdapterFetchProgress>? progress, CancellationToken cancellationToken)
    {
        // List first: the totals are known before the first byte, and what is left out is reported.
        var wanted = new List<(string Remote, string Relative, long Size)>();
        var skipped = new List<string>();
        long skippedBytes = 0;
        await ListRecursiveAsync(sftp, remoteDir.TrimEnd('/'), "", 0, include, wanted, skipped, b => skippedBytes += b, cancellationToken).ConfigureAwait(false);
        var total = wanted.Sum(w => w.Size);
        long done = 0;
        var filesDone = 0;
        foreach (var (remote, relative, size) in wanted)
        {
            var localPath = Path.Combine(target, relative.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);
            var partial = localPath + ".part";
            var before = done;
            try
            {
                await using var file = File.Create(partial);
                await sftp.DownloadFileAsync(remote, new ProgressStream(file, n =>
                {
                    done += n;
                    progress?.Report(new AdapterFetchProgress(relative, done, total, filesDone, wanted.Count));
                }), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Cut, cancelled or refused: no half file stays behind (the next fetch starts the file again).
                File.Delete(partial);
                throw;
            }

            File.Move(partial, localPath, overwrite: true);
            done = before + new FileInfo(localPath).Length;
            filesDone++;
            progress?.Report(new AdapterFetchProgress(relative, done, total, filesDone, wanted.Count));
        }

        Directory.CreateDirectory(target);
        return new AdapterFetchResult(target, remoteDir, wanted.Select(w => w.Relative).ToArray(), done, skipped, skippedBytes);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Extra shell lines printing <c>key=value</c> facts from the scheduler (Slurm); empty for plain SSH.</summary>
    protected virtual string SchedulerProbe(JobInfo job) => "";

    /// <summary>Facts from another channel than the probe script (slurmrestd); nothing by default.</summary>
    protected virtual Task AddSchedulerFactsAsync(JobInfo job, ProbeFacts facts, CancellationToken cancellationToken) => Task.CompletedTask;

    protected abstract (JobStateKind State, string? Reason) DecideState(JobInfo job, ProbeFacts facts);

    /// <summary>Why the scheduler could not be asked this time (a transient state, not the job's), or null.</summary>
    protected virtual string? SchedulerUnreachable(ProbeFacts facts) => null;

    protected async Task WriteRemoteFileAsync(string remotePath, string content, CancellationToken cancellationToken)
    {
        using var ms = new MemoryStream(Encoding.UTF8.GetBytes(content));
        await Connection.SftpAsync(sftp => sftp.UploadFileAsync(ms, remotePath, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the job folder (0700) before files are uploaded into it.</summary>
    public Task PrepareFolderAsync(string remoteDir, CancellationToken cancellationToken) => CreateJobDirectoryAsync(remoteDir, cancellationToken);

    protected async Task CreateJobDirectoryAsync(string remoteDir, CancellationToken cancellationToken)
    {
        var r = await Connection.RunAsync($"umask 077 && mkdir -p {PosixShell.Quote(remoteDir)}/data", null, cancellationToken).ConfigureAwait(false);
        if (r.ExitStatus != 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"Cannot create {remoteDir} on {Address.Host}: {r.Stderr.Trim()}");
        }
    }

    /// <summary>Reads the token from the exec channel's stdin into the environment: never argv, never a file.</summary>
    protected static string TokenFromStdinPrologue =>
        "IFS= read -r MODELSCOPE_API_TOKEN || true\n" +
        "if [ -n \"$MODELSCOPE_API_TOKEN\" ]; then export MODELSCOPE_API_TOKEN; else unset MODELSCOPE_API_TOKEN; fi\n";

    protected static int CheckpointStep(string path)
    {
        var name = path.TrimEnd('/').Split('/')[^1];
        return name.StartsWith("checkpoint-", StringComparison.Ordinal)
            && int.TryParse(name["checkpoint-".Length..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1;
    }

    /// <summary>The tail of output.log from the first error-looking line (traceback, Error:, error:).</summary>
    protected static IReadOnlyList<string> LastErrorLines(IReadOnlyList<string> tail)
    {
        var lines = tail.Where(l => l.Length > 0).ToList();
        var start = lines.FindIndex(l => l.StartsWith("Traceback", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal) || l.Contains("error:", StringComparison.OrdinalIgnoreCase));
        var slice = start >= 0 ? lines.Skip(start) : lines.Skip(Math.Max(0, lines.Count - 10));
        return slice.TakeLast(15).Select(Diagnostics.SecretRedactor.Redact).ToArray();
    }

    private static async Task ListRecursiveAsync(SftpClient sftp, string remote, string relative, int depth, Func<string, bool, bool> include,
        List<(string Remote, string Relative, long Size)> wanted, List<string> skipped, Action<long> addSkippedBytes, CancellationToken cancellationToken)
    {
        if (depth > 8)
        {
            return;
        }

        await foreach (ISftpFile entry in sftp.ListDirectoryAsync(remote, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Name is "." or ".." || entry.Name.Contains('/') || entry.Name.Contains('\\'))
            {
                continue;
            }

            var rel = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (!include(rel, entry.IsDirectory))
            {
                skipped.Add(entry.IsDirectory ? rel + "/" : rel);
                if (entry.IsRegularFile)
                {
                    addSkippedBytes(entry.Length);
                }

                continue;
            }

            if (entry.IsDirectory)
            {
                await ListRecursiveAsync(sftp, entry.FullName, rel, depth + 1, include, wanted, skipped, addSkippedBytes, cancellationToken).ConfigureAwait(false);
            }
            else if (entry.IsRegularFile)
            {
                wanted.Add((entry.FullName, rel, entry.Length));
            }
        }
    }

    /// <summary>The <c>key=value</c> lines a refresh prints.</summary>
    protected sealed class ProbeFacts
    {
        public bool Missing { get; private set; }

        public string? State { get; private set; }

        public int? ExitCode { get; private set; }

        public bool Alive { get; private set; }

        public bool CancelRequested { get; private set; }

        public string? LoggingFile { get; private set; }

        public List<string> Checkpoints { get; } = [];

        public List<string> PartialCheckpoints { get; } = [];

        public IReadOnlyList<string> NonFiniteLine { get; private set; } = [];

        public IReadOnlyList<string> ProgressTail { get; private set; } = [];

        public IReadOnlyList<string> OutputTail { get; private set; } = [];

        public Dictionary<string, string> Other { get; } = new(StringComparer.Ordinal);

        public static ProbeFacts Parse(string stdout)
        {
            var f = new ProbeFacts();
            foreach (var raw in stdout.Split('\n'))
            {
                var eq = raw.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    continue;
                }

                var key = raw[..eq];
                var value = raw[(eq + 1)..].TrimEnd('\r');
                switch (key)
                {
                    case "missing": f.Missing = true; break;
                    case "state": f.State = value.Trim().Length > 0 ? value.Trim() : null; break;
                    case "exit_code": f.ExitCode = int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : null; break;
                    case "alive": f.Alive = value.Trim() == "1"; break;
                    case "cancel_requested": f.CancelRequested = true; break;
                    case "logging_file": f.LoggingFile = value.Trim().Length > 0 ? value.Trim() : null; break;
                    case "checkpoint": f.Checkpoints.Add(value.Trim()); break;
                    case "partial_checkpoint": f.PartialCheckpoints.Add(value.Trim()); break;
                    case "nonfinite": f.NonFiniteLine = DecodeLines(value); break;
                    case "progress_tail": f.ProgressTail = DecodeLines(value); break;
                    case "output_tail": f.OutputTail = DecodeLines(value); break;
                    default: f.Other[key] = value; break;
                }
            }

            return f;
        }

        private static string[] DecodeLines(string base64)
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim())).Split('\n');
            }
            catch (FormatException)
            {
                return [];
            }
        }
    }
}
