using System.Globalization;
using System.Text;

namespace ModelIde.Core.Diagnostics;

/// <summary>
/// Makes text from a server, a remote host or a model file safe to print on a terminal. Control characters become
/// visible escapes (<c>\x1B</c>, <c>\u202E</c>), so an escape sequence in a model id cannot clear the screen, retitle
/// the window or write the clipboard (OSC 52), and a bidi override cannot make one file name read as another.
/// </summary>
public static class TerminalText
{
    /// <summary>
    /// Escapes every character a terminal may act on: C0 controls, DEL, C1 controls (U+0080–U+009F: U+009B is a
    /// one-byte CSI on some terminals) and the bidi embedding, override and isolate controls. Line breaks and tabs are
    /// escaped too unless <paramref name="keepLineBreaks"/>: one value from a server never starts a new output line.
    /// </summary>
    public static string Escape(string? text, bool keepLineBreaks = false)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        var first = FirstUnsafe(text, keepLineBreaks);
        if (first < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        sb.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (keepLineBreaks && c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                // A Windows line end written as one chunk is a line break, not a carriage return.
                sb.Append("\r\n");
                i++;
            }
            else if (IsUnsafe(c, keepLineBreaks))
            {
                AppendEscape(sb, c);
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>True for a character <see cref="Escape"/> rewrites.</summary>
    public static bool IsUnsafe(char c, bool keepLineBreaks = false) => c switch
    {
        '\n' or '\t' => !keepLineBreaks,
        < ' ' => true,
        >= '\u007F' and <= '\u009F' => true,
        // Arabic letter mark, LRM/RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
        '\u061C' or '\u200E' or '\u200F' => true,
        >= '\u202A' and <= '\u202E' => true,
        >= '\u2066' and <= '\u2069' => true,
        _ => false,
    };

    private static int FirstUnsafe(string text, bool keepLineBreaks)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text[i], keepLineBreaks))
            {
                return i;
            }
        }

        return -1;
    }

    private static void AppendEscape(StringBuilder sb, char c)
    {
        sb.Append(c switch
        {
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            <= '\u00FF' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
        });
    }
}
