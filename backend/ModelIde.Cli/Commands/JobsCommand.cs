using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.Jobs;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide jobs</c>: list, show, follow, cancel, resume and fetch remote fine-tune jobs.</summary>
public sealed class JobsCommand() : CliCommand("jobs", "List, follow, cancel, resume and fetch remote fine-tune jobs.")
{
    private readonly ListCommand _list = new();
    private readonly ShowCommand _show = new();
    private readonly LogsCommand _logs = new();
    private readonly ChangeCommand _cancel = new("cancel", "Cancel a job.");
    private readonly ChangeCommand _resume = new("resume", "Start a new job from the newest checkpoint of a job.");
    private readonly FetchCommand _fetch = new();
    private readonly TrustHostCommand _trustHost = new();
    private readonly HostEnvCommand _hostEnv = new();

    private static Argument<string> JobIdArgument() => CliOptions.Required("ID", "the job id (see 'modelide jobs list')");

    private sealed class ListCommand() : CliCommand("list", "List the jobs submitted from this machine.")
    {
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print the jobs as JSON");
        private readonly JobStateOptions _state = new();

        public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            using var service = _state.CreateService(parse);
            var jobs = service.List();
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(jobs, JobStore.JsonOptions));
                return Task.FromResult(ExitCodes.Success);
            }

            if (jobs.Count == 0)
            {
                console.Error.WriteLine("No jobs yet. Submit one with 'modelide finetune submit'.");
            }

            CliTable.Write(console, jobs, ["job", "state", "progress", "submitted", "backend", "model"],
                j => [j.JobId, State(j), Progress(j), j.SubmittedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), j.Backend, j.Spec.Model],
                j => $"{j.JobId,-28} {j.State.ToString().ToLowerInvariant(),-10} {Progress(j),-10} {j.SubmittedAt:yyyy-MM-dd HH:mm} {j.Backend} {TerminalText.Escape(j.Spec.Model)}{(j.Unreachable is null ? "" : "  (unreachable at last look, will retry)")}");
            return Task.FromResult(ExitCodes.Success);
        }

        private static string Progress(JobInfo j) => j.Progress is { } p ? $"{p.GlobalStep}/{p.MaxSteps}" : "-";

        private static string State(JobInfo j) => j.State.ToString().ToLowerInvariant() + (j.Unreachable is null ? "" : " (unreachable)");
    }

    private sealed class ShowCommand() : CliCommand("show", "Show a job: state, progress, folder, command, checkpoints, last errors.")
    {
        private readonly Argument<string> _id = JobIdArgument();
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print the job as JSON");
        private readonly JobStateOptions _state = new();

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            using var service = _state.CreateService(parse);
            var job = await service.GetAsync(parse.GetValue(_id)!, cancellationToken).ConfigureAwait(false);
            PrintJob(console, job, parse.GetValue(_json));
            return ExitCodes.Success;
        }
    }

    private sealed class LogsCommand() : CliCommand("logs", "Print a job's log; -f follows it until the job ends.")
    {
        private readonly Argument<string> _id = JobIdArgument();
        private readonly Option<bool> _follow = CliOptions.Flag("--follow", "follow until the job ends (exit 0 when it completed, 1 otherwise)", "-f");
        private readonly Option<int?> _tail = CliOptions.Int("--tail", "N", "last N lines (default 100)", min: 1, max: 100_000);
        private readonly JobStateOptions _state = new();

        public override string Notes => "Log lines go to stdout; with -f, changes of reachability and the final state go to stderr.";

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var id = parse.GetValue(_id)!;
            using var service = _state.CreateService(parse);
            if (!parse.GetValue(_follow))
            {
                foreach (var line in await service.LogsAsync(id, parse.GetValue(_tail) ?? 100, cancellationToken).ConfigureAwait(false))
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
                    console.Error.WriteLine(unreachable is null ? $"job {id}: reachable again." : $"job {id}: {TerminalText.Escape(unreachable)}");
                }

                foreach (var line in update.NewLogLines)
                {
                    console.Out.WriteLine(line);
                }

                await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (update.Job.IsFinished)
                {
                    console.Error.WriteLine($"job {id}: {update.Job.State.ToString().ToLowerInvariant()}{(update.Job.Reason is null ? "" : " - " + TerminalText.Escape(update.Job.Reason))}");
                    return update.Job.State == JobStateKind.Completed ? ExitCodes.Success : ExitCodes.Failure;
                }

                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary><c>cancel</c> and <c>resume</c>: change a job, print what it became.</summary>
    private sealed class ChangeCommand(string name, string description) : CliCommand(name, description)
    {
        private readonly Argument<string> _id = JobIdArgument();
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print the job as JSON");
        private readonly JobStateOptions _state = new();

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            using var service = _state.CreateService(parse);
            var id = parse.GetValue(_id)!;
            var job = Name == "cancel"
                ? await service.CancelAsync(id, cancellationToken).ConfigureAwait(false)
                : await service.ResumeAsync(id, cancellationToken).ConfigureAwait(false);
            PrintJob(console, job, parse.GetValue(_json));
            return ExitCodes.Success;
        }
    }

    private sealed class FetchCommand() : CliCommand("fetch", "Copy a job's adapter (the newest checkpoint, or --checkpoint) to this machine.")
    {
        private readonly Argument<string> _id = JobIdArgument();
        private readonly Option<string?> _to = CliOptions.Text("--to", "DIR", "local folder (default: ./ID)");
        private readonly Option<string?> _checkpoint = CliOptions.Text("--checkpoint", "checkpoint-N", "which checkpoint (default: the newest)");
        private readonly JobStateOptions _state = new();

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var id = parse.GetValue(_id)!;
            using var service = _state.CreateService(parse);
            var to = parse.GetValue(_to) ?? Path.Combine(Directory.GetCurrentDirectory(), id);
            var path = await service.FetchAdapterAsync(id, to, parse.GetValue(_checkpoint), cancellationToken).ConfigureAwait(false);
            console.Out.WriteLine(path);
            return ExitCodes.Success;
        }
    }

    private sealed class TrustHostCommand() : CliCommand("trust-host", "Trust an SSH host's key; without --fingerprint, print it to compare and trust nothing.")
    {
        private readonly Argument<string> _target = CliOptions.Required("HOST[:PORT]", "the SSH host (port 22 unless given)");
        private readonly Option<string?> _fingerprint = CliOptions.Text("--fingerprint", "SHA256:...", "the host key fingerprint you compared with the server's");
        private readonly JobStateOptions _state = new();

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var target = parse.GetValue(_target)!;
            var fingerprint = parse.GetValue(_fingerprint);
            using var service = _state.CreateService(parse);
            var host = target;
            var port = 22;
            var colon = target.LastIndexOf(':');
            if (colon > 0 && !target.EndsWith(']') && int.TryParse(target[(colon + 1)..], CultureInfo.InvariantCulture, out var p))
            {
                host = target[..colon];
                port = p;
            }

            host = host.Trim('[', ']');
            if (fingerprint is null)
            {
                var (type, fp) = await SshConnection.ProbeHostKeyAsync(host, port, cancellationToken).ConfigureAwait(false);
                console.Out.WriteLine($"{host}:{port} {TerminalText.Escape(type)} {TerminalText.Escape(fp)}");
                console.Error.WriteLine("Compare it with the server's key, then run again with --fingerprint " + TerminalText.Escape(fp));
                return ExitCodes.Success;
            }

            service.TrustHost(host, port, fingerprint);
            console.Error.WriteLine($"Trusted {host}:{port} {KnownHostsFile.NormalizeFingerprint(fingerprint)} in {service.KnownHosts.Path}.");
            return ExitCodes.Success;
        }
    }

    private sealed class HostEnvCommand() : CliCommand("host-env", "Show or set how a host makes ms-swift reachable (a conda env, a venv, or setup commands); saved per host.")
    {
        private readonly Argument<string> _backend = CliOptions.Required("BACKEND", "ssh://user@host[:port] or slurm://user@host[:port]");
        private readonly Option<string?> _conda = CliOptions.Text("--conda", "NAME", "activate this conda environment (name or prefix path)");
        private readonly Option<string?> _venv = CliOptions.Text("--venv", "DIR", "activate this Python venv (DIR/bin/activate)");
        private readonly Option<string?> _setup = CliOptions.Text("--setup", "COMMANDS", "run these shell commands first (e.g. 'module load cuda/12.1')");
        private readonly Option<bool> _none = CliOptions.Flag("--none", "use the login shell as it is (forget the saved environment)");
        private readonly JobStateOptions _state = new();

        public override string Notes => """
            Without an option, prints the saved environment. The next submit, resume and 'finetune submit --dry-run' use it.
            """;

        public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var backend = parse.GetValue(_backend)!;
            var given = new (JobHostEnvironmentKind Kind, string? Value)[]
            {
                (JobHostEnvironmentKind.Conda, parse.GetValue(_conda)),
                (JobHostEnvironmentKind.Venv, parse.GetValue(_venv)),
                (JobHostEnvironmentKind.Command, parse.GetValue(_setup)),
                (JobHostEnvironmentKind.None, parse.GetValue(_none) ? string.Empty : null),
            }.Where(g => g.Value is not null).ToArray();
            if (given.Length > 1)
            {
                throw new CliUsageException("Give one of --conda, --venv, --setup or --none.");
            }

            using var service = _state.CreateService(parse);
            if (given.Length == 1)
            {
                var environment = given[0].Kind == JobHostEnvironmentKind.None ? JobHostEnvironment.None : new JobHostEnvironment(given[0].Kind, given[0].Value);
                if (environment.Validate() is { } problem)
                {
                    throw new CliUsageException("The host environment is not valid: " + problem);
                }

                service.SetHostEnvironment(backend, environment);
            }

            var saved = service.HostEnvironmentFor(backend);
            console.Out.WriteLine(saved.Kind switch
            {
                JobHostEnvironmentKind.Conda => "conda " + TerminalText.Escape(saved.Value ?? string.Empty),
                JobHostEnvironmentKind.Venv => "venv " + TerminalText.Escape(saved.Value ?? string.Empty),
                JobHostEnvironmentKind.Command => "setup " + TerminalText.Escape(saved.Value ?? string.Empty),
                _ => "login shell",
            });
            return Task.FromResult(ExitCodes.Success);
        }
    }

    private static void PrintJob(CliConsole console, JobInfo job, bool json)
    {
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(job, JobStore.JsonOptions));
        }
        else
        {
            FinetuneCommand.PrintJob(console, job);
        }
    }
}
