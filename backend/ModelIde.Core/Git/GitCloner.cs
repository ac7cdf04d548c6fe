using System.Text.RegularExpressions;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.Models;

namespace ModelIde.Core.Git;

/// <summary>
/// Clones <c>{endpoint}/models/{owner}/{name}.git</c>. The token reaches git only through a
/// <see cref="HubOnlyCredentialHelper"/>, which answers for the hub's own origin and for no other host, and git does
/// not follow redirects. LFS content is fetched after the checkout and only from the hub: a repository whose LFS
/// settings (<c>.lfsconfig</c>) name another host keeps its pointers, and the clone fails saying so.
/// </summary>
public sealed partial class GitCloner
{
    private readonly GitProcess _git;
    private readonly Auth.PlainHttpPolicy _plainHttp;

    /// <param name="git">The git executable.</param>
    /// <param name="environment">Extra variables for every git process (tests give git an isolated HOME).</param>
    /// <param name="plainHttp">Which plain-http hosts may receive the token (default: loopback and the user's opt-ins).</param>
    public GitCloner(string git = "git", IReadOnlyDictionary<string, string>? environment = null, Auth.PlainHttpPolicy? plainHttp = null)
    {
        _git = new GitProcess(git, environment);
        _plainHttp = plainHttp ?? Auth.PlainHttpPolicy.FromEnvironment();
    }

    /// <summary>Leave LFS files as pointers (the user chose not to download them); otherwise git-lfs fetches them from the hub.</summary>
    public bool SkipLfs { get; init; }

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
        var url = CloneUri(endpoint, id);
        if (!string.IsNullOrEmpty(token))
        {
            // The credential helper answers the hub's origin only, and never a plain-http one unless the user allowed it.
            _plainHttp.EnsureMaySendCredentials(url, "your ModelScope git token");
        }

        using var credentials = string.IsNullOrEmpty(token) ? null : new HubOnlyCredentialHelper(url, token);
        List<string> args = ["clone", "--progress"];
        if (rev is not null)
        {
            args.AddRange(["--branch", rev]);
        }

        args.AddRange(["--", url.ToString(), target]);
        // The checkout leaves LFS pointers whatever the user's git config says: LFS content comes after the hub check.
        var clone = await _git.RunAsync(args, null, credentials, progress, cancellationToken, skipSmudge: true).ConfigureAwait(false);
        if (clone.ExitCode != 0)
        {
            throw CloneFailed(id, url, clone.ExitCode, SecretRedactor.Redact(clone.ErrorTail));
        }

        if (await IsGitLfsAvailableAsync(cancellationToken).ConfigureAwait(false))
        {
            await _git.RunAsync(["lfs", "install", "--local"], target, null, null, cancellationToken).ConfigureAwait(false);
            if (!SkipLfs)
            {
                await PullLfsAsync(id, url, target, credentials, progress, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (!SkipLfs && UsesLfs(target))
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure,
                $"Cloned {id} into '{target}', but git-lfs is not installed, so its LFS files (weights) are pointers. Install git-lfs " +
                "(e.g. apt install git-lfs) and run `git lfs install --local && git lfs pull` there, or clone without LFS files on purpose.");
        }

        return target;
    }

    public async Task<bool> IsGitLfsAvailableAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await _git.RunAsync(["lfs", "version"], null, null, null, cancellationToken).ConfigureAwait(false)).ExitCode == 0;
        }
        catch (ModelIdeException)
        {
            return false;
        }
    }

    private async Task PullLfsAsync(ModelId id, Uri url, string target, HubOnlyCredentialHelper? credentials, Action<GitCloneProgress>? progress, CancellationToken cancellationToken)
    {
        // `git lfs env` resolves the endpoints (.lfsconfig, remote.*.lfsurl, the user's config) without a request.
        var env = await _git.RunAsync(["lfs", "env"], target, null, null, cancellationToken).ConfigureAwait(false);
        if (env.ExitCode != 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure,
                $"Cloned {id} into '{target}', but `git lfs env` failed (exit {env.ExitCode}); LFS files were not downloaded: {SecretRedactor.Redact(env.ErrorTail).Trim()}");
        }

        foreach (Match m in LfsEndpointLine().Matches(env.Output))
        {
            var endpoint = m.Groups["url"].Value;
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var lfs) || !HubOnlyCredentialHelper.SameOrigin(url, lfs))
            {
                throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput,
                    $"Cloned {id} into '{target}', but its LFS files were not downloaded: the repository's LFS settings (.lfsconfig) " +
                    $"send LFS requests to {Shown(endpoint)}, which is not the hub ({url.GetLeftPart(UriPartial.Authority)}). " +
                    "ModelIde sends your token only to the hub and fetches LFS content only from it; the LFS files are pointers.");
            }
        }

        var pull = await _git.RunAsync(["lfs", "pull"], target, credentials, progress, cancellationToken).ConfigureAwait(false);
        if (pull.ExitCode != 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure,
                $"Cloned {id} into '{target}', but `git lfs pull` failed (exit {pull.ExitCode}); LFS files may be pointers: {SecretRedactor.Redact(pull.ErrorTail).Trim()}");
        }
    }

    private static bool UsesLfs(string repository)
    {
        var attributes = Path.Combine(repository, ".gitattributes");
        return File.Exists(attributes) && new FileInfo(attributes).Length < 1 << 20 && File.ReadAllText(attributes).Contains("filter=lfs", StringComparison.Ordinal);
    }

    private static ModelIdeException CloneFailed(ModelId id, Uri url, int code, string text)
    {
        if (RedirectRefused().IsMatch(text))
        {
            return new ModelIdeException(ModelIdeErrorKind.RemoteFailure,
                $"git clone of {id} failed: {url.GetLeftPart(UriPartial.Authority)} answered with a redirect, and ModelIde does not follow " +
                $"redirects with your token; set the endpoint to the hub's own address. git said: {text.Trim()}");
        }

        var kind = text.Contains("Authentication failed", StringComparison.OrdinalIgnoreCase) || text.Contains("could not read Username", StringComparison.OrdinalIgnoreCase)
            ? ModelIdeErrorKind.AuthenticationRequired
            : text.Contains("not found", StringComparison.OrdinalIgnoreCase) ? ModelIdeErrorKind.NotFound : ModelIdeErrorKind.RemoteFailure;
        return new ModelIdeException(kind, $"git clone of {id} failed (exit {code}): {text.Trim()}");
    }

    private static string Shown(string text) =>
        new(SecretRedactor.Redact(text).Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    // `git lfs env`: "Endpoint=http://host/path (auth=none)", "Endpoint (other-remote)=...".
    [GeneratedRegex(@"^Endpoint(?: \([^)]*\))?=(?<url>\S+)", RegexOptions.Multiline)]
    private static partial Regex LfsEndpointLine();

    // git with http.followRedirects=false: "The requested URL returned error: 302".
    [GeneratedRegex(@"returned error: 30[12378]\b")]
    private static partial Regex RedirectRefused();
}
