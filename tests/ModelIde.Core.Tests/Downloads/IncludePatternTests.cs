using ModelIde.Core.Downloads;

namespace ModelIde.Core.Tests.Downloads;

public sealed class IncludePatternTests
{
    [Theory]
    [InlineData("*.json", "config.json", true)]
    [InlineData("*.json", "sub/config.json", true)]
    [InlineData("*.json", "model.onnx", false)]
    [InlineData("onnx/*", "onnx/model.onnx", true)]
    [InlineData("onnx/*", "model.onnx", false)]
    [InlineData("onnx/", "onnx/a/b.bin", true)]
    [InlineData("model.onnx", "model.onnx", true)]
    [InlineData("model.onnx", "model_onnx", false)]
    [InlineData("tokenizer*.json", "tokenizer_config.json", true)]
    [InlineData("config.[jy]son", "config.json", true)]
    [InlineData("config.[!j]son", "config.json", false)]
    public void Globs_match_like_the_sdk(string pattern, string path, bool expected) =>
        Assert.Equal(expected, new IncludePattern(pattern).IsMatch(path));
}
