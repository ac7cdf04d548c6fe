using Microsoft.Win32.SafeHandles;

namespace ModelIde.Core.Downloads;

/// <summary>
/// File-system steps that never go through a symbolic link: a link (or a FIFO, socket or folder) planted in the cache
/// under a name we write must not send our bytes, or our reads, anywhere else. Entries are checked with lstat
/// (<see cref="FileSystemInfo.LinkTarget"/>) and, once opened, by whether they can be positioned (a FIFO cannot).
/// </summary>
internal static class NoFollow
{
    public enum Entry
    {
        None,
        File,
        Folder,
        Link,
    }

    public static Entry Kind(string path)
    {
        // One lstat: a link (dangling or not) is a reparse point whatever it points at. Several of these run per file
        // of a download, so a folder of many small files pays for every extra system call.
        var attributes = new FileInfo(path).Attributes;
        if ((int)attributes == -1)
        {
            return Entry.None;
        }

        if (attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            return Entry.Link;
        }

        return attributes.HasFlag(FileAttributes.Directory) ? Entry.Folder : Entry.File;
    }

    /// <summary>
    /// Opens an existing regular file for reading and writing. A link or another non-regular entry there is removed
    /// (never followed) and null returned; so is a missing one. A folder there is refused.
    /// </summary>
    public static SafeFileHandle? OpenExisting(string path)
    {
        switch (Kind(path))
        {
            case Entry.None:
                return null;
            case Entry.Link:
                File.Delete(path); // deletes the link itself
                return null;
            case Entry.Folder:
                throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"'{path}' is a folder where ModelIde keeps a partial file. Remove it and download again.");
        }

        SafeFileHandle handle;
        try
        {
            // O_RDWR: opening a FIFO this way does not wait for a peer, so it cannot hang here.
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        }
        catch (IOException) when (Kind(path) == Entry.File)
        {
            // A socket cannot be opened at all.
            File.Delete(path);
            return null;
        }

        try
        {
            _ = RandomAccess.GetLength(handle); // throws for a FIFO or anything else that cannot be positioned
            return handle;
        }
        catch (NotSupportedException)
        {
            handle.Dispose();
            File.Delete(path);
            return null;
        }
    }

    /// <summary>Creates a new file; O_CREAT|O_EXCL fails on any existing entry, a dangling link included, so nothing is followed.</summary>
    public static SafeFileHandle CreateNew(string path)
    {
        RemoveUnlessFolder(path);
        return CreateWhereNothingIs(path);
    }

    /// <summary>
    /// <see cref="CreateNew"/> where <see cref="Kind"/> has just found nothing: an entry that has appeared since makes it
    /// fail rather than be removed or followed.
    /// </summary>
    public static SafeFileHandle CreateWhereNothingIs(string path) =>
        File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);

    /// <summary>Removes whatever file or link is at <paramref name="path"/> (a link is removed, never its target).</summary>
    public static void RemoveUnlessFolder(string path)
    {
        if (Kind(path) is Entry.File or Entry.Link)
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads a small regular file (at most <paramref name="maxBytes"/>); null when it is missing, not regular or larger.</summary>
    public static byte[]? ReadSmall(string path, int maxBytes)
    {
        if (Kind(path) != Entry.File || new FileInfo(path).Length > maxBytes)
        {
            return null;
        }

        using var handle = OpenExisting(path);
        if (handle is null)
        {
            return null;
        }

        var length = RandomAccess.GetLength(handle);
        if (length > maxBytes)
        {
            return null;
        }

        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                return bytes[..read];
            }

            read += n;
        }

        return bytes;
    }

    /// <summary>
    /// Creates the folders from <paramref name="root"/> down to <paramref name="folder"/>, refusing a link (or a file) on
    /// the way: a model folder that holds a link named like a listed folder would otherwise have us write through it.
    /// </summary>
    public static void CreateFoldersBelow(string root, string folder)
    {
        var relative = Path.GetRelativePath(root, folder);
        if (relative == ".")
        {
            return;
        }

        var current = root;
        foreach (var segment in relative.Split(Path.DirectorySeparatorChar))
        {
            current = Path.Combine(current, segment);
            switch (Kind(current))
            {
                case Entry.Link:
                    throw new ModelIdeException(
                        ModelIdeErrorKind.UnsafeInput,
                        $"'{Path.GetRelativePath(root, current)}' in {root} is a symbolic link (to {new FileInfo(current).LinkTarget}); ModelIde does not write through links in the cache. Remove the link and download again.");
                case Entry.File:
                    throw new ModelIdeException(
                        ModelIdeErrorKind.UnsafeInput,
                        $"'{Path.GetRelativePath(root, current)}' in {root} is a file where the model has a folder. Remove it and download again.");
                case Entry.None:
                    Directory.CreateDirectory(current);
                    break;
            }
        }
    }
}
