using ModelIde.Core.Downloads;

namespace ModelIde.Core.Tests.Downloads;

public sealed class RepoPathValidatorTests
{
    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("a/../../evil.txt")]
    [InlineData("a/..")]
    [InlineData("..")]
    [InlineData("./a")]
    [InlineData("/etc/passwd")]
    [InlineData("~/x")]
    [InlineData("C:/Windows/x")]
    [InlineData("c:x")]
    [InlineData("a\\..\\b")]
    [InlineData("dir\\file")]
    [InlineData("CON")]
    [InlineData("sub/nul.txt")]
    [InlineData("LPT1.bin")]
    [InlineData("com9")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("")]
    [InlineData("a\u0000b")]
    [InlineData("a\nb")]
    [InlineData("a\u001fb")]
    [InlineData("name.")]
    [InlineData("a/b:stream")]
    [InlineData("what?.txt")]
    [InlineData(".git/config")]
    [InlineData(".git/hooks/post-checkout")]
    [InlineData("sub/.git/config")]
    [InlineData(".GIT/config")]
    [InlineData(".Git/config")]
    [InlineData(".g\u200cit/config")] // HFS+ ignores U+200C: the same folder as .git on macOS
    [InlineData(".git\u200d/config")]
    [InlineData("\u206a.git/config")]
    [InlineData("git~1/config")] // the NTFS short name of .git
    [InlineData("GIT~1/config")]
    [InlineData(".git./config")]
    [InlineData(".git")]
    [InlineData(".vscode/tasks.json")]
    [InlineData(".vscode/settings.json")]
    [InlineData("nested/.VSCode/launch.json")]
    [InlineData("vscode~1/tasks.json")]
    [InlineData("sub/.GIT/hooks/pre-commit")]
    [InlineData("\u206a.git/HEAD")]
    public void Hostile_paths_are_refused_as_unsafe_input(string path)
    {
        var ex = Assert.Throws<ModelIdeException>(() => RepoPathValidator.Validate(path));
        Assert.Equal(ModelIdeErrorKind.UnsafeInput, ex.Kind);
        Assert.False(RepoPathValidator.IsSafe(path));
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("onnx/model.onnx")]
    [InlineData("a/b/c/d.safetensors")]
    [InlineData(".gitattributes")]
    [InlineData("模型/说明.md")]
    [InlineData("console.log")]
    [InlineData("my file.bin")]
    [InlineData(".gitignore")]
    [InlineData(".github/workflows/ci.yml")]
    [InlineData("git/config")]
    [InlineData(".gitx/config")]
    [InlineData("x.git/config")]
    [InlineData("vscode/settings.json")]
    [InlineData("docs/.vscode.md")]
    [InlineData("x.git/y")]
    [InlineData("git/HEAD")]
    public void Ordinary_repository_paths_are_accepted(string path)
    {
        Assert.True(RepoPathValidator.IsSafe(path));
        using var root = new Hub.TempFolder();
        var full = RepoPathValidator.ResolveUnder(root.Path, path);
        Assert.StartsWith(root.Path + Path.DirectorySeparatorChar, full, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".git/config", "git folder")]
    [InlineData(".vscode/tasks.json", "editor settings and tasks")]
    public void The_message_says_why_a_folder_that_acts_is_refused(string path, string why)
    {
        var ex = Assert.Throws<ModelIdeException>(() => RepoPathValidator.Validate(path));
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was written", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_hostile_paths_never_resolve_outside_the_root()
    {
        // Property-style: build paths from pieces that include every trick, and check the invariant
        // "either refused, or resolved strictly inside the root" for each one.
        string[] pieces = ["..", ".", "", "a", "b.bin", "CON", "nul.txt", "C:", "c:\\", "\\", "/", "~", "\u0000", "\n", "x\ty", " ", "a.", "é", "..\\..", "%2e%2e", "aux.json"];
        var seed = Fuzz.FuzzLog.Seed;
        var cases = Fuzz.FuzzLog.Cases(5000);
        var rng = new Random(seed);
        using var root = new Hub.TempFolder();
        var refused = 0;
        for (var i = 0; i < cases; i++)
        {
            var count = rng.Next(1, 6);
            var path = string.Join(rng.Next(4) == 0 ? "\\" : "/", Enumerable.Range(0, count).Select(_ => pieces[rng.Next(pieces.Length)]));
            if (rng.Next(5) == 0)
            {
                path = "/" + path;
            }

            try
            {
                var full = RepoPathValidator.ResolveUnder(root.Path, path);
                Assert.StartsWith(root.Path + Path.DirectorySeparatorChar, full, StringComparison.Ordinal);
                Assert.DoesNotContain("..", path.Split('/'));
            }
            catch (ModelIdeException ex)
            {
                Assert.Equal(ModelIdeErrorKind.UnsafeInput, ex.Kind);
                refused++;
            }
        }

        Assert.True(refused > cases / 5, $"only {refused} of {cases} random paths were refused; the generator is not hostile enough");
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.Path));
        Fuzz.FuzzLog.Record($"repository path validator ({refused} refused, the rest resolved inside the root)", cases, seed);
    }
}
