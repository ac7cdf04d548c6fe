using System.Text;
using System.Text.RegularExpressions;

namespace ModelIde.Core.Downloads;

/// <summary>
/// A glob over repository paths, as the SDK's <c>allow_patterns</c> (fnmatch): <c>*</c> and <c>?</c> also match
/// '/', <c>[abc]</c> is a class. A pattern without '/' also matches a file's name in any folder, and one ending
/// in '/' matches everything below that folder.
/// </summary>
public sealed class IncludePattern
{
    private readonly Regex _regex;
    private readonly bool _matchName;

    public IncludePattern(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "An include pattern must not be empty.");
        }

        Pattern = pattern;
        var p = pattern.EndsWith('/') ? pattern + "*" : pattern;
        _matchName = !p.Contains('/', StringComparison.Ordinal);
        _regex = new Regex("^" + Translate(p) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    public string Pattern { get; }

    public bool IsMatch(string repoPath) =>
        _regex.IsMatch(repoPath) || (_matchName && _regex.IsMatch(repoPath[(repoPath.LastIndexOf('/') + 1)..]));

    public static bool AnyMatch(IReadOnlyList<IncludePattern> patterns, string repoPath) =>
        patterns.Count == 0 || patterns.Any(p => p.IsMatch(repoPath));

    private static string Translate(string glob)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    while (i + 1 < glob.Length && glob[i + 1] == '*')
                    {
                        i++;
                    }

                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                    var close = glob.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    var body = glob[(i + 1)..close];
                    sb.Append('[').Append(body.StartsWith('!') ? "^" + Regex.Escape(body[1..]) : Regex.Escape(body)).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return sb.ToString();
    }
}
