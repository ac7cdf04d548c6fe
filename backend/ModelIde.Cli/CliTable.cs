using ModelIde.Core.Diagnostics;
using Spectre.Console;

namespace ModelIde.Cli;

/// <summary>Rows of results: a table where stdout is a terminal, the command's fixed plain lines otherwise (what scripts parse).</summary>
public static class CliTable
{
    public static void Write<T>(CliConsole console, IEnumerable<T> rows, string[] headers, Func<T, string[]> cells, Func<T, string> plainLine)
    {
        if (console.RichOut is not { } terminal)
        {
            foreach (var row in rows)
            {
                console.Out.WriteLine(plainLine(row));
            }

            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        foreach (var row in rows)
        {
            // Text, not markup: a '[' in a model id is a character; TerminalText: an escape in it is shown, not run.
            table.AddRow(cells(row).Select(c => (Spectre.Console.Rendering.IRenderable)new Text(TerminalText.Escape(c))).ToArray());
        }

        terminal.Write(table);
    }
}
