using ModelIde.Core.Models;

namespace ModelIde.Core.Downloads;

/// <summary>
/// A file of a download's plan, with where it goes in the cache and where the hub serves it, each worked out once, by
/// whichever step needs it first (the look-ahead for its redirect or its own turn), so a folder of many small files
/// does not resolve and parse each path several times before its first byte is asked for.
/// </summary>
internal sealed class PlannedFile(RepoFile file, string folder, Func<string, Uri> hubUri)
{
    public RepoFile File => file;

    /// <summary>The file's path in the cache (the listed path checked again to resolve inside <c>folder</c>).</summary>
    public string Target => field ??= RepoPathValidator.ResolveUnder(folder, file.Path);

    /// <summary>The hub's download URL for the file (it redirects to the blob host).</summary>
    public Uri HubUri => field ??= hubUri(file.Path);
}
