using System.Runtime.InteropServices;
using ModelIde.Cli;

// Entry point of `modelide`: Ctrl+C and SIGTERM cancel the running command; CliApp does the rest.
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
