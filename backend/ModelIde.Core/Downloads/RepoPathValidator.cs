using System.Buffers;
using System.Text;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Checks repository paths that come from a server listing before anything is written: a hostile or broken hub
/// must not make us write outside the model's folder (traversal, absolute paths, drive letters, device names), nor
/// write files that act when someone works in the folder: a <c>.git</c> folder (its config runs commands on
/// <c>git status</c>, e.g. <c>core.fsmonitor</c>) or a <c>.vscode</c> folder (tasks that run when the folder is
/// opened, settings that point tools at programs). A model's files need neither; <c>modelide clone</c> remains the way
/// to take a repository as it is. Nor may a listing
/// plant a folder git would take for a repository (HEAD, objects/, refs/) whose config runs a command.
/// </summary>
public static class RepoPathValidator
{
    private static readonly HashSet<string> s_deviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_deviceNameSpans = s_deviceNames.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly SearchValues<char> s_notInFileNames = SearchValues.Create("<>:\"|?*");

    public const int MaxPathLength = 1024;

    /// <summary>Folder names that must not appear as any segment (and their NTFS short names), compared as the file systems compare them.</summary>
    private static readonly (string Name, string ShortName)[] s_folderNamesThatAct = [(".git", ShortName(".git")), (".vscode", ShortName(".vscode"))];

    /// <summary>Returns the path's segments, or throws <see cref="ModelIdeErrorKind.UnsafeInput"/> saying why.</summary>
    public static IReadOnlyList<string> Validate(string? repoPath)
    {
        var why = Problem(repoPath);
        if (why is not null)
        {
            throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub listed an unsafe file path {Show(repoPath)}: {why}. Nothing was written.");
        }

        return repoPath!.Split('/');
    }

    public static bool IsSafe(string? repoPath) => Problem(repoPath) is null;

    /// <summary>Resolves a listed path under <paramref name="root"/>, and checks the result really is inside it.</summary>
    public static string ResolveUnder(string root, string? repoPath)
    {
        var segments = Validate(repoPath);
        var fullRoot = Path.GetFullPath(root);
        var full = Path.GetFullPath(Path.Combine([fullRoot, .. segments]));
        var prefix = Path.EndsInDirectorySeparator(fullRoot) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub listed a file path {Show(repoPath)} that leaves the model folder. Nothing was written.");
        }

        return full;
    }

    // Runs for every listed path before anything is written, and again as each file resolves under the model folder:
    // it allocates nothing for a path that passes (a folder of many small files checks hundreds).
    private static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "it is empty";
        }

        if (path.Length > MaxPathLength)
        {
            return $"it is longer than {MaxPathLength} characters";
        }

        foreach (var c in path)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF')
            {
                return "it contains control characters";
            }
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return "it contains a backslash";
        }

        if (path[0] == '/' || path[0] == '~')
        {
            return "it is absolute";
        }

        if (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]))
        {
            return "it starts with a drive letter";
        }

        foreach (var range in path.AsSpan().Split('/'))
        {
            var segment = path.AsSpan()[range];
            if (segment.Length == 0)
            {
                return "it has an empty segment";
            }

            if (segment is "." or "..")
            {
                return "it has a '.' or '..' segment";
            }

            if (segment.ContainsAny(s_notInFileNames))
            {
                return "it contains a character that is not allowed in file names (<>:\"|?*)";
            }

            if (segment[^1] is '.' or ' ' || segment[0] == ' ')
            {
                return "a segment starts with a space or ends with a dot or a space";
            }

            if (FolderThatActs(segment) is { } name)
            {
                return name == ".git"
                    ? $"'{segment}' is a git folder (its config can run commands when git is used in the model folder)"
                    : $"'{segment}' holds editor settings and tasks (VS Code can run them when the model folder is opened)";
            }

            var dot = segment.IndexOf('.');
            if (s_deviceNameSpans.Contains((dot < 0 ? segment : segment[..dot]).TrimEnd()))
            {
                return $"'{segment}' is a reserved device name";
            }

            if (segment.Length > 255)
            {
                return "a segment is longer than 255 characters";
            }
        }

        return null;
    }

    /// <summary>
    /// The protected name <paramref name="segment"/> means on some file system, or null. Case-insensitive (NTFS, APFS,
    /// HFS+); HFS+ ignores some invisible code points (<c>.g\u200Cit</c> is <c>.git</c> there); NTFS drops trailing dots
    /// and spaces (refused elsewhere) and knows <c>.git</c> by its 8.3 short name <c>GIT~1</c>. git itself refuses the
    /// same spellings when it checks out a tree (core.protectHFS / core.protectNTFS).
    /// </summary>
    internal static string? FolderThatActs(string segment) => FolderThatActs(segment.AsSpan());

    private static string? FolderThatActs(ReadOnlySpan<char> segment)
    {
        if (Ascii.IsValid(segment))
        {
            // No code point HFS+ ignores, and lower-casing ASCII is what an ordinal case-insensitive compare does.
            var trimmed = segment.TrimEnd(". ");
            foreach (var (name, shortName) in s_folderNamesThatAct)
            {
                if (trimmed.Equals(name, StringComparison.OrdinalIgnoreCase) || trimmed.Equals(shortName, StringComparison.OrdinalIgnoreCase))
                {
                    return name;
                }
            }

            return null;
        }

        var folded = new string(segment.ToArray().Where(c => !IsIgnoredByHfs(c)).ToArray()).TrimEnd('.', ' ').ToLowerInvariant();
        foreach (var (name, shortName) in s_folderNamesThatAct)
        {
            if (folded == name || folded == shortName)
            {
                return name;
            }
        }

        return null;
    }

    // The 8.3 name NTFS gives ".git": the first six letters without the dot, then "~1" (".vscode" → "vscode~1").
    private static string ShortName(string dotName) => dotName.TrimStart('.')[..Math.Min(6, dotName.Length - 1)] + "~1";

    // The code points HFS+ skips when it compares names (the list git checks in is_hfs_dotgit).
    private static bool IsIgnoredByHfs(char c) =>
        c is '\u200C' or '\u200D' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u206A' and <= '\u206F') or '\uFEFF';

    /// <summary>
    /// The folder among <paramref name="repoPaths"/> that git would take for a repository (a <c>HEAD</c> file beside
    /// <c>objects/</c> and <c>refs/</c>, as git's discovery checks), "" for the model folder itself, or null. Inside
    /// such a folder <c>git status</c> reads its <c>config</c>, whose <c>core.fsmonitor</c> runs a command.
    /// </summary>
    public static string? GitRepositoryLookalike(IEnumerable<string> repoPaths)
    {
        var paths = repoPaths.ToList();
        foreach (var head in paths.Where(p => p.Equals("HEAD", StringComparison.OrdinalIgnoreCase) || p.EndsWith("/HEAD", StringComparison.OrdinalIgnoreCase)))
        {
            var folder = head[..^"HEAD".Length];
            if (paths.Any(p => p.StartsWith(folder + "objects/", StringComparison.OrdinalIgnoreCase))
                && paths.Any(p => p.StartsWith(folder + "refs/", StringComparison.OrdinalIgnoreCase)))
            {
                return folder.TrimEnd('/');
            }
        }

        return null;
    }

    private static string Show(string? path)
    {
        if (path is null)
        {
            return "(none)";
        }

        var shown = new string(path.Take(120).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return $"'{shown}{(path.Length > 120 ? "..." : string.Empty)}'";
    }
}
