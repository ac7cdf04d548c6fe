using System.Diagnostics;

namespace ModelIde.TestSupport;

/// <summary>
/// MODELIDE_SSH_* / MODELIDE_SLURM_* of the sshd (stand-in swift) and Slurm the job tests run against, as exported by
/// scripts/setup/20-ssh.sh and 21-slurm.sh; when they are absent (dotnet test run by hand) the scripts are run here.
/// </summary>
public static class TestServers
{
    private static readonly string[] s_names = ["MODELIDE_SSH_HOST", "MODELIDE_SSH_PORT", "MODELIDE_SSH_USER", "MODELIDE_SSH_KEY", "MODELIDE_SSH_HOST_FINGERPRINT", "MODELIDE_SSH_DATASET", "MODELIDE_SLURM_REST_URL", "MODELIDE_SLURM_JWT_FILE", "MODELIDE_SLURM_USER"];
    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_environment = new(Load);

    public static IReadOnlyDictionary<string, string> Environment() => s_environment.Value;

    private static Dictionary<string, string> Load()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in s_names)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } v)
            {
                result[name] = v;
            }
        }

        if (result.Count == s_names.Length)
        {
            return result;
        }

        foreach (var (name, value) in RunSetupScripts())
        {
            result[name] = value;
        }

        return result;
    }

    /// <summary>Runs scripts/setup/20-ssh.sh and 21-slurm.sh (idempotent: running daemons are reused); returns every variable they export.</summary>
    public static Dictionary<string, string> RunSetupScripts()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var envFile = Path.GetTempFileName();
        try
        {
            foreach (var script in new[] { "scripts/setup/20-ssh.sh", "scripts/setup/21-slurm.sh" })
            {
                var psi = new ProcessStartInfo("bash", Path.Combine(RepoPaths.Root(), script)) { RedirectStandardOutput = true, RedirectStandardError = true };
                psi.Environment["MODELIDE_TEST_ENV"] = envFile;
                using var p = Process.Start(psi)!;
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    throw new InvalidOperationException($"{script} failed ({p.ExitCode}): {stdout.Result}{stderr}");
                }
            }

            foreach (var line in File.ReadAllLines(envFile))
            {
                var l = line.StartsWith("export ", StringComparison.Ordinal) ? line[7..] : line;
                var eq = l.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    result[l[..eq]] = l[(eq + 1)..].Trim('"', '\'');
                }
            }
        }
        finally
        {
            File.Delete(envFile);
        }

        return result;
    }
}
