namespace ModelIde.Cli;

/// <summary>
/// One top-level verb of <c>modelide</c> (<c>hub</c>, <c>login</c>, <c>models</c>, ...). Every implementation in this
/// assembly is found by <see cref="CliCommandCatalog"/>; it needs a parameterless constructor.
/// </summary>
public abstract class CliCommand
{
    public abstract string Name { get; }

    /// <summary>One line for <c>modelide --help</c>.</summary>
    public abstract string Summary { get; }

    /// <summary>Full usage text for <c>modelide NAME --help</c>.</summary>
    public abstract string Usage { get; }

    /// <summary>Runs the command; returns the process exit code.</summary>
    public abstract Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken);
}

public static class CliCommandCatalog
{
    public static IReadOnlyList<CliCommand> All { get; } = typeof(CliCommand).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.IsSubclassOf(typeof(CliCommand)))
        .Select(t => (CliCommand)Activator.CreateInstance(t)!)
        .OrderBy(c => c.Name, StringComparer.Ordinal)
        .ToArray();

    public static CliCommand? Find(string name) => All.FirstOrDefault(c => c.Name == name);
}

/// <summary>Exit codes shared by all commands.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int AuthenticationRequired = 3;
    public const int NotFound = 4;
    public const int Cancelled = 130;
}

/// <summary>stdout for results, stderr for messages; both swappable in tests.</summary>
public sealed class CliConsole(TextWriter output, TextWriter error)
{
    public static CliConsole System { get; } = new(Console.Out, Console.Error);

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;
}
