using System.Text.Json;

namespace ModelIde.Core.Jobs;

public enum JobHostEnvironmentKind
{
    /// <summary>The login shell as it is (~/.profile).</summary>
    None,

    /// <summary>A conda environment by name or prefix: conda's shell hook is sourced, then <c>conda activate</c>.</summary>
    Conda,

    /// <summary>A Python venv folder: <c>. VENV/bin/activate</c>.</summary>
    Venv,

    /// <summary>Shell commands the user gives (e.g. <c>module load cuda/12.1 &amp;&amp; source ~/env.sh</c>), run as given.</summary>
    Command,
}

/// <summary>
/// How to make ms-swift reachable on a host before anything runs there. A login shell alone often is not enough: conda
/// sets itself up in ~/.bashrc, which non-interactive shells skip. Saved per host (<see cref="JobHostStore"/>).
/// </summary>
public sealed record JobHostEnvironment(JobHostEnvironmentKind Kind, string? Value = null)
{
    /// <summary>The exit code of a job or probe whose environment could not be activated.</summary>
    public const int ActivationFailedExitCode = 97;

    public static JobHostEnvironment None { get; } = new(JobHostEnvironmentKind.None);

    public string? Validate()
    {
        if (Kind == JobHostEnvironmentKind.None)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(Value))
        {
            return Kind switch
            {
                JobHostEnvironmentKind.Conda => "the conda environment needs a name (or a prefix path).",
                JobHostEnvironmentKind.Venv => "the venv needs its folder (e.g. ~/venvs/swift).",
                _ => "the setup command is empty.",
            };
        }

        if (Kind != JobHostEnvironmentKind.Command && (Value.Contains('\n') || Value.Contains('\0')))
        {
            return "the environment name or path must be one line.";
        }

        return Value.Contains('\0') ? "the setup command contains a NUL character." : null;
    }

    public string Describe() => Kind switch
    {
        JobHostEnvironmentKind.Conda => $"conda environment {Value}",
        JobHostEnvironmentKind.Venv => $"venv {Value}",
        JobHostEnvironmentKind.Command => $"setup command: {Value!.Trim()}",
        _ => "login shell (~/.profile)",
    };

    /// <summary>
    /// Shell lines that activate the environment in the current shell; on failure they call <c>modelide_fail</c>,
    /// which the surrounding script defines (a probe exits, a job wrapper also records its state first).
    /// </summary>
    public string ActivationScript() => Kind switch
    {
        JobHostEnvironmentKind.Conda => $$$"""
            modelide_conda_env={{{PosixShell.Quote(Value!.Trim())}}}
            if [ "$(type -t conda)" != function ]; then
              for c in "${CONDA_EXE:+${CONDA_EXE%/bin/conda}}" "$HOME/miniconda3" "$HOME/anaconda3" "$HOME/miniforge3" "$HOME/mambaforge" /opt/conda /opt/miniconda3 /opt/anaconda3; do
                if [ -n "$c" ] && [ -f "$c/etc/profile.d/conda.sh" ]; then . "$c/etc/profile.d/conda.sh"; break; fi
              done
            fi
            if [ "$(type -t conda)" != function ] && command -v conda >/dev/null 2>&1; then eval "$(conda shell.bash hook 2>/dev/null)"; fi
            if [ "$(type -t conda)" != function ]; then
              echo "modelide: conda was not found (no etc/profile.d/conda.sh under \$CONDA_EXE, ~/miniconda3, ~/anaconda3, ~/miniforge3, ~/mambaforge or /opt/conda, and no conda on PATH)" >&2
              modelide_fail
            fi
            conda activate "$modelide_conda_env" || { echo "modelide: 'conda activate $modelide_conda_env' failed" >&2; modelide_fail; }

            """,
        JobHostEnvironmentKind.Venv => $$"""
            modelide_venv={{HomePath(Value!.Trim())}}
            if [ ! -f "$modelide_venv/bin/activate" ]; then echo "modelide: $modelide_venv/bin/activate does not exist: not a venv folder" >&2; modelide_fail; fi
            . "$modelide_venv/bin/activate" || { echo "modelide: activating the venv $modelide_venv failed" >&2; modelide_fail; }

            """,
        JobHostEnvironmentKind.Command => "{\n" + Value!.Trim() + "\n} || { echo \"modelide: the host's setup command failed (exit $?)\" >&2; modelide_fail; }\n",
        _ => "",
    };

    /// <summary>A path for the remote shell: a leading ~/ becomes $HOME, the rest is quoted.</summary>
    private static string HomePath(string path) =>
        path == "~" ? "\"$HOME\""
        : path.StartsWith("~/", StringComparison.Ordinal) ? "\"$HOME\"/" + PosixShell.Quote(path[2..])
        : PosixShell.Quote(path);
}

/// <summary>Per-host settings (<c>hosts.json</c> beside jobs.json): the environment to activate on each host.</summary>
public sealed class JobHostStore(string directory)
{
    private static readonly Lock s_gate = new();

    public string FilePath => Path.Combine(directory, "hosts.json");

    /// <summary>The key a host is saved under: user@host:port (the same for its ssh:// and slurm:// backends).</summary>
    public static string KeyOf(JobBackendAddress address) =>
        $"{address.User}@{address.Host}:{address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public JobHostEnvironment Get(JobBackendAddress address)
    {
        lock (s_gate)
        {
            return Read().TryGetValue(KeyOf(address), out var e) ? e : JobHostEnvironment.None;
        }
    }

    public IReadOnlyDictionary<string, JobHostEnvironment> List()
    {
        lock (s_gate)
        {
            return Read();
        }
    }

    public void Set(JobBackendAddress address, JobHostEnvironment environment)
    {
        if (environment.Validate() is { } error)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "Invalid host environment: " + error);
        }

        lock (s_gate)
        {
            var all = Read();
            if (environment.Kind == JobHostEnvironmentKind.None)
            {
                all.Remove(KeyOf(address));
            }
            else
            {
                all[KeyOf(address)] = environment;
            }

            Directory.CreateDirectory(directory);
            var tmp = FilePath + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(all, JobStore.JsonOptions));
            File.Move(tmp, FilePath, overwrite: true);
        }
    }

    private Dictionary<string, JobHostEnvironment> Read()
    {
        if (!File.Exists(FilePath))
        {
            return new Dictionary<string, JobHostEnvironment>(StringComparer.Ordinal);
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, JobHostEnvironment>>(File.ReadAllText(FilePath), JobStore.JsonOptions)
                ?? new Dictionary<string, JobHostEnvironment>(StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new ModelIdeException(ModelIdeErrorKind.IntegrityFailure, $"The host settings {FilePath} are corrupt: {ex.Message}", ex);
        }
    }
}
