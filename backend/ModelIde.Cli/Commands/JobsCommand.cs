using System.Text.Json;
using ModelIde.Core.Jobs;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide jobs</c>: list, show, follow, cancel, resume and fetch remote fine-tune jobs.</summary>
public sealed class JobsCommand : CliCommand
{
    public override string Name => "jobs";

    public override string Summary => "List, follow, cancel, resume and fetch remote fine-tune jobs.";

    public override string Usage => """
        Usage: modelide jobs list [--json]
               modelide jobs show ID [--json]
               modelide jobs logs ID [-f] [--tail N]     (-f follows until the job ends, with progress)
               modelide jobs cancel ID
               modelide jobs resume ID                   (new job from the newest checkpoint)
               modelide jobs fetch ID [--to DIR] [--checkpoint checkpoint-N]
               modelide jobs trust-host HOST[:PORT] [--fingerprint SHA256:...]
                   without --fingerprint: prints the host's key fingerprint to compare, trusts nothing
          --state-dir DIR   job list and known_hosts folder (default $MODELIDE_JOBS_STATE_DIR or ~/.local/state/modelide)
          --slurm-rest URL --slurm-rest-user NAME --slurm-jwt-file FILE   state and cancel through slurmrestd
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var verb = args.RequirePositional(0, "subcommand (list, show, logs, cancel, resume, fetch, trust-host)");
        var json = args.Flag("json");
        using var service = FinetuneCommand.CreateService(args);
        switch (verb)
        {
            case "list":
            {
                args.EnsureNoUnknownOptions();
                var jobs = service.List();
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(jobs, JobStore.JsonOptions));
                    return ExitCodes.Success;
                }

                if (jobs.Count == 0)
                {
                    console.Error.WriteLine("No jobs yet. Submit one with 'modelide finetune submit'.");
                }

                foreach (var j in jobs)
                {
                    var progress = j.Progress is { } p ? $"{p.GlobalStep}/{p.MaxSteps}" : "-";
                    console.Out.WriteLine($"{j.JobId,-28} {j.State.ToString().ToLowerInvariant(),-10} {progress,-10} {j.SubmittedAt:yyyy-MM-dd HH:mm} {j.Backend} {j.Spec.Model}{(j.Unreachable is null ? "" : "  (unreachable at last look, will retry)")}");
                }

                return ExitCodes.Success;
            }

            case "show":
            {
                var id = args.RequirePositional(1, "job id");
                args.EnsureNoUnknownOptions();
                var job = await service.GetAsync(id, cancellationToken).ConfigureAwait(false);
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(job, JobStore.JsonOptions));
                }
                else
                {
                    FinetuneCommand.PrintJob(console, job);
                }

                return ExitCodes.Success;
            }

            case "logs":
            {
                var id = args.RequirePositional(1, "job id");
                var follow = args.Flag("follow");
                var tail = args.IntOption("tail", 1, 100_000) ?? 100;
                args.EnsureNoUnknownOptions();
                if (!follow)
                {
                    foreach (var line in await service.LogsAsync(id, tail, cancellationToken).ConfigureAwait(false))
                    {
                        console.Out.WriteLine(line);
                    }

                    return ExitCodes.Success;
                }

                var cursor = new JobWatchCursor();
                string? unreachable = null;
                while (true)
                {
                    var update = await service.PollAsync(id, cursor, cancellationToken).ConfigureAwait(false);
                    if (update.Job.Unreachable != unreachable)
                    {
                        // Said once when it starts and once when it ends, not at every poll.
                        unreachable = update.Job.Unreachable;
                        console.Error.WriteLine(unreachable is null ? $"job {id}: reachable again." : $"job {id}: {unreachable}");
                    }

                    foreach (var line in update.NewLogLines)
                    {
                        console.Out.WriteLine(line);
                    }

                    await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (update.Job.IsFinished)
                    {
                        console.Error.WriteLine($"job {id}: {update.Job.State.ToString().ToLowerInvariant()}{(update.Job.Reason is null ? "" : " - " + update.Job.Reason)}");
                        return update.Job.State == JobState.Completed ? ExitCodes.Success : ExitCodes.Failure;
                    }

                    await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
                }
            }

            case "cancel":
            case "resume":
            {
                var id = args.RequirePositional(1, "job id");
                args.EnsureNoUnknownOptions();
                var job = verb == "cancel"
                    ? await service.CancelAsync(id, cancellationToken).ConfigureAwait(false)
                    : await service.ResumeAsync(id, cancellationToken).ConfigureAwait(false);
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(job, JobStore.JsonOptions));
                }
                else
                {
                    FinetuneCommand.PrintJob(console, job);
                }

                return ExitCodes.Success;
            }

            case "fetch":
            {
                var id = args.RequirePositional(1, "job id");
                var to = args.Option("to") ?? Path.Combine(Directory.GetCurrentDirectory(), id);
                var checkpoint = args.Option("checkpoint");
                args.EnsureNoUnknownOptions();
                var path = await service.FetchAdapterAsync(id, to, checkpoint, cancellationToken).ConfigureAwait(false);
                console.Out.WriteLine(path);
                return ExitCodes.Success;
            }

            case "trust-host":
            {
                var target = args.RequirePositional(1, "HOST[:PORT]");
                var fingerprint = args.Option("fingerprint");
                args.EnsureNoUnknownOptions();
                var host = target;
                var port = 22;
                var colon = target.LastIndexOf(':');
                if (colon > 0 && !target.EndsWith(']') && int.TryParse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var p))
                {
                    host = target[..colon];
                    port = p;
                }

                host = host.Trim('[', ']');
                if (fingerprint is null)
                {
                    var (type, fp) = await SshConnection.ProbeHostKeyAsync(host, port, cancellationToken).ConfigureAwait(false);
                    console.Out.WriteLine($"{host}:{port} {type} {fp}");
                    console.Error.WriteLine("Compare it with the server's key, then run again with --fingerprint " + fp);
                    return ExitCodes.Success;
                }

                service.TrustHost(host, port, fingerprint);
                console.Error.WriteLine($"Trusted {host}:{port} {KnownHostsFile.NormalizeFingerprint(fingerprint)} in {service.KnownHosts.Path}.");
                return ExitCodes.Success;
            }

            default:
                throw new CliUsageException($"Unknown subcommand '{verb}'.");
        }
    }
}
