using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

public sealed class ShellWordsTests
{
    [Theory]
    [InlineData("--system 'You are a helpful assistant.'", new[] { "--system", "You are a helpful assistant." })]
    [InlineData("a  b\tc", new[] { "a", "b", "c" })]
    [InlineData("'/data/my file.jsonl' x", new[] { "/data/my file.jsonl", "x" })]
    [InlineData("\"say \\\"hi\\\" \\\\ $HOME\"", new[] { "say \"hi\" \\ $HOME" })]
    [InlineData("my\\ file.jsonl", new[] { "my file.jsonl" })]
    [InlineData("pre'fix 'mid\"dle\" post", new[] { "prefix middle", "post" })]
    [InlineData("''", new[] { "" })]
    [InlineData("'$(touch /tmp/x)' `id`", new[] { "$(touch /tmp/x)", "`id`" })]
    [InlineData("--model_kwargs '{\"MAX_PIXELS\": 1003520}'", new[] { "--model_kwargs", "{\"MAX_PIXELS\": 1003520}" })]
    public void Words_split_as_a_posix_shell_splits_them_without_expanding(string line, string[] expected)
    {
        Assert.True(ShellWords.TrySplit(line, out var words, out var error), error);
        Assert.Equal(expected, words);
    }

    [Theory]
    [InlineData("--system 'unclosed", "unclosed single quote at character 10")]
    [InlineData("\"open", "unclosed double quote")]
    [InlineData("trailing\\", "a backslash at the end of the line escapes nothing")]
    public void Unbalanced_quotes_are_an_error_not_a_guess(string line, string expected)
    {
        Assert.False(ShellWords.TrySplit(line, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Words_quoted_back_for_the_remote_shell_split_to_the_same_words()
    {
        // What the preview shows (PosixShell.Join) is what the remote shell will split back: round trip over hard cases.
        var random = new Random(1616);
        const string alphabet = "ab '\"\\$`;|&()<>*?~#\n\t=-";
        for (var n = 0; n < 2000; n++)
        {
            var words = Enumerable.Range(0, random.Next(1, 5))
                .Select(_ => new string(Enumerable.Range(0, random.Next(1, 8)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()))
                .Where(w => !w.StartsWith("~/", StringComparison.Ordinal)).ToArray();
            Assert.True(ShellWords.TrySplit(PosixShell.Join(words), out var back, out var error), error);
            Assert.Equal(words, back);
        }
    }
}
