using System.Runtime.InteropServices;
using ModelIde.Cli;

// Entry point of `modelide`: Ctrl+C and SIGTERM cancel the running command; CliApp does the rest.
// First of all, before the console touches a culture: commands that need no ICU do not load it (CliCulture).
CliCulture.Apply(args);
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

// SIGTERM (kill, process supervisors) stops long-running commands such as `hub` the same way as Ctrl+C.
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    cts.Cancel();
});

return await CliApp.RunAsync(args, CliConsole.System(), cts.Token);
