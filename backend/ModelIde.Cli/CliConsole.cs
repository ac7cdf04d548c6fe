using System.Text;
using ModelIde.Core.Diagnostics;
using Spectre.Console;

namespace ModelIde.Cli;

/// <summary>
/// stdout for results, stderr for messages, both passed through <see cref="TerminalText"/> so that nothing a server
/// sent can drive the terminal. Where a stream is a terminal, <see cref="RichOut"/> / <see cref="RichError"/> draw
/// tables and progress bars; otherwise (pipes, files, tests) commands print plain lines, which scripts parse.
/// </summary>
public sealed class CliConsole
{
    public CliConsole(TextWriter output, TextWriter error, IAnsiConsole? richOut = null, IAnsiConsole? richError = null)
    {
        Out = new TerminalSafeWriter(output);
        Error = new TerminalSafeWriter(error);
        RichOut = richOut;
        RichError = richError;
    }

    /// <summary>The process's console; rich output only on a terminal that is not <c>TERM=dumb</c>.</summary>
    public static CliConsole System()
    {
        var dumb = string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);
        return new CliConsole(
            Console.Out,
            Console.Error,
            dumb || Console.IsOutputRedirected ? null : Terminal(Console.Out),
            dumb || Console.IsErrorRedirected ? null : Terminal(Console.Error));
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>stdout when it is a terminal: tables go here. Null: print plain lines to <see cref="Out"/>.</summary>
    public IAnsiConsole? RichOut { get; }

    /// <summary>stderr when it is a terminal: progress bars go here. Null: print plain lines to <see cref="Error"/>.</summary>
    public IAnsiConsole? RichError { get; }

    private static IAnsiConsole Terminal(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Yes,
    });
}

/// <summary>Writes through to another writer with <see cref="TerminalText.Escape"/> applied; line ends pass unchanged.</summary>
internal sealed class TerminalSafeWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (TerminalText.IsUnsafe(value, keepLineBreaks: true))
        {
            inner.Write(TerminalText.Escape(value.ToString(), keepLineBreaks: true));
        }
        else
        {
            inner.Write(value);
        }
    }

    public override void Write(string? value) => inner.Write(TerminalText.Escape(value, keepLineBreaks: true));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

    public override void WriteLine() => inner.WriteLine();

    public override void WriteLine(string? value) => inner.WriteLine(TerminalText.Escape(value, keepLineBreaks: true));

    public override void WriteLine(ReadOnlySpan<char> buffer) => WriteLine(new string(buffer));

    public override void Flush() => inner.Flush();

    public override Task FlushAsync() => inner.FlushAsync();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
