using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ModelIde.Hub.Models;

namespace ModelIde.Hub.Git;

/// <summary>
/// Bare git repositories built from the served models (one commit per revision, fixed author and dates, so the
/// history is reproducible). Built on first use, because a 20 MB model takes a moment to commit.
/// </summary>
internal sealed class GitRepositories(string root)
{
    private const string Author = "ModelIde Hub";
    private const string AuthorEmail = "hub@modelide.local";
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
        // Reuse a repository from an earlier run (same --data) only when it was built from the same content.
        var fingerprint = string.Join('\n', model.Revisions.OrderBy(r => r.Name, StringComparer.Ordinal)
            .SelectMany(r => r.Files.Select(f => $"{r.Name}:{f.Path}:{f.Sha256}")));
        if (File.Exists(marker) && await File.ReadAllTextAsync(marker, cancellationToken).ConfigureAwait(false) == fingerprint)
        {
            return relative;
        }

        if (Directory.Exists(bare))
        {
            Directory.Delete(bare, recursive: true);
        }

        var work = Path.Combine(Root, ".work", $"{model.Owner}--{model.Name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            await RunGitAsync(work, null, cancellationToken, "init", "-q", "-b", "master").ConfigureAwait(false);
            foreach (var revision in model.Revisions.OrderBy(r => r.CreatedAt))
            {
                await WriteTreeAsync(work, revision, cancellationToken).ConfigureAwait(false);
                await RunGitAsync(work, null, cancellationToken, "add", "-A").ConfigureAwait(false);
                var date = revision.CreatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + " +0000";
                var message = revision.Files.Select(f => f.CommitMessage).LastOrDefault() ?? $"Revision {revision.Name}";
                await RunGitAsync(work, date, cancellationToken, "commit", "-q", "--allow-empty", "-m", message).ConfigureAwait(false);
                var commit = (await RunGitAsync(work, null, cancellationToken, "rev-parse", "HEAD").ConfigureAwait(false)).Trim();
                await RunGitAsync(work, null, cancellationToken, "update-ref", (revision.IsTag ? "refs/tags/" : "refs/heads/") + revision.Name, commit).ConfigureAwait(false);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(bare)!);
            await RunGitAsync(Root, null, cancellationToken, "clone", "-q", "--bare", work, bare).ConfigureAwait(false);
            // Read-only: the hub serves clones and fetches, never pushes.
            await RunGitAsync(bare, null, cancellationToken, "config", "http.receivepack", "false").ConfigureAwait(false);
            await RunGitAsync(bare, null, cancellationToken, "remote", "remove", "origin").ConfigureAwait(false);
            await File.WriteAllTextAsync(marker, fingerprint, cancellationToken).ConfigureAwait(false);
            return relative;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task WriteTreeAsync(string work, HubRevision revision, CancellationToken cancellationToken)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(work))
        {
            if (Path.GetFileName(entry) == ".git")
            {
                continue;
            }

            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        foreach (var file in revision.Files)
        {
            var target = Path.Combine(work, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var source = file.Open();
            await using var destination = File.Create(target);
            await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<string> RunGitAsync(string workingDirectory, string? date, CancellationToken cancellationToken, params string[] args)
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
        psi.Environment["GIT_AUTHOR_NAME"] = Author;
        psi.Environment["GIT_AUTHOR_EMAIL"] = AuthorEmail;
        psi.Environment["GIT_COMMITTER_NAME"] = Author;
        psi.Environment["GIT_COMMITTER_EMAIL"] = AuthorEmail;
        if (date is not null)
        {
            psi.Environment["GIT_AUTHOR_DATE"] = date;
            psi.Environment["GIT_COMMITTER_DATE"] = date;
        }

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
