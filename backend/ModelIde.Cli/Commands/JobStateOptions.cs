using System.CommandLine;
using ModelIde.Core.Jobs;

namespace ModelIde.Cli.Commands;

/// <summary>Where the job list lives and how Slurm is reached: shared by <c>finetune submit</c> and every <c>jobs</c> subcommand.</summary>
public sealed class JobStateOptions : CliOptionGroup
{
    private readonly Option<string?> _stateDir = CliOptions.Text("--state-dir", "DIR", "job list and known_hosts folder (default $MODELIDE_JOBS_STATE_DIR or ~/.local/state/modelide)");
    private readonly Option<string?> _slurmRest = CliOptions.Text("--slurm-rest", "URL", "submit, watch and cancel through slurmrestd (JWT) instead of sbatch/squeue over SSH");
    private readonly Option<string?> _slurmRestUser = CliOptions.Text("--slurm-rest-user", "NAME", "user name for --slurm-rest");
    private readonly Option<string?> _slurmJwtFile = CliOptions.Text("--slurm-jwt-file", "FILE", "file holding the token from 'scontrol token' for --slurm-rest");

    private readonly PlainHttpOptions _plainHttp = new();

    public override IEnumerable<Option> Options => [_stateDir, _slurmRest, _slurmRestUser, _slurmJwtFile, .. _plainHttp.Options];

    public JobService CreateService(ParseResult parse)
    {
        var restUrl = parse.GetValue(_slurmRest);
        var jwtFile = parse.GetValue(_slurmJwtFile);
        var restUser = parse.GetValue(_slurmRestUser);
        SlurmRestOptions? rest = null;
        if (restUrl is not null)
        {
            if (jwtFile is null || restUser is null)
            {
                throw new CliUsageException("--slurm-rest needs --slurm-rest-user and --slurm-jwt-file (a file holding the token from 'scontrol token').");
            }

            if (!Uri.TryCreate(restUrl.TrimEnd('/') + "/", UriKind.Absolute, out var uri))
            {
                throw new CliUsageException($"--slurm-rest '{restUrl}' is not a URL.");
            }

            var jwt = File.Exists(jwtFile) ? File.ReadAllText(jwtFile).Trim() : throw new CliUsageException($"--slurm-jwt-file '{jwtFile}' does not exist.");
            if (jwt.StartsWith("SLURM_JWT=", StringComparison.Ordinal))
            {
                jwt = jwt["SLURM_JWT=".Length..];
            }

            rest = new SlurmRestOptions(uri, restUser, jwt);
        }

        return new JobService(new JobServiceOptions
        {
            StateDirectory = parse.GetValue(_stateDir) ?? JobStore.DefaultDirectory(),
            TokenProvider = () => Environment.GetEnvironmentVariable("MODELSCOPE_API_TOKEN") is { Length: > 0 } t ? t : null,
            SlurmRest = rest,
        });
    }
}
