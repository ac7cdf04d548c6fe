using System.Diagnostics.CodeAnalysis;

namespace ModelIde.Core.Models;

/// <summary>A validated <c>owner/name</c> model id: both parts use only letters, digits, '.', '_' and '-'.</summary>
public sealed record ModelId
{
    private ModelId(string owner, string name)
    {
        Owner = owner;
        Name = name;
    }

    public string Owner { get; }

    public string Name { get; }

    public override string ToString() => $"{Owner}/{Name}";

    public static ModelId Parse(string? text)
    {
        if (TryParse(text, out var id, out var why))
        {
            return id;
        }

        throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, why);
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out ModelId? id, out string error)
    {
        id = null;
        var shown = text is null ? "(none)" : text.Length > 80 ? text[..80] + "..." : text;
        shown = new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        var parts = (text ?? string.Empty).Split('/');
        if (parts.Length != 2 || !IsSafeSegment(parts[0]) || !IsSafeSegment(parts[1]))
        {
            error = $"'{shown}' is not a model id: use OWNER/NAME with letters, digits, '.', '_' or '-' (for example modelide/tiny-stdlib-coder).";
            return false;
        }

        id = new ModelId(parts[0], parts[1]);
        error = string.Empty;
        return true;
    }

    /// <summary>One owner, name or revision segment: 1-128 safe characters, not starting with '.' or '-'.</summary>
    public static bool IsSafeSegment(string segment) =>
        segment.Length is > 0 and <= 128
        && segment[0] is not ('.' or '-')
        && segment.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-');

    /// <summary>A revision (branch, tag or commit): safe segments joined by '/', no '..'.</summary>
    public static string ValidateRevision(string? revision)
    {
        if (string.IsNullOrEmpty(revision))
        {
            return DefaultRevision;
        }

        if (revision.Length > 200 || !revision.Split('/').All(IsSafeSegment) || revision.Contains("..", StringComparison.Ordinal))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"'{revision}' is not a valid revision (branch, tag or commit id).");
        }

        return revision;
    }

    public const string DefaultRevision = "master";
}
