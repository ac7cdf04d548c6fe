using ModelIde.Core.Diagnostics;

namespace ModelIde.Core.Tests.Diagnostics;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("token ms-demo-0000000000 accepted", "ms-demo-0000000000")]
    [InlineData("Authorization: Bearer abcdef123456", "abcdef123456")]
    [InlineData("cloning https://oauth2:s3cretGitTok@127.0.0.1/x.git", "s3cretGitTok")]
    [InlineData("{\"access_token\":\"xyz-123456\"}", "xyz-123456")]
    [InlineData("refresh_token=qwertyuiop&x=1", "qwertyuiop")]
    [InlineData("jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl end", "eyJzdWIiOiJkZW1vIn0")]
    [InlineData("MODELSCOPE_API_TOKEN=abcdefgh1234", "abcdefgh1234")]
    [InlineData("password: hunter22", "hunter22")]
    [InlineData("git_token: abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz")]
    [InlineData("token:plainletters", "plainletters")]
    [InlineData("{\"token\": \"lettersonly\"}", "lettersonly")]
    [InlineData("token = lettersonly", "lettersonly")]
    public void Token_shaped_values_are_masked(string text, string secret)
    {
        var redacted = SecretRedactor.Redact(text);
        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Known_secret_that_does_not_look_like_a_token_is_masked()
    {
        SecretRedactor.AddKnownSecret("plain-looking-git-secret-42");
        Assert.Equal("git *** ok", SecretRedactor.Redact("git plain-looking-git-secret-42 ok"));
    }

    [Theory]
    [InlineData("The hub did not accept the token: sign in again.")] // issue 15: was "did not accept the token: *** in again"
    [InlineData("Invalid token: Sign in again")]
    [InlineData("No password: enter one first")]
    public void A_sentence_after_a_key_word_and_a_colon_is_left_alone(string text)
    {
        Assert.Equal(text, SecretRedactor.Redact(text));
    }

    [Fact]
    public void Ordinary_text_is_unchanged()
    {
        const string text = "Downloaded modelide/tiny-stdlib-coder (19.7 MB) at 120 MB/s into /home/u/.cache/modelscope";
        Assert.Equal(text, SecretRedactor.Redact(text));
    }
}
