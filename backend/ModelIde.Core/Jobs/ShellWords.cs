using System.Text;

namespace ModelIde.Core.Jobs;

/// <summary>
/// Splits a line the way a POSIX shell splits words, without expanding anything: 'single quotes' keep everything,
/// "double quotes" keep everything but backslash before " \ $ ` and newline, a backslash outside quotes keeps the next
/// character. So <c>--system 'You are a helpful assistant.'</c> is two words and a path with spaces stays one.
/// </summary>
public static class ShellWords
{
    public static bool TrySplit(string? line, out IReadOnlyList<string> words, out string? error)
    {
        var result = new List<string>();
        words = result;
        error = null;
        if (string.IsNullOrWhiteSpace(line))
        {
            return true;
        }

        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        result.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        error = $"unclosed single quote at character {i + 1}";
                        return false;
                    }

                    word.Append(line, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i++;
                    while (i < line.Length && line[i] != '"')
                    {
                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`' or '\n')
                        {
                            i++;
                            if (line[i] != '\n')
                            {
                                word.Append(line[i]);
                            }
                        }
                        else
                        {
                            word.Append(line[i]);
                        }

                        i++;
                    }

                    if (i >= line.Length)
                    {
                        error = "unclosed double quote";
                        return false;
                    }

                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 >= line.Length)
                    {
                        error = "a backslash at the end of the line escapes nothing";
                        return false;
                    }

                    i++;
                    if (line[i] != '\n')
                    {
                        word.Append(line[i]);
                    }

                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            result.Add(word.ToString());
        }

        return true;
    }
}
