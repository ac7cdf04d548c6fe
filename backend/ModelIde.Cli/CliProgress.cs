using ModelIde.Core.Diagnostics;
using Spectre.Console;

namespace ModelIde.Cli;

/// <summary>One progress report: which bar (<see cref="Key"/>), its label and position, and the plain line printed instead of a bar.</summary>
public sealed record CliProgressUpdate(string Key, string Label, double Value, double Max, string PlainLine);

/// <summary>Progress on stderr: bars where stderr is a terminal, one plain line per report otherwise.</summary>
public static class CliProgress
{
    /// <summary>Runs <paramref name="work"/> with a reporter; <paramref name="bytes"/> shows sizes, speed and time left beside the bars.</summary>
    public static async Task<T> RunAsync<T>(CliConsole console, bool bytes, Func<Action<CliProgressUpdate>, Task<T>> work)
    {
        if (console.RichError is not { } terminal)
        {
            return await work(u => console.Error.WriteLine(u.PlainLine)).ConfigureAwait(false);
        }

        ProgressColumn[] columns = bytes
            ? [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn()]
            : [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn()];
        return await terminal.Progress().AutoClear(false).HideCompleted(false).Columns(columns).StartAsync(async context =>
        {
            var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
            var gate = new Lock();
            return await work(u =>
            {
                lock (gate)
                {
                    var label = Markup.Escape(TerminalText.Escape(u.Label is { Length: > 0 } l ? l : u.Key));
                    if (!tasks.TryGetValue(u.Key, out var task))
                    {
                        task = tasks[u.Key] = context.AddTask(label);
                    }

                    task.Description = label;
                    task.MaxValue = Math.Max(u.Max, 1);
                    task.Value = Math.Min(u.Value, task.MaxValue);
                }
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }
}
