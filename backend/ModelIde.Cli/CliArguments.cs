namespace ModelIde.Cli;

/// <summary>
/// Parsed arguments of one command: positionals, <c>--name value</c> / <c>--name=value</c> options and <c>--flag</c>s.
/// Commands read what they know; <see cref="EnsureNoUnknownOptions"/> then rejects anything left over.
/// </summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string?>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);

    public CliArguments(IReadOnlyList<string> args)
    {
        var positionals = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }

            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var eq = a.IndexOf('=', StringComparison.Ordinal);
                string name;
                string? value;
                if (eq > 0)
                {
                    name = a[2..eq];
                    value = a[(eq + 1)..];
                }
                else
                {
                    name = a[2..];
                    value = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
                }

                if (!_options.TryGetValue(name, out var list))
                {
                    _options[name] = list = [];
                }

                list.Add(value);
            }
            else if (a == "-h")
            {
                _options["help"] = [null];
            }
            else if (a == "-f")
            {
                _options["follow"] = [null];
            }
            else
            {
                positionals.Add(a);
            }
        }

        Positionals = positionals;
    }

    public IReadOnlyList<string> Positionals { get; }

    public string? Positional(int index) => index < Positionals.Count ? Positionals[index] : null;

    public string RequirePositional(int index, string what) =>
        Positional(index) ?? throw new CliUsageException($"Missing {what}.");

    /// <summary>A flag such as <c>--json</c>. A flag must not be followed by a value; <c>--json=false</c> is honoured.</summary>
    public bool Flag(string name)
    {
        _consumed.Add(name);
        if (!_options.TryGetValue(name, out var values))
        {
            return false;
        }

        var v = values[^1];
        return v is null || !string.Equals(v, "false", StringComparison.OrdinalIgnoreCase);
    }

    public string? Option(string name)
    {
        _consumed.Add(name);
        if (!_options.TryGetValue(name, out var values))
        {
            return null;
        }

        return values[^1] ?? throw new CliUsageException($"--{name} needs a value.");
    }

    public IReadOnlyList<string> Options(string name)
    {
        _consumed.Add(name);
        return _options.TryGetValue(name, out var values)
            ? values.Select(v => v ?? throw new CliUsageException($"--{name} needs a value.")).ToArray()
            : [];
    }

    public int? IntOption(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = Option(name);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            throw new CliUsageException($"--{name} must be a whole number from {min} to {max}, not '{text}'.");
        }

        return n;
    }

    public double? DoubleOption(string name)
    {
        var text = Option(name);
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d))
        {
            throw new CliUsageException($"--{name} must be a number, not '{text}'.");
        }

        return d;
    }

    public void EnsureNoUnknownOptions()
    {
        var unknown = _options.Keys.Where(k => !_consumed.Contains(k) && k != "help").ToArray();
        if (unknown.Length > 0)
        {
            throw new CliUsageException($"Unknown option{(unknown.Length > 1 ? "s" : "")}: {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }

    public bool WantsHelp => _options.ContainsKey("help");
}

/// <summary>Wrong command-line usage: printed with the command's usage, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
