namespace ModelIde.Cli.Tests.CommandLine;

/// <summary>Which commands run without ICU (CliCulture): only listed ones, and never one that needs culture data.</summary>
public sealed class CliCultureTests
{
    [Fact]
    public void Every_command_listed_to_run_without_icu_exists_and_none_of_them_normalizes_text_or_switches_locale()
    {
        var names = CliCommandCatalog.Names.ToHashSet(StringComparer.Ordinal);
        Assert.All(CliCulture.CommandsWithoutCultureData, name => Assert.Contains(name, names));
        // infer normalizes prompts to NFC (a no-op in invariant mode), serve switches to the editor's locale.
        foreach (var name in new[] { "infer", "serve", "hub", "login" })
        {
            Assert.DoesNotContain(name, CliCulture.CommandsWithoutCultureData);
        }
    }

    [Theory]
    [InlineData(new[] { "download", "modelide/x" }, true)]
    [InlineData(new[] { "models", "files", "modelide/x" }, true)]
    [InlineData(new[] { "infer", "--model", "m" }, false)]
    [InlineData(new[] { "serve" }, false)]
    [InlineData(new[] { "--help" }, false)]
    [InlineData(new[] { "[suggest:9]", "modelide " }, false)]
    [InlineData(new string[0], false)]
    public void Only_a_command_line_that_starts_with_a_listed_command_runs_invariant(string[] args, bool invariant) =>
        Assert.Equal(invariant, CliCulture.RunsInvariant(args));
}
