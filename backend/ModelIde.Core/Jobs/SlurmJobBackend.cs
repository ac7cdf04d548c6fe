using System.Globalization;
using System.Text;

namespace ModelIde.Core.Jobs;

/// <summary>
/// Submits swift as an sbatch script over SSH to a Slurm login node (<c>sbatch --parsable</c>); states come from
/// <c>squeue -t all</c> (then <c>sacct</c> once the job left the controller's memory); cancel is <c>scancel</c>.
/// Several nodes get torchrun's NNODES / NODE_RANK / MASTER_ADDR / NPROC_PER_NODE from Slurm's environment.
/// With slurmrestd configured (<see cref="SlurmRestClient"/>), submission, state and cancel go through its REST API;
/// the job folder, logs and checkpoints are still read over SSH.
public sealed class SlurmJobBackend(SshConnection connection, SlurmRestClient? rest = null) : RemoteJobBackend(connection)
{
    public static string BuildBatchScript(JobInfo job, IReadOnlyList<string> swiftArgv)
    {
        var spec = job.Spec;
        var nodes = spec.Nodes ?? 1;
        var gpus = spec.GpusPerNode ?? 0;
        var dir = job.RemoteDir;
        var sb = new StringBuilder();
        // A login shell: the job sees the same PATH (swift, conda) as an interactive login, also when slurmrestd submits it.
        sb.Append("#!/bin/bash -l\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=modelide-{job.JobId}\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={dir}/{OutputLog}\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --chdir={dir}\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --nodes={nodes}\n");
        sb.Append("#SBATCH --ntasks-per-node=1\n");
        if (gpus > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --gres=gpu:{gpus}\n");
        }

        if (spec.CpusPerTask is { } cpus)
        {
            sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={cpus}\n");
        }

        if (spec.TimeLimitMinutes is { } minutes)
        {
            sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --time={minutes}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"# ModelIde fine-tune job {job.JobId}. MODELSCOPE_API_TOKEN comes from the submitting environment, never from this file.\n");
        sb.Append("cd \"$SLURM_SUBMIT_DIR\" 2>/dev/null || true\n");
        sb.Append(CultureInfo.InvariantCulture, $"cd {PosixShell.Quote(dir)} || exit 1\n");
        sb.Append("echo \"$SLURM_JOB_ID\" > slurm_job_id\n");
        sb.Append(CultureInfo.InvariantCulture, $"modelide_fail() {{ echo {JobHostEnvironment.ActivationFailedExitCode} > exit_code; exit {JobHostEnvironment.ActivationFailedExitCode}; }}\n");
        sb.Append((job.HostEnvironment ?? JobHostEnvironment.None).ActivationScript());
        var swift = SwiftCommandBuilder.ToCommandLine(swiftArgv);
        // torchrun's rendezvous port, one per job: two jobs sharing a node must not both take the default 29500.
        sb.Append("export MASTER_PORT=\"$((20000 + SLURM_JOB_ID % 20000))\"\n");
        if (nodes > 1 || gpus > 1)
        {
            sb.Append("# torchrun variables for swift from Slurm's allocation\n");
            sb.Append("export NNODES=\"${SLURM_NNODES:-1}\"\n");
            sb.Append("export MASTER_ADDR=\"$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\"\n");
            sb.Append(CultureInfo.InvariantCulture, $"export NPROC_PER_NODE={Math.Max(1, gpus)}\n");
        }

        if (nodes > 1)
        {
            // One task per node; each task gets its node's rank.
            sb.Append("srun --ntasks-per-node=1 bash -c ").Append(PosixShell.Quote("export NODE_RANK=$SLURM_NODEID; exec " + swift)).Append('\n');
        }
        else
        {
            if (gpus > 1)
            {
                sb.Append("export NODE_RANK=0\n");
            }

            sb.Append(swift).Append('\n');
        }

        sb.Append("rc=$?\necho $rc > exit_code\nexit $rc\n");
        return sb.ToString();
    }

    public override async Task<JobInfo> SubmitAsync(JobInfo job, IReadOnlyList<string> swiftArgv, string? token, CancellationToken cancellationToken)
    {
        await CreateJobDirectoryAsync(job.RemoteDir, cancellationToken).ConfigureAwait(false);
        var script = BuildBatchScript(job, swiftArgv);
        await WriteRemoteFileAsync(job.RemoteDir + "/job.sbatch", script, cancellationToken).ConfigureAwait(false);
        if (rest is not null)
        {
            // slurmrestd starts the job with only this environment: HOME lets the login shell find ~/.profile.
            var home = job.RemoteDir[..job.RemoteDir.IndexOf("/" + JobsFolder + "/", StringComparison.Ordinal)];
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
                ["HOME"] = home,
                ["USER"] = Address.User,
                ["LOGNAME"] = Address.User,
            };
            if (!string.IsNullOrEmpty(token))
            {
                env["MODELSCOPE_API_TOKEN"] = token;
            }

            var restId = await rest.SubmitAsync(script, RestJobProperties(job), env, cancellationToken).ConfigureAwait(false);
            return job with { SchedulerJobId = restId, State = JobStateKind.Pending };
        }

        // sbatch's default --export=ALL carries MODELSCOPE_API_TOKEN (read from stdin) into the job's environment.
        var submit = TokenFromStdinPrologue + $"cd {PosixShell.Quote(job.RemoteDir)} && sbatch --parsable job.sbatch\n";
        var r = await Connection.RunAsync(PosixShell.LoginShell(submit), (token ?? "") + "\n", cancellationToken).ConfigureAwait(false);
        var id = r.Stdout.Trim().Split('\n')[^1].Split(';')[0].Trim();
        if (r.ExitStatus != 0 || id.Length == 0 || !id.All(char.IsAsciiDigit))
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"sbatch on {Address.Host} failed: {Diagnostics.SecretRedactor.Redact((r.Stderr + r.Stdout).Trim())}");
        }

        return job with { SchedulerJobId = id, State = JobStateKind.Pending };
    }

    public override async Task CancelAsync(JobInfo job, CancellationToken cancellationToken)
    {
        var id = RequireSchedulerId(job);
        if (rest is not null)
        {
            await Connection.RunAsync($"touch {PosixShell.Quote(job.RemoteDir)}/cancel_requested", null, cancellationToken).ConfigureAwait(false);
            await rest.CancelAsync(id, cancellationToken).ConfigureAwait(false);
            return;
        }

        var r = await Connection.RunAsync(
            PosixShell.LoginShell($"touch {PosixShell.Quote(job.RemoteDir)}/cancel_requested 2>/dev/null; scancel {id}"), null, cancellationToken).ConfigureAwait(false);
        if (r.ExitStatus != 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"scancel {id} failed: {r.Stderr.Trim()}");
        }
    }

    /// <summary>The #SBATCH options as slurmrestd job properties (it does not read #SBATCH lines).</summary>
    public static System.Text.Json.Nodes.JsonObject RestJobProperties(JobInfo job)
    {
        var nodes = job.Spec.Nodes ?? 1;
        var props = new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = "modelide-" + job.JobId,
            ["current_working_directory"] = job.RemoteDir,
            ["standard_output"] = job.RemoteDir + "/" + OutputLog,
            ["nodes"] = new System.Text.Json.Nodes.JsonArray(nodes, nodes),
            ["tasks_per_node"] = 1,
        };
        if (job.Spec.GpusPerNode is > 0 and var g)
        {
            // Per node, like #SBATCH --gres=gpu:N (slurmrestd 22.05 honours "gpus_per_node": "N"; its "gres" key ends in BadConstraints).
            props["gpus_per_node"] = g.ToString(CultureInfo.InvariantCulture);
        }

        if (job.Spec.CpusPerTask is { } cpus)
        {
            props["cpus_per_task"] = cpus;
        }

        if (job.Spec.TimeLimitMinutes is { } t)
        {
            props["time_limit"] = t;
        }

        return props;
    }

    protected override async Task AddSchedulerFactsAsync(JobInfo job, ProbeFacts facts, CancellationToken cancellationToken)
    {
        if (rest is null || job.SchedulerJobId is null)
        {
            return;
        }

        if (facts.Other.TryGetValue("squeue_error", out var sqError) && IsControllerUnreachable(sqError))
        {
            // squeue already waited out Slurm's message timeout; slurmrestd would wait as long for the same answer.
            return;
        }

        try
        {
            var s = await rest.GetJobAsync(job.SchedulerJobId, cancellationToken).ConfigureAwait(false);
            facts.Other["squeue"] = s.State + "|" + (s.Reason ?? "None");
            facts.Other.Remove("squeue_error");
        }
        catch (ModelIdeException ex)
        {
            // squeue over SSH (already in the facts) answers when slurmrestd does not.
            facts.Other["rest_error"] = ex.Message;
        }
    }

    protected override string? SchedulerUnreachable(ProbeFacts facts)
    {
        if (facts.Other.TryGetValue("squeue", out var sq) && sq.Trim().Length > 0)
        {
            return null;
        }

        var errors = new[] { facts.Other.GetValueOrDefault("squeue_error"), facts.Other.GetValueOrDefault("rest_error") }
            .Where(e => !string.IsNullOrWhiteSpace(e) && IsControllerUnreachable(e!)).Select(e => e!.Trim()).ToArray();
        return errors.Length == 0 ? null : $"Slurm controller unreachable ({string.Join("; ", errors)}).";
    }

    /// <summary>Slurm's messages for "slurmctld does not answer" (down, restarting, overloaded), from squeue or slurmrestd.</summary>
    public static bool IsControllerUnreachable(string message) =>
        s_controllerDown.Any(m => message.Contains(m, StringComparison.OrdinalIgnoreCase));

    private static readonly string[] s_controllerDown =
    [
        "Unable to contact slurm controller", "Socket timed out on send/recv", "Zero Bytes were transmitted or received",
        "Slurm backup controller in standby mode", "Communication connection failure",
    ];

    protected override string SchedulerProbe(JobInfo job)
    {
        var id = RequireSchedulerId(job);
        return $"""
            sqerr=$(mktemp)
            if sq=$(squeue -h -t all -j {id} -o '%T|%r' 2>"$sqerr"); then echo "squeue=$(printf '%s\n' "$sq" | head -n 1)"
            else echo "squeue_error=$(tr '\n' ' ' < "$sqerr" | cut -c1-300)"; fi
            rm -f "$sqerr"
            echo "sacct=$( (sacct -n -X -P -j {id} -o State,ExitCode 2>/dev/null || sacct -c -n -P -j {id} -o State,ExitCode 2>/dev/null) | head -n 1)"
            """;
    }

    protected override (JobStateKind State, string? Reason) DecideState(JobInfo job, ProbeFacts facts)
    {
        string slurmState, reason = "";
        if (facts.Other.TryGetValue("squeue", out var sq) && sq.Trim().Length > 0)
        {
            var parts = sq.Trim().Split('|');
            slurmState = parts[0];
            reason = parts.Length > 1 ? parts[1] : "";
        }
        else if (facts.Other.TryGetValue("sacct", out var sa) && sa.Trim().Length > 0)
        {
            slurmState = sa.Trim().Split('|')[0].Split(' ')[0];
        }
        else
        {
            return (JobStateKind.Unknown, $"Slurm no longer knows job {job.SchedulerJobId}.");
        }

        var state = MapState(slurmState);
        var detail = reason is "" or "None" ? "" : $" ({reason})";
        return state switch
        {
            JobStateKind.Pending => (state, $"Slurm: {slurmState}{detail}"),
            JobStateKind.Running => (state, null),
            JobStateKind.Completed => (state, null),
            JobStateKind.Cancelled => (state, "Cancelled" + (facts.CancelRequested ? " by the user." : " in Slurm.")),
            JobStateKind.Failed => (state, $"Slurm: {slurmState}{detail}" + (facts.ExitCode is { } c ? "; " + SshJobBackend.DescribeExit(c) : "")),
            _ => (state, $"Slurm: {slurmState}{detail}"),
        };
    }

    public static JobStateKind MapState(string slurmState) => slurmState.Trim().ToUpperInvariant() switch
    {
        "PENDING" or "CONFIGURING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD" => JobStateKind.Pending,
        "RUNNING" or "COMPLETING" or "SUSPENDED" or "STOPPED" or "SIGNALING" or "STAGE_OUT" or "RESIZING" => JobStateKind.Running,
        "COMPLETED" => JobStateKind.Completed,
        "CANCELLED" => JobStateKind.Cancelled,
        "FAILED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" or "BOOT_FAIL" or "DEADLINE" or "PREEMPTED" or "SPECIAL_EXIT" or "REVOKED" => JobStateKind.Failed,
        _ => JobStateKind.Unknown,
    };

    private static string RequireSchedulerId(JobInfo job) =>
        job.SchedulerJobId is { Length: > 0 } id && id.All(char.IsAsciiDigit)
            ? id
            : throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Job {job.JobId} has no Slurm job id.");
}
