namespace ModelIde.Core.Downloads;

/// <summary>
/// Checks repository paths that come from a server listing before anything is written: a hostile or broken hub
/// must not make us write outside the model's folder (traversal, absolute paths, drive letters, device names), nor
/// plant a git repository whose config runs a command when the user's git looks at the folder.
/// </summary>
public static class RepoPathValidator
{
    private static readonly HashSet<string> s_deviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
    };

    public const int MaxPathLength = 1024;

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

        if (path.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF'))
        {
            return "it contains control characters";
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

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "it has an empty segment";
            }

            if (segment is "." or "..")
            {
                return "it has a '.' or '..' segment";
            }

            if (segment.IndexOfAny(['<', '>', ':', '"', '|', '?', '*']) >= 0)
            {
                return "it contains a character that is not allowed in file names (<>:\"|?*)";
            }

            if (segment.EndsWith('.') || segment.EndsWith(' ') || segment.StartsWith(' '))
            {
                return "a segment starts with a space or ends with a dot or a space";
            }

            if (IsGitFolderName(segment))
            {
                return "it has a '.git' segment (a git repository's config can run a command when git looks at the folder)";
            }

            var stem = segment.Split('.')[0];
            if (s_deviceNames.Contains(stem.TrimEnd()))
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
    /// <c>.git</c> as git itself refuses it in a tree (verify_path): any case, the NTFS short name <c>git~1</c>, and with
    /// the code points HFS+ ignores (U+200C-U+200F, U+202A-U+202E, U+206A-U+206F, U+FEFF) left out.
    /// </summary>
    public static bool IsGitFolderName(string segment)
    {
        var visible = new string(segment.Where(c => c is not ((>= '\u200C' and <= '\u200F') or (>= '\u202A' and <= '\u202E') or (>= '\u206A' and <= '\u206F') or '\uFEFF')).ToArray());
        return visible.Equals(".git", StringComparison.OrdinalIgnoreCase) || visible.Equals("git~1", StringComparison.OrdinalIgnoreCase);
    }

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
