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

        var cellRows = rows.Select(cells).ToArray();
        var table = new Table().Border(TableBorder.Rounded);
        for (var i = 0; i < headers.Length; i++)
        {
            var column = new TableColumn(new Text(headers[i], new Style(decoration: Decoration.Bold)));
            // Counts and sizes line up on the right.
            if (cellRows.Length > 0 && cellRows.All(r => r[i].Length > 0 && r[i].All(c => char.IsAsciiDigit(c) || c == ',')))
            {
                column.RightAligned();
            }

            table.AddColumn(column);
        }

        foreach (var row in cellRows)
        {
            // Text, not markup: a '[' in a model id is a character; TerminalText: an escape in it is shown, not run.
            table.AddRow(row.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(TerminalText.Escape(c))).ToArray());
        }

        terminal.Write(table);
    }
}
