using System.Security.Cryptography;

namespace ModelIde.Hub.Git;

/// <summary>One file of a revision as git stores it: LFS files as pointers, the rest as their bytes.</summary>
internal sealed record GitFileContent(string Path, long Size, string Sha256, bool IsLfs, Func<Stream> Open);

/// <summary>One revision of a linear history (oldest first), with its commit's date and message.</summary>
internal sealed record GitRevisionContent(string Name, bool IsTag, DateTimeOffset Date, string Message, IReadOnlyList<GitFileContent> Files);

/// <summary>The commit of a revision and, per path, the commit that last changed the file (what the API lists as its Revision).</summary>
internal sealed record GitRevisionCommit(string Name, bool IsTag, string CommitId, string? ParentId, IReadOnlyDictionary<string, int> LastChangedBy);

/// <summary>
/// The git history the hub serves for a folder model, computed from the files alone: the same object ids whether the
/// catalogue only needs the commit ids (for the API) or the repository is being written (for git and git-lfs), so a
/// commit id from the API is the commit git clones, and pinning a revision by commit works on both.
/// </summary>
internal static class GitHistory
{
    public const string AuthorName = "ModelIde Hub";
    public const string AuthorEmail = "hub@modelide.local";

    /// <param name="objectsDirectory">When set, every object is written there as a loose object.</param>
    public static IReadOnlyList<GitRevisionCommit> Build(IReadOnlyList<GitRevisionContent> revisions, string? objectsDirectory = null)
    {
        var result = new List<GitRevisionCommit>();
        var lastBlob = new Dictionary<string, (string Blob, int Revision)>(StringComparer.Ordinal);
        string? parent = null;
        for (var i = 0; i < revisions.Count; i++)
        {
            var revision = revisions[i];
            var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
            var lastChanged = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var file in revision.Files)
            {
                var blob = GitObject.Blob(file.IsLfs ? GitLfs.Pointer(file.Sha256, file.Size) : ReadAll(file));
                blob.WriteLooseTo(objectsDirectory);
                blobs[file.Path] = blob.Id;
                lastChanged[file.Path] = lastBlob.TryGetValue(file.Path, out var before) && before.Blob == blob.Id ? before.Revision : i;
            }

            var trees = GitObject.Trees(blobs);
            trees.ForEach(t => t.WriteLooseTo(objectsDirectory));
            var commit = GitObject.Commit(trees[^1].Id, parent, AuthorName, AuthorEmail, revision.Date, revision.Message);
            commit.WriteLooseTo(objectsDirectory);
            result.Add(new GitRevisionCommit(revision.Name, revision.IsTag, commit.Id, parent, lastChanged));
            lastBlob.Clear();
            foreach (var (path, blob) in blobs)
            {
                lastBlob[path] = (blob, lastChanged[path]);
            }

            parent = commit.Id;
        }

        return result;
    }

    private static byte[] ReadAll(GitFileContent file)
    {
        using var stream = file.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        // The catalogue hashed these bytes already; a file that changed since would give a history that lies.
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != file.Sha256)
        {
            throw new InvalidOperationException($"'{file.Path}' changed while the hub was running; restart the hub to serve it.");
        }

        return bytes;
    }
}
