using ModelIde.Cli;
using ModelIde.Core;
using ModelIde.Core.Diagnostics;

// Entry point of `modelide`: finds the command, runs it, turns expected failures into a message and an exit code.
var console = CliConsole.System;
if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    HelpText.Write(console.Out);
    return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
}

if (args[0] is "--version")
{
    console.Out.WriteLine(ModelIde.Sidecar.Rpc.SidecarRpcTarget.Version);
    return ExitCodes.Success;
}

var command = CliCommandCatalog.Find(args[0]);
if (command is null)
{
    console.Error.WriteLine($"modelide: unknown command '{args[0]}'. Run 'modelide --help' for the list.");
    return ExitCodes.Usage;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

// SIGTERM (kill, process supervisors) stops long-running commands such as `hub` the same way as Ctrl+C.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    cts.Cancel();
});

var parsed = new CliArguments(args.Skip(1).ToArray());
if (parsed.WantsHelp)
{
    console.Out.WriteLine(command.Usage);
    return ExitCodes.Success;
}

try
{
    return await command.RunAsync(parsed, console, cts.Token);
}
catch (CliUsageException ex)
{
    console.Error.WriteLine($"modelide {command.Name}: {ex.Message}");
    console.Error.WriteLine(command.Usage);
    return ExitCodes.Usage;
}
catch (ModelIdeException ex)
{
    console.Error.WriteLine($"modelide {command.Name}: {SecretRedactor.Redact(ex.Message)}");
    return ex.Kind switch
    {
        ModelIdeErrorKind.AuthenticationRequired => ExitCodes.AuthenticationRequired,
        ModelIdeErrorKind.NotFound => ExitCodes.NotFound,
        ModelIdeErrorKind.InvalidInput => ExitCodes.Usage,
        _ => ExitCodes.Failure,
    };
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    console.Error.WriteLine($"modelide {command.Name}: cancelled.");
    return ExitCodes.Cancelled;
}

namespace ModelIde.Cli
{
    internal static class HelpText
    {
        public static void Write(TextWriter w)
        {
            w.WriteLine("modelide: the ModelScope hub from the command line (the same core as the VS Code extension).");
            w.WriteLine();
            w.WriteLine("Usage: modelide COMMAND [ARGS]   (modelide COMMAND --help for details)");
            w.WriteLine();
            w.WriteLine("Commands:");
            foreach (var c in CliCommandCatalog.All)
            {
                w.WriteLine($"  {c.Name,-10} {c.Summary}");
            }
        }
    }
}
