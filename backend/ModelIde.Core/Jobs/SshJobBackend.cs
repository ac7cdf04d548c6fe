using System.Globalization;
using System.Text;

namespace ModelIde.Core.Jobs;

/// <summary>
/// Runs swift on a plain SSH host, detached (<c>setsid nohup</c> of a wrapper script) so it survives the SSH
/// connection and the editor closing. The wrapper records pid, process group, exit code and state in the job
/// folder; any later connection reattaches by reading them. Cancel = SIGTERM to the process group.
/// </summary>
public sealed class SshJobBackend(SshConnection connection) : RemoteJobBackend(connection)
{
    /// <summary>
    /// The wrapper that runs detached on the remote: activates the host's environment, exports the job's GPUs
    /// (<see cref="GpuInventory.SshEnvironment"/>) and, with several GPUs, a free MASTER_PORT for torchrun.
    /// </summary>
    public static string BuildWrapperScript(string jobId, string remoteDir, IReadOnlyList<string> swiftArgv, JobHostEnvironment? environment = null, IReadOnlyDictionary<string, string>? exports = null)
    {
        var env = new StringBuilder();
        foreach (var (k, v) in exports ?? new Dictionary<string, string>())
        {
            env.Append(CultureInfo.InvariantCulture, $"export {k}={PosixShell.Quote(v)}\n");
        }

        if (exports?.ContainsKey("NPROC_PER_NODE") == true)
        {
            // torchrun listens on MASTER_PORT (default 29500): two multi-GPU jobs on one host would collide there.
            var start = 29500 + (int)(StableHash(jobId) % 500);
            env.Append(CultureInfo.InvariantCulture, $"p={start}; while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done; export MASTER_PORT=$p\n");
        }

        return $"""
            #!/bin/bash
            # ModelIde fine-tune job {jobId}: runs swift detached from any SSH session and records its pid, process
            # group, exit code and state in this folder so that a later connection can reattach.
            cd {PosixShell.Quote(remoteDir)} || exit 1
            echo $$ > pid
            ps -o pgid= -p $$ | tr -d ' ' > pgid
            echo running > state
            date -u +%Y-%m-%dT%H:%M:%SZ > started_at
            # A handler (not an ignore) so that swift still gets the default SIGTERM behaviour and we record the result.
            trap 'touch term_received' TERM
            exec >> {OutputLog} 2>&1 < /dev/null
            modelide_fail() {"{"} echo {JobHostEnvironment.ActivationFailedExitCode} > exit_code; echo failed > state.tmp && mv state.tmp state; exit {JobHostEnvironment.ActivationFailedExitCode}; {"}"}
            {(environment ?? JobHostEnvironment.None).ActivationScript()}{env}{SwiftCommandBuilder.ToCommandLine(swiftArgv)}
            rc=$?
            echo $rc > exit_code
            if [ -f cancel_requested ]; then st=cancelled; elif [ $rc -eq 0 ]; then st=completed; else st=failed; fi
            echo $st > state.tmp && mv state.tmp state
            date -u +%Y-%m-%dT%H:%M:%SZ > finished_at
            exit $rc

            """;
    }

    private static uint StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var c in text)
        {
            h = (h ^ c) * 16777619u;
        }

        return h;
    }

    public override async Task<JobInfo> SubmitAsync(JobInfo job, IReadOnlyList<string> swiftArgv, string? token, CancellationToken cancellationToken)
    {
        await CreateJobDirectoryAsync(job.RemoteDir, cancellationToken).ConfigureAwait(false);
        var dir = PosixShell.Quote(job.RemoteDir);
        await WriteRemoteFileAsync(job.RemoteDir + "/run.sh", BuildWrapperScript(job.JobId, job.RemoteDir, swiftArgv, job.HostEnvironment, job.Environment), cancellationToken).ConfigureAwait(false);
        var launch = TokenFromStdinPrologue +
            $"cd {dir} && chmod 700 run.sh || exit 1\n" +
            // Only the setsid command in the background (not an and-list in a subshell that would keep the channel open).
            $"setsid nohup bash {dir}/run.sh </dev/null >/dev/null 2>&1 &\n" +
            "echo launched\n";
        var r = await Connection.RunAsync(PosixShell.LoginShell(launch), (token ?? "") + "\n", cancellationToken).ConfigureAwait(false);
        if (r.ExitStatus != 0 || !r.Stdout.Contains("launched", StringComparison.Ordinal))
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"Starting the job on {Address.Host} failed: {Diagnostics.SecretRedactor.Redact(r.Stderr.Trim())}");
        }

        // Wait until the wrapper has written its pid, so that the first refresh sees a running job.
        var wait = $"for i in $(seq 1 100); do [ -s {dir}/pid ] && [ -s {dir}/state ] && exit 0; sleep 0.1; done; exit 1";
        var w = await Connection.RunAsync(wait, null, cancellationToken).ConfigureAwait(false);
        return job with
        {
            State = w.ExitStatus == 0 ? JobStateKind.Running : JobStateKind.Pending,
            Reason = w.ExitStatus == 0 ? null : "The wrapper has not started yet.",
        };
    }

    public override async Task CancelAsync(JobInfo job, CancellationToken cancellationToken)
    {
        var script = $"""
            cd {PosixShell.Quote(job.RemoteDir)} || exit 3
            touch cancel_requested
            g=$(cat pgid 2>/dev/null); p=$(cat pid 2>/dev/null)
            [ -n "$g" ] || exit 0
            alive() {"{"} s=$(ps -o stat= -p "$p" 2>/dev/null); [ -n "$s" ] && [ "${"{"}s#Z{"}"}" = "$s" ]; {"}"}
            kill -TERM -- "-$g" 2>/dev/null
            for i in $(seq 1 100); do alive || break; sleep 0.1; done
            if alive; then kill -KILL -- "-$g" 2>/dev/null; sleep 0.2; fi
            if [ "$(cat state 2>/dev/null)" = running ]; then echo cancelled > state; fi
            exit 0
            """;
        var r = await Connection.RunAsync("bash -c " + PosixShell.Quote(script), null, cancellationToken).ConfigureAwait(false);
        if (r.ExitStatus == 3)
        {
            throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"The job folder {job.RemoteDir} is gone from {Address.Host}.");
        }
    }

    protected override (JobStateKind State, string? Reason) DecideState(JobInfo job, ProbeFacts facts)
    {
        switch (facts.State)
        {
            case "completed":
                return (JobStateKind.Completed, null);
            case "cancelled":
                return (JobStateKind.Cancelled, "Cancelled by the user.");
            case "failed":
                return (JobStateKind.Failed, DescribeExit(facts.ExitCode));
            case "running" when facts.Alive:
                return (JobStateKind.Running, null);
            case "running" when facts.CancelRequested:
                return (JobStateKind.Cancelled, "Cancelled by the user.");
            case "running":
                return (JobStateKind.Failed, "The job's process on the remote is gone without recording an exit code (killed, or the machine rebooted).");
            default:
                return facts.Alive ? (JobStateKind.Pending, "Starting.") : (JobStateKind.Failed, "The job's wrapper never started on the remote.");
        }
    }

    internal static string DescribeExit(int? code) => code switch
    {
        null => "swift exited without an exit code.",
        JobHostEnvironment.ActivationFailedExitCode => "The host's environment could not be activated; see the log.",
        > 128 and < 160 => string.Create(CultureInfo.InvariantCulture, $"swift was killed by signal {code - 128} (exit code {code})."),
        _ => string.Create(CultureInfo.InvariantCulture, $"swift exited with code {code}."),
    };
}
