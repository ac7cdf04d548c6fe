using System.Collections.Concurrent;
using System.Diagnostics;
using ModelIde.Hub.Models;

namespace ModelIde.Hub.Git;

/// <summary>
/// Bare git repositories of the served models, written object by object from <see cref="GitHistory"/> so their commit
/// ids are the ones the API reports; LFS files are pointers (their bytes come through the LFS batch endpoint). Built on
/// first use and reused across runs (same --data) while the commit ids are the same.
/// </summary>
internal sealed class GitRepositories(string root)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _builds = new(StringComparer.Ordinal);

    /// <summary>Folder given to <c>git http-backend</c> as GIT_PROJECT_ROOT.</summary>
    public string Root { get; } = root;

    /// <summary>Returns the bare repository's path relative to <see cref="Root"/>, building it first if needed.</summary>
    public async Task<string> EnsureAsync(HubModel model, CancellationToken cancellationToken)
    {
        var build = _builds.GetOrAdd(model.Id, _ => new Lazy<Task<string>>(() => BuildAsync(model, CancellationToken.None)));
        try
        {
            return await build.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            _builds.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(model.Id, build)); // let the next request try again
            throw;
        }
    }

    private async Task<string> BuildAsync(HubModel model, CancellationToken cancellationToken)
    {
        var relative = $"{model.Owner}/{model.Name}.git";
        var bare = Path.Combine(Root, model.Owner, model.Name + ".git");
        var marker = Path.Combine(bare, "modelide-complete");
        var history = model.Revisions.OrderBy(r => r.CreatedAt).ToList();
        var fingerprint = string.Join('\n', history.Select(r => $"{(r.IsTag ? "refs/tags/" : "refs/heads/")}{r.Name} {r.CommitId}"));
        if (File.Exists(marker) && await File.ReadAllTextAsync(marker, cancellationToken).ConfigureAwait(false) == fingerprint)
        {
            return relative;
        }

        if (Directory.Exists(bare))
        {
            Directory.Delete(bare, recursive: true);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(bare)!);
        await RunGitAsync(Root, cancellationToken, "init", "-q", "--bare", "-b", "master", bare).ConfigureAwait(false);
        var contents = history.Select(r => new GitRevisionContent(r.Name, r.IsTag, r.CreatedAt, r.Message,
            r.Files.Select(f => new GitFileContent(f.Path, f.Size, f.Sha256, f.IsLfs, f.Open)).ToList())).ToList();
        var commits = await Task.Run(() => GitHistory.Build(contents, Path.Combine(bare, "objects")), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < history.Count; i++)
        {
            if (commits[i].CommitId != history[i].CommitId)
            {
                throw new InvalidOperationException($"{model.Id}@{history[i].Name}: the repository's commit {commits[i].CommitId} is not the API's {history[i].CommitId}.");
            }

            await RunGitAsync(bare, cancellationToken, "update-ref", (history[i].IsTag ? "refs/tags/" : "refs/heads/") + history[i].Name, commits[i].CommitId).ConfigureAwait(false);
        }

        // Read-only: the hub serves clones and fetches, never pushes.
        await RunGitAsync(bare, cancellationToken, "config", "http.receivepack", "false").ConfigureAwait(false);
        await File.WriteAllTextAsync(marker, fingerprint, cancellationToken).ConfigureAwait(false);
        return relative;
    }

    private static async Task<string> RunGitAsync(string workingDirectory, CancellationToken cancellationToken, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start git.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {args[0]} failed ({process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()}");
        }

        return await stdout.ConfigureAwait(false);
    }
}
