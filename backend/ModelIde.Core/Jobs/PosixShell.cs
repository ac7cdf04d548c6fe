namespace ModelIde.Core.Jobs;

/// <summary>Quoting for POSIX shells on the remote: every value we put on a command line goes through here.</summary>
public static class PosixShell
{
    public static string Quote(string value)
    {
        if (value.Length > 0 && value.All(IsPlain))
        {
            return value;
        }

        // "~/x" stays unquoted so that the remote shell expands the home folder, as the user meant.
        if (value.StartsWith("~/", StringComparison.Ordinal) && value.Length > 2 && value[2..].All(IsPlain))
        {
            return value;
        }

        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || "@%_-+=:,./".Contains(c);

    public static string Join(IEnumerable<string> argv) => string.Join(' ', argv.Select(Quote));

    /// <summary>Runs a script in a login shell, so the user's ~/.profile (PATH, conda, modules) applies.</summary>
    public static string LoginShell(string script) => "bash -lc " + Quote(script);
}
