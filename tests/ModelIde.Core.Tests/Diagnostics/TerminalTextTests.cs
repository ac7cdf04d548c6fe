using ModelIde.Core.Diagnostics;

namespace ModelIde.Core.Tests.Diagnostics;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("evil/x\u001b[2J", "evil/x\\x1B[2J")]                                    // clear screen
    [InlineData("a\u001b]52;c;cHduZWQ=\u0007b", "a\\x1B]52;c;cHduZWQ=\\x07b")]          // OSC 52: write the clipboard
    [InlineData("a\u001b]0;title\u001b\\b", "a\\x1B]0;title\\x1B\\b")]                   // OSC ended by ST
    [InlineData("a\u009b31mred", "a\\x9B31mred")]                                          // C1 CSI
    [InlineData("a\u0085b\u007f", "a\\x85b\\x7F")]                                          // C1 NEL, DEL
    [InlineData("report\u202Egnp.exe", "report\\u202Egnp.exe")]                           // right-to-left override
    [InlineData("x\u2066y\u2069\u200Fz\u061C", "x\\u2066y\\u2069\\u200Fz\\u061C")]         // isolates, RLM, ALM
    [InlineData("one\ntwo\tthree\rfour", "one\\ntwo\\tthree\\rfour")]                       // one value is one line
    public void Control_characters_become_visible_escapes(string text, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(text));

    [Theory]
    [InlineData("modelide/tiny-stdlib-coder")]
    [InlineData("通义千问/Qwen2.5-7B-Instruct ✓ 🤖 é")]
    [InlineData("")]
    public void Ordinary_text_is_returned_unchanged(string text) =>
        Assert.Same(text, TerminalText.Escape(text));

    [Fact]
    public void Line_breaks_and_tabs_can_be_kept_for_whole_messages_but_a_bare_carriage_return_cannot()
    {
        Assert.Equal("line 1\r\nline 2\n\tx\\ry\\x1B[2J", TerminalText.Escape("line 1\r\nline 2\n\tx\ry\u001b[2J", keepLineBreaks: true));
    }

    [Fact]
    public void Every_character_a_terminal_acts_on_is_escaped_and_no_other()
    {
        for (var c = char.MinValue; c < char.MaxValue; c++)
        {
            var acts = c < 0x20 || c is >= '\u007f' and <= '\u009f' || c is '\u061c' or '\u200e' or '\u200f' || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069';
            var escaped = TerminalText.Escape(c.ToString());
            Assert.True(acts == (escaped != c.ToString()), $"U+{(int)c:X4}");
            Assert.DoesNotContain(escaped, ch => TerminalText.IsUnsafe(ch));
        }
    }
}
