using ModelIde.Core.Models;

namespace ModelIde.Core.Tests.Models;

public sealed class ModelIdTests
{
    [Theory]
    [InlineData("modelide/tiny-stdlib-coder", "modelide", "tiny-stdlib-coder")]
    [InlineData("Qwen/Qwen2.5-7B-Instruct", "Qwen", "Qwen2.5-7B-Instruct")]
    [InlineData("a_b/c_d", "a_b", "c_d")]
    public void Valid_ids_parse(string text, string owner, string name)
    {
        var id = ModelId.Parse(text);
        Assert.Equal(owner, id.Owner);
        Assert.Equal(name, id.Name);
        Assert.Equal(text, id.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("noslash")]
    [InlineData("a/b/c")]
    [InlineData("../x")]
    [InlineData("a/..")]
    [InlineData("a/.hidden")]
    [InlineData("a/-flag")]
    [InlineData("a b/c")]
    [InlineData("a/b?x=1")]
    [InlineData("a/b%2f")]
    [InlineData("a/b\n")]
    public void Unsafe_or_malformed_ids_are_invalid_input(string text)
    {
        var ex = Assert.Throws<ModelIdeException>(() => ModelId.Parse(text));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, ex.Kind);
    }

    [Theory]
    [InlineData("../master")]
    [InlineData("a/../b")]
    [InlineData("v1 0")]
    [InlineData("-x")]
    public void Unsafe_revisions_are_refused(string revision) =>
        Assert.Throws<ModelIdeException>(() => ModelId.ValidateRevision(revision));
}
