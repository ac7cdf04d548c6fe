using System.Globalization;

namespace ModelIde.Core.Jobs;

/// <summary>
/// The ms-swift found on a host: the <c>swift</c> on PATH after the host's environment is activated, the Python its
/// shebang names (the one pip installed it for), and <c>importlib.metadata.version('ms-swift')</c> of that Python,
/// which reads the installed metadata without importing swift (3.x imports torch eagerly).
/// </summary>
public sealed record SwiftInstallation(string Version, int Major, string SwiftPath, string Python, bool HasBitsAndBytes)
{
    /// <summary>The probe run in a login shell after the environment's activation; prints key=value lines.</summary>
    public static string ProbeScript(JobHostEnvironment environment) =>
        "modelide_fail() { exit " + JobHostEnvironment.ActivationFailedExitCode.ToString(CultureInfo.InvariantCulture) + "; }\n" +
        environment.ActivationScript() +
        """
        s=$(command -v swift 2>/dev/null) || { echo "swift is not on PATH ($PATH)" >&2; exit 3; }
        echo "swift=$s"
        l1=$(head -n 1 "$s" 2>/dev/null)
        py=""
        case "$l1" in
          '#!/usr/bin/env '*) for w in ${l1#'#!/usr/bin/env '}; do case "$w" in -*|*=*) ;; *) py=$w; break;; esac; done ;;
          '#!/bin/sh'*) py=$(sed -n "2s/^'''exec' *\"\{0,1\}\([^\" ]*\).*/\1/p" "$s") ;;
          '#!'*) py=${l1#'#!'}; py=${py%% *} ;;
        esac
        [ -n "$py" ] || { echo "cannot tell which Python runs $s (first line: $l1)" >&2; exit 4; }
        echo "python=$py"
        "$py" - <<'MODELIDE_PY'
        import importlib.util
        import sys
        try:
            from importlib import metadata
        except ImportError:
            import importlib_metadata as metadata


        def version(name):
            try:
                return metadata.version(name)
            except Exception:
                return None


        print('executable=' + sys.executable)
        print('bnb=' + ('1' if importlib.util.find_spec('bitsandbytes') else '0'))
        v = version('ms-swift') or version('ms_swift')
        if v is None:
            sys.stderr.write('the package ms-swift is not installed for ' + sys.executable + '\n')
            sys.exit(5)
        print('version=' + v)
        MODELIDE_PY

        """;

    /// <summary>Reads the probe's answer; throws with the host's own stderr when swift is missing, too old or too new.</summary>
    public static SwiftInstallation FromProbe(string host, JobHostEnvironment environment, int exitStatus, string stdout, string stderr)
    {
        var facts = stdout.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains('=', StringComparison.Ordinal))
            .GroupBy(l => l[..l.IndexOf('=', StringComparison.Ordinal)], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[(g.Key.Length + 1)..], StringComparer.Ordinal);
        var where = environment.Kind == JobHostEnvironmentKind.None ? "in a login shell" : "after activating the " + environment.Describe();
        var err = Diagnostics.SecretRedactor.Redact(stderr.Trim());
        var detail = err.Length > 0 ? " The host said: " + (err.Length > 2000 ? err[^2000..] : err) : "";
        if (exitStatus != 0 || !facts.TryGetValue("version", out var version))
        {
            var what = exitStatus switch
            {
                JobHostEnvironment.ActivationFailedExitCode => $"The environment for {host} could not be activated ({environment.Describe()}).",
                3 => $"ms-swift was not found on {host}: there is no swift command {where}.",
                4 => $"ms-swift's swift command on {host} ({facts.GetValueOrDefault("swift")}) does not name a Python interpreter.",
                5 => $"The swift command on {host} ({facts.GetValueOrDefault("swift")}) runs {facts.GetValueOrDefault("python")}, which has no ms-swift package installed.",
                _ => $"Looking for ms-swift on {host} failed (exit code {exitStatus.ToString(CultureInfo.InvariantCulture)}).",
            };
            var hint = exitStatus is 3 or 5 ? " Install it there (pip install 'ms-swift>=3'), or set the host's environment (a conda env, a venv or a setup command) in ModelIde." : "";
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, what + detail + hint) { ServerCode = "swift-not-found" };
        }

        var major = SwiftCommandBuilder.ParseMajorVersion(version);
        var python = facts.GetValueOrDefault("executable") ?? facts.GetValueOrDefault("python") ?? "python";
        if (major is null or < 3)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure,
                $"ms-swift {version} on {host} ({python}) is too old: ModelIde writes command lines for ms-swift 3.x and 4.x (2.x names its arguments differently, e.g. --sft_type). Upgrade it there: {python} -m pip install -U 'ms-swift>=3'.") { ServerCode = "swift-unsupported" };
        }

        if (major > 4)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure,
                $"ms-swift {version} on {host} ({python}) is newer than the versions ModelIde knows (3.x and 4.x); its arguments may have changed. Install ms-swift 4.x there or update ModelIde.") { ServerCode = "swift-unsupported" };
        }

        return new SwiftInstallation(version.Trim(), major.Value, facts.GetValueOrDefault("swift") ?? "swift", python, facts.GetValueOrDefault("bnb") == "1");
    }
}
