using System.CommandLine;
using System.Reflection;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using ModelIde.Core;
using ModelIde.Core.Diagnostics;
using ModelIde.Protocol;

namespace ModelIde.Cli;

/// <summary>
/// Parses the command line with System.CommandLine, runs the command's handler and turns every failure into one
/// message on stderr (<c>modelide COMMAND: what went wrong</c>) and an exit code from <see cref="ExitCodes"/>.
/// </summary>
public static class CliApp
{
    public const string ExecutableName = "modelide";

    /// <summary>Runs one command line; returns the process exit code. <paramref name="cancellationToken"/> is Ctrl+C / SIGTERM.</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken)
    {
        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }

        var root = CreateRootCommand(console, args is [var first, ..] ? first : null);
        var parse = root.Parse(args);
        var where = CommandPath(parse.CommandResult);
        if (parse.Action is ParseErrorAction)
        {
            return UsageError(console, where, parse.Errors.Select(e => e.Message));
        }

        // Only for a command's own handler: help, --version and [suggest] ignore the rest of the line.
        if (parse.Action == parse.CommandResult.Command.Action && CliOptions.UnknownOptions(parse) is { Count: > 0 } unknown)
        {
            return UsageError(console, where, [$"Unknown option{(unknown.Count > 1 ? "s" : "")}: {string.Join(", ", unknown)}."]);
        }

        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            // Program.cs turns Ctrl+C and SIGTERM into cancellationToken; a handler decides how long it needs to stop.
            ProcessTerminationTimeout = null,
        };
        try
        {
            using var plainHttp = CliPlainHttpOptIn.Apply(parse);
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (CliUsageException ex)
        {
            return UsageError(console, where, [ex.Message]);
        }
        catch (ModelIdeException ex)
        {
            console.Error.WriteLine($"{where}: {SecretRedactor.Redact(ex.Message)}");
            return ExitCodeOf(ex.Kind);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine($"{where}: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            console.Error.WriteLine($"{where}: internal error ({ex.GetType().FullName}): {SecretRedactor.Redact(ex.Message)}");
            console.Error.WriteLine("This is a bug in modelide; please report it with the lines below.");
            console.Error.WriteLine(SecretRedactor.Redact(ex.ToString()));
            return ExitCodes.InternalError;
        }
    }

    public static int ExitCodeOf(ModelIdeErrorKind kind) => kind switch
    {
        ModelIdeErrorKind.AuthenticationRequired => ExitCodes.AuthenticationRequired,
        ModelIdeErrorKind.NotFound => ExitCodes.NotFound,
        ModelIdeErrorKind.InvalidInput => ExitCodes.Usage,
        _ => ExitCodes.Failure,
    };

    /// <summary>
    /// The command tree, every handler bound to <paramref name="console"/>: when <paramref name="commandName"/> names a
    /// top-level command, the root holds that command alone (what parsing and its help need; building all fourteen
    /// with their options took a native start about 3 ms), else every command (bare <c>modelide</c>, <c>--help</c>, a
    /// misspelt command, the <c>[suggest]</c> directive of completion).
    /// </summary>
    public static RootCommand CreateRootCommand(CliConsole console, string? commandName = null)
    {
        var root = new RootCommand("modelide: the ModelScope hub from the command line (the same core as the VS Code extension).")
        {
            // Not the entry assembly's name: tests run the tree inside testhost.
            HelpName = ExecutableName,
        };
        var handlers = new Dictionary<Command, CliCommand>();
        var named = commandName is null ? null : CliCommandCatalog.Create(commandName);
        foreach (var command in named is null ? CliCommandCatalog.Create() : [named])
        {
            root.Subcommands.Add(command.Build(console, handlers));
        }

        // `modelide` alone prints the list of commands, as a usage error.
        root.SetAction(parse =>
        {
            new HelpAction().Invoke(parse);
            return ExitCodes.Usage;
        });
        var help = root.Options.OfType<HelpOption>().Single();
        foreach (var alias in help.Aliases.Where(a => a != "-h").ToArray())
        {
            help.Aliases.Remove(alias);
        }

        help.Action = new HelpWithNotesAction((HelpAction)help.Action!, handlers);
        root.Options.OfType<VersionOption>().Single().Action = new VersionAction();
        return root;
    }

    private static int UsageError(CliConsole console, string where, IEnumerable<string> messages)
    {
        foreach (var message in messages.Distinct(StringComparer.Ordinal))
        {
            console.Error.WriteLine($"{where}: {message}");
        }

        console.Error.WriteLine($"Run '{where} --help' for usage.");
        return ExitCodes.Usage;
    }

    /// <summary><c>modelide models list</c> for the parsed command, for messages and help hints.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c && c.Parent is not null)
            {
                names.Add(c.Command.Name);
            }
        }

        names.Add(ExecutableName);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>This build's informational version (the same as the sidecar's), whichever assembly is the entry.</summary>
    public static string Version { get; } =
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Success;
        }
    }

    /// <summary>System.CommandLine's generated help, then the command's <see cref="CliCommand.Notes"/>.</summary>
    private sealed class HelpWithNotesAction(HelpAction generated, IReadOnlyDictionary<Command, CliCommand> handlers) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = generated.Invoke(parseResult);
            if (handlers.TryGetValue(parseResult.CommandResult.Command, out var handler) && handler.Notes is { } notes)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(notes.TrimEnd());
                output.WriteLine();
            }

            return code;
        }
    }
}
