using System.Diagnostics;
using System.Text.RegularExpressions;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.Models;

namespace ModelIde.Core.Git;

/// <summary>Progress of a clone, parsed from git's <c>--progress</c> lines (e.g. "Receiving objects:  45% (9/20)").</summary>
public sealed record GitCloneProgress(string Phase, int Percent, long? Done, long? Total);

/// <summary>
/// Clones <c>{endpoint}/models/{owner}/{name}.git</c>. The token reaches git through GIT_ASKPASS: a tiny script that
/// prints an environment variable set only on the git child process, so the token is never in the remote URL,
/// in <c>.git/config</c>, on a command line or in a credential store.
/// </summary>
public sealed partial class GitCloner
{
    public const string TokenVariable = "MODELIDE_GIT_ASKPASS_TOKEN";
    public const string UserVariable = "MODELIDE_GIT_ASKPASS_USER";
    private readonly string _git;
    private readonly Auth.PlainHttpPolicy _plainHttp;

    public GitCloner(string git = "git", Auth.PlainHttpPolicy? plainHttp = null)
    {
        _git = git;
        _plainHttp = plainHttp ?? Auth.PlainHttpPolicy.FromEnvironment();
    }

    public static Uri CloneUri(Uri endpoint, ModelId id) => new(endpoint, $"models/{id.Owner}/{id.Name}.git");

    public async Task<string> CloneAsync(Uri endpoint, ModelId id, string targetDir, string? revision, string? token, Action<GitCloneProgress>? progress, CancellationToken cancellationToken)
    {
        var rev = revision is null ? null : ModelId.ValidateRevision(revision);
        var target = Path.GetFullPath(targetDir);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new ModelIdeException(ModelIdeErrorKind.Conflict, $"'{target}' already exists and is not empty; choose another folder.");
        }

        SecretRedactor.AddKnownSecret(token);
        var url = CloneUri(endpoint, id).ToString();
        if (!string.IsNullOrEmpty(token))
        {
            // The askpass script hands the token to whatever host git asks for: never a plain-http one unless allowed.
            _plainHttp.EnsureMaySendCredentials(CloneUri(endpoint, id), "your ModelScope git token");
        }

        var askpassDir = Directory.CreateTempSubdirectory("modelide-askpass-");
        try
        {
            var askpass = WriteAskpassScript(askpassDir.FullName);
            var args = new List<string>
            {
                // An empty helper list: no stored credential is used, and nothing is written to one.
                "-c", "credential.helper=",
                "-c", "core.askPass=" + askpass,
                "clone", "--progress",
            };
            if (rev is not null)
            {
                args.AddRange(["--branch", rev]);
            }

            args.AddRange(["--", url, target]);
            var (code, tail) = await RunGitAsync(args, null, askpass, token, progress, cancellationToken).ConfigureAwait(false);
            if (code != 0)
            {
                var text = SecretRedactor.Redact(tail);
                var kind = text.Contains("Authentication failed", StringComparison.OrdinalIgnoreCase) || text.Contains("could not read Username", StringComparison.OrdinalIgnoreCase)
                    ? ModelIdeErrorKind.AuthenticationRequired
                    : text.Contains("not found", StringComparison.OrdinalIgnoreCase) ? ModelIdeErrorKind.NotFound : ModelIdeErrorKind.RemoteFailure;
                throw new ModelIdeException(kind, $"git clone of {id} failed (exit {code}): {text.Trim()}");
            }

            if (await IsGitLfsAvailableAsync(cancellationToken).ConfigureAwait(false))
            {
                await RunGitAsync(["lfs", "install", "--local"], target, null, null, null, cancellationToken).ConfigureAwait(false);
            }

            return target;
        }
        finally
        {
            askpassDir.Delete(recursive: true);
        }
    }

    public async Task<bool> IsGitLfsAvailableAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (code, _) = await RunGitAsync(["lfs", "version"], null, null, null, null, cancellationToken).ConfigureAwait(false);
            return code == 0;
        }
        catch (ModelIdeException)
        {
            return false;
        }
    }

    private static string WriteAskpassScript(string dir)
    {
        // git calls the script with a prompt ("Username for ...", "Password for ..."); the values come from the env.
        if (OperatingSystem.IsWindows())
        {
            var cmd = Path.Combine(dir, "askpass.cmd");
            File.WriteAllText(cmd, $"@echo off\r\necho %1 | findstr /b /i \"Username\" >nul && (echo %{UserVariable}%) || (echo %{TokenVariable}%)\r\n");
            return cmd;
        }

        var sh = Path.Combine(dir, "askpass.sh");
        File.WriteAllText(sh, $"#!/bin/sh\ncase \"$1\" in\n  Username*) printf '%s\\n' \"${UserVariable}\" ;;\n  *) printf '%s\\n' \"${TokenVariable}\" ;;\nesac\n");
        File.SetUnixFileMode(sh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return sh;
    }

    private async Task<(int Code, string Tail)> RunGitAsync(IReadOnlyList<string> args, string? workingDir, string? askpass, string? token, Action<GitCloneProgress>? progress, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(_git)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDir ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GCM_INTERACTIVE"] = "never";
        psi.Environment.Remove("GIT_ASKPASS");
        psi.Environment.Remove("SSH_ASKPASS");
        if (askpass is not null)
        {
            psi.Environment["GIT_ASKPASS"] = askpass;
            psi.Environment[UserVariable] = "oauth2";
            psi.Environment[TokenVariable] = token ?? string.Empty;
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

            return (process.ExitCode, string.Join('\n', tail));
        }
    }

    private static async Task ReadProgressAsync(StreamReader reader, Queue<string> tail, Action<GitCloneProgress>? progress, CancellationToken cancellationToken)
    {
        // git separates progress updates with '\r'; read char blocks and split on both line ends.
        var buffer = new char[4096];
        var line = new System.Text.StringBuilder();
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
                int.Parse(m.Groups["pct"].Value, System.Globalization.CultureInfo.InvariantCulture),
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

    [GeneratedRegex(@"^(?:remote: )?(?<phase>[A-Za-z ]+):\s+(?<pct>\d{1,3})% \((?<done>\d+)/(?<total>\d+)\)")]
    private static partial Regex ProgressLine();
}
