using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ModelIde.Hub.Git;

/// <summary>A git object (type + content) and its id, SHA-1 of <c>"{type} {length}\0{content}"</c>.</summary>
internal sealed record GitObject(string Type, byte[] Content)
{
    public string Id { get; } = Convert.ToHexStringLower(SHA1.HashData(Framed(Type, Content)));

    /// <summary>A blob of <paramref name="content"/>.</summary>
    public static GitObject Blob(byte[] content) => new("blob", content);

    /// <summary>
    /// A tree of files (<c>path → blob id</c>, paths with '/'), with its sub-trees; all regular files (mode 100644).
    /// Returns the root tree last.
    /// </summary>
    public static List<GitObject> Trees(IReadOnlyDictionary<string, string> blobIdsByPath)
    {
        var trees = new List<GitObject>();
        Tree("", blobIdsByPath, trees);
        return trees;
    }

    /// <summary>A commit with one fixed author and committer, as <c>git commit -m</c> writes it.</summary>
    public static GitObject Commit(string treeId, string? parentId, string name, string email, DateTimeOffset date, string message)
    {
        var when = string.Create(CultureInfo.InvariantCulture, $"{date.ToUnixTimeSeconds()} +0000");
        var text = new StringBuilder()
            .Append("tree ").Append(treeId).Append('\n');
        if (parentId is not null)
        {
            text.Append("parent ").Append(parentId).Append('\n');
        }

        text.Append("author ").Append(name).Append(" <").Append(email).Append("> ").Append(when).Append('\n')
            .Append("committer ").Append(name).Append(" <").Append(email).Append("> ").Append(when).Append('\n')
            .Append('\n').Append(message.TrimEnd('\n')).Append('\n');
        return new GitObject("commit", Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Writes the object as a loose object under <paramref name="objectsDirectory"/> (zlib, <c>ab/cdef...</c>); null: nothing.</summary>
    public void WriteLooseTo(string? objectsDirectory)
    {
        if (objectsDirectory is null)
        {
            return;
        }

        var path = Path.Combine(objectsDirectory, Id[..2], Id[2..]);
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var file = File.Create(temp))
        using (var zlib = new ZLibStream(file, CompressionLevel.Fastest))
        {
            zlib.Write(Framed(Type, Content));
        }

        File.Move(temp, path, overwrite: true);
    }

    private static byte[] Framed(string type, byte[] content) =>
        [.. Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{type} {content.Length}\0")), .. content];

    private static string Tree(string prefix, IReadOnlyDictionary<string, string> files, List<GitObject> trees)
    {
        var entries = new List<(string Name, bool IsTree, string Id)>();
        foreach (var group in files.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal))
                     .GroupBy(p => p[prefix.Length..].Split('/')[0], StringComparer.Ordinal))
        {
            var isTree = group.Any(p => p[prefix.Length..].Contains('/', StringComparison.Ordinal));
            entries.Add(isTree
                ? (group.Key, true, Tree(prefix + group.Key + "/", files, trees))
                : (group.Key, false, files[prefix + group.Key]));
        }

        // git orders entries by name bytes, a sub-tree's name compared as if it ended in '/'.
        entries.Sort((a, b) => Encoding.UTF8.GetBytes(a.IsTree ? a.Name + "/" : a.Name).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b.IsTree ? b.Name + "/" : b.Name)));
        using var content = new MemoryStream();
        foreach (var (name, isTree, id) in entries)
        {
            content.Write(Encoding.UTF8.GetBytes((isTree ? "40000 " : "100644 ") + name + "\0"));
            content.Write(Convert.FromHexString(id));
        }

        var tree = new GitObject("tree", content.ToArray());
        trees.Add(tree);
        return tree.Id;
    }
}
