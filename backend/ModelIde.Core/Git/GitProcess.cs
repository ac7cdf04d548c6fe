using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelIde.Core.Git;

/// <summary>Progress of a clone, parsed from git's <c>--progress</c> lines (e.g. "Receiving objects:  45% (9/20)").</summary>
public sealed record GitCloneProgress(string Phase, int Percent, long? Done, long? Total);

/// <summary>What one git run gave back: the exit code, all of stdout and the last lines of stderr.</summary>
internal sealed record GitResult(int ExitCode, string Output, string ErrorTail);

/// <summary>
/// Runs git under the clone's credential rules on every call (git-lfs inherits them through
/// <c>GIT_CONFIG_PARAMETERS</c>): the user's credential helpers and askpass programs are replaced by a
/// <see cref="HubOnlyCredentialHelper"/> (or by nothing), there is no prompt, and git does not follow redirects.
/// </summary>
internal sealed partial class GitProcess(string git, IReadOnlyDictionary<string, string>? environment)
{
    public async Task<GitResult> RunAsync(IReadOnlyList<string> args, string? workingDir, HubOnlyCredentialHelper? credentials, Action<GitCloneProgress>? progress, CancellationToken cancellationToken, bool skipSmudge = false)
    {
        var psi = new ProcessStartInfo(git)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDir ?? Environment.CurrentDirectory,
        };
        // An empty credential.helper clears the list the user's config built; then only ours (if any) is asked.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("credential.helper=");
        if (credentials is not null)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("credential.helper=" + credentials.HelperConfigValue);
        }

        foreach (var setting in (string[])["core.askPass=", "http.followRedirects=false"])
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(setting);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GCM_INTERACTIVE"] = "never";
        psi.Environment.Remove("GIT_ASKPASS");
        psi.Environment.Remove("SSH_ASKPASS");
        psi.Environment.Remove(HubOnlyCredentialHelper.TokenVariable);
        if (credentials is not null)
        {
            psi.Environment[HubOnlyCredentialHelper.TokenVariable] = credentials.Token;
        }

        if (skipSmudge)
        {
            psi.Environment["GIT_LFS_SKIP_SMUDGE"] = "1";
        }
        else
        {
            psi.Environment.Remove("GIT_LFS_SKIP_SMUDGE");
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, "Could not start git.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"git is not installed or not on PATH ({ex.Message}).", ex);
        }

        using (process)
        {
            process.StandardInput.Close();
            var tail = new Queue<string>();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = ReadProgressAsync(process.StandardError, tail, progress, cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            return new GitResult(process.ExitCode, await stdout.ConfigureAwait(false), string.Join('\n', tail));
        }
    }

    private static async Task ReadProgressAsync(StreamReader reader, Queue<string> tail, Action<GitCloneProgress>? progress, CancellationToken cancellationToken)
    {
        // git separates progress updates with '\r'; read char blocks and split on both line ends.
        var buffer = new char[4096];
        var line = new StringBuilder();
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] is '\r' or '\n')
                {
                    Emit(line.ToString(), tail, progress);
                    line.Clear();
                }
                else
                {
                    line.Append(buffer[i]);
                }
            }
        }

        Emit(line.ToString(), tail, progress);
    }

    private static void Emit(string line, Queue<string> tail, Action<GitCloneProgress>? progress)
    {
        if (line.Length == 0)
        {
            return;
        }

        var m = ProgressLine().Match(line);
        if (m.Success)
        {
            progress?.Invoke(new GitCloneProgress(
                m.Groups["phase"].Value,
                int.Parse(m.Groups["pct"].Value, CultureInfo.InvariantCulture),
                long.TryParse(m.Groups["done"].Value, out var d) ? d : null,
                long.TryParse(m.Groups["total"].Value, out var t) ? t : null));
            return;
        }

        tail.Enqueue(line);
        while (tail.Count > 20)
        {
            tail.Dequeue();
        }
    }

    // git: "Receiving objects:  45% (9/20)"; git-lfs: "Downloading LFS objects: 100% (1/1), 5 B | 0 B/s".
    [GeneratedRegex(@"^(?:remote: )?(?<phase>[A-Za-z ]+):\s+(?<pct>\d{1,3})% \((?<done>\d+)/(?<total>\d+)\)")]
    private static partial Regex ProgressLine();
}
