using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using ModelIde.Core;
using ModelIde.Protocol;

namespace ModelIde.Cli;

/// <summary>
/// One command of <c>modelide</c> (<c>login</c>, <c>models</c>, <c>models list</c>, ...). Its options, arguments,
/// option groups and subcommands are its instance fields: declaring a field adds it to the command (arguments in
/// declaration order), so a new option is one line, plus the line of the handler that reads it.
/// Every top-level command is listed in <see cref="CliCommandCatalog"/> (a test checks that none is missing).
/// </summary>
// The fields are read by reflection (DeclaredFieldValues): keep them in trimmed and native (AOT) builds.
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract class CliCommand(string name, string description)
{
    public string Name { get; } = name;

    /// <summary>One line for <c>modelide --help</c> and the first line of this command's help.</summary>
    public string Description { get; } = description;

    /// <summary>Other names the command answers to.</summary>
    public virtual IReadOnlyList<string> Aliases => [];

    /// <summary>Paragraph printed after the options in help: environment variables, what goes to stdout and stderr.</summary>
    public virtual string? Notes => null;

    /// <summary>Runs the command; returns the process exit code. A group (a command with subcommands) has none of its own.</summary>
    public virtual Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var subcommands = Subcommands().Select(c => c.Name).ToArray();
        throw new CliUsageException(subcommands.Length == 0
            ? "This command does nothing on its own."
            : $"Missing a subcommand: {string.Join(", ", subcommands[..^1])}{(subcommands.Length > 1 ? " or " : "")}{subcommands[^1]}.");
    }

    /// <summary>
    /// For <c>hub</c> and <c>serve</c> on the native (AOT) build: they need code generated at run time (ASP.NET Core,
    /// EF Core, StreamJsonRpc), which the launcher runs on the .NET build. They guard their work with
    /// <see cref="RuntimeFeature.IsDynamicCodeSupported"/>, a constant the native compiler folds, so that build leaves
    /// those stacks out (a smaller binary that starts faster) and keeps only the command's help.
    /// </summary>
    protected ModelIdeException NeedsDotnetBuild() => new(ModelIdeErrorKind.InvalidInput,
        $"'{Name}' runs on the .NET build of modelide, not this native one: run it through the ./modelide launcher, or as `dotnet modelide.dll {Name}`.");

    /// <summary>The System.CommandLine command for this handler, its fields added; every handler runs with <paramref name="console"/>.</summary>
    internal Command Build(CliConsole console, IDictionary<Command, CliCommand> handlers)
    {
        var command = new Command(Name, Description);
        foreach (var alias in Aliases)
        {
            command.Aliases.Add(alias);
        }

        foreach (var value in DeclaredFieldValues())
        {
            switch (value)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case CliOptionGroup group:
                    foreach (var option in group.Options)
                    {
                        command.Options.Add(option);
                    }

                    break;
                case CliCommand subcommand:
                    command.Subcommands.Add(subcommand.Build(console, handlers));
                    break;
            }
        }

        command.SetAction((parse, cancellationToken) => RunAsync(parse, console, cancellationToken));
        handlers[command] = this;
        return command;
    }

    private IEnumerable<CliCommand> Subcommands() => DeclaredFieldValues().OfType<CliCommand>();

    // Declaration order is the order of positional arguments. Metadata tokens follow it; the native (AOT) build has no
    // tokens, and its reflection lists fields in declaration order (LauncherParityTests compare the help of both builds).
    private IEnumerable<object?> DeclaredFieldValues()
    {
        var fields = GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
        var ordered = RuntimeFeature.IsDynamicCodeSupported ? fields.OrderBy(f => f.MetadataToken) : fields.AsEnumerable();
        return ordered.Select(f => f.GetValue(this));
    }
}

/// <summary>Options that travel together (<c>--endpoint</c> and <c>--token</c>, the job state options); a field of this type adds them all.</summary>
public abstract class CliOptionGroup
{
    public abstract IEnumerable<Option> Options { get; }
}

public static class CliCommandCatalog
{
    /// <summary>
    /// Every top-level command by name, made only when asked for: a command line that names one builds that command's
    /// tree alone (<see cref="CliApp.CreateRootCommand"/>), not the options of all fourteen. A list, not a scan of the
    /// assembly: the native (AOT) build keeps only the types the code names. A test checks each name is its command's.
    /// </summary>
    private static readonly (string Name, Func<CliCommand> Create)[] s_commands =
    [
        ("clone", () => new Commands.CloneCommand()), ("completion", () => new Commands.CompletionCommand()),
        ("devices", () => new Commands.DevicesCommand()), ("download", () => new Commands.DownloadCommand()),
        ("finetune", () => new Commands.FinetuneCommand()), ("gpu", () => new Commands.GpuCommand()),
        ("hub", () => new Commands.HubCommand()), ("infer", () => new Commands.InferCommand()),
        ("jobs", () => new Commands.JobsCommand()), ("login", () => new Commands.LoginCommand()),
        ("logout", () => new Commands.LogoutCommand()), ("models", () => new Commands.ModelsCommand()),
        ("serve", () => new Commands.ServeCommand()), ("whoami", () => new Commands.WhoamiCommand()),
    ];

    /// <summary>The names of the top-level commands, in the order help lists them.</summary>
    public static IEnumerable<string> Names => s_commands.Select(c => c.Name);

    /// <summary>New instances of every top-level command (options hold no state between runs, but belong to one tree).</summary>
    public static IReadOnlyList<CliCommand> Create() => [.. s_commands.Select(c => c.Create())];

    /// <summary>A new instance of the top-level command called <paramref name="name"/>, or null when there is none.</summary>
    public static CliCommand? Create(string name) =>
        Array.Find(s_commands, c => string.Equals(c.Name, name, StringComparison.Ordinal)).Create?.Invoke();
}

/// <summary>Exit codes shared by all commands (README, "The modelide CLI").</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The operation failed: network, server, integrity, remote job, disk full, a job that did not complete.</summary>
    public const int Failure = 1;

    /// <summary>Wrong usage: unknown command or option, missing or malformed argument, input the command refuses.</summary>
    public const int Usage = 2;

    public const int AuthenticationRequired = 3;

    public const int NotFound = 4;

    /// <summary>An unexpected exception: a bug in modelide; the stack trace is printed.</summary>
    public const int InternalError = 70;

    /// <summary>Ctrl+C or SIGTERM.</summary>
    public const int Cancelled = 130;
}

/// <summary>Wrong command-line usage found by a handler: printed like a parse error, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
