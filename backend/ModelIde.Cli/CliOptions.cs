using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ModelIde.Cli;

/// <summary>Option and argument kinds the commands share, with the same error messages everywhere.</summary>
public static class CliOptions
{
    /// <summary>An option that takes one text value.</summary>
    public static Option<string?> Text(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description };

    /// <summary>An option that may be given several times (<c>--include a --include b</c>).</summary>
    public static Option<string[]> Repeatable(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description, DefaultValueFactory = _ => [] };

    /// <summary>A flag such as <c>--json</c>; <c>--json=false</c> turns it off.</summary>
    public static Option<bool> Flag(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description };

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; null when not given.</summary>
    public static Option<int?> Int(string name, string helpName, string description, int min = int.MinValue, int max = int.MaxValue) =>
        new(name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = r =>
            {
                var text = r.Tokens.Count == 0 ? string.Empty : r.Tokens[^1].Value;
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
                {
                    return n;
                }

                r.AddError(max == int.MaxValue
                    ? $"{name} must be a whole number of at least {min}, not '{text}'."
                    : $"{name} must be a whole number from {min} to {max}, not '{text}'.");
                return null;
            },
        };

    /// <summary>A number (invariant culture: <c>1e-4</c>, <c>0.5</c>); null when not given.</summary>
    public static Option<double?> Number(string name, string helpName, string description) =>
        new(name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = r =>
            {
                var text = r.Tokens.Count == 0 ? string.Empty : r.Tokens[^1].Value;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                {
                    return d;
                }

                r.AddError($"{name} must be a number, not '{text}'.");
                return null;
            },
        };

    /// <summary>A positional argument that must be given.</summary>
    public static Argument<string> Required(string name, string description) => new(name) { Description = description };

    /// <summary>A positional argument that may be left out.</summary>
    public static Argument<string?> Optional(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };

    /// <summary>Suggests <paramref name="values"/> in shell completion without refusing others (the handler checks them).</summary>
    public static T Suggest<T>(this T option, params string[] values)
        where T : Option
    {
        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>
    /// Arguments that look like options (<c>--bogus</c>) and were taken as positional values: System.CommandLine binds an
    /// unknown option to a free argument slot; the old parser refused it, and so do we. Values after <c>--</c> are kept.
    /// </summary>
    internal static IReadOnlyList<string> UnknownOptions(ParseResult parse)
    {
        var afterDoubleDash = parse.Tokens
            .SkipWhile(t => t.Type != TokenType.DoubleDash)
            .Skip(1)
            .Select(t => t.Value)
            .ToHashSet(StringComparer.Ordinal);
        var unknown = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is not null; r = r.Parent)
        {
            if (r is not CommandResult command)
            {
                continue;
            }

            foreach (var argument in command.Children.OfType<ArgumentResult>())
            {
                unknown.AddRange(argument.Tokens
                    .Select(t => t.Value)
                    .Where(v => v.Length > 1 && v[0] == '-' && !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && !afterDoubleDash.Contains(v)));
            }
        }

        return unknown;
    }
}
