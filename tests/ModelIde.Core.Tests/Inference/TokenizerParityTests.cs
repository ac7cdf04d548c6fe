using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

[Collection(TinyModelCollection.Name)]
public sealed class TokenizerParityTests(TinyModel tiny)
{
    public static TheoryData<int> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TinyModel.Locate(), "reference.json")));
        var data = new TheoryData<int>();
        for (var i = 0; i < doc.RootElement.GetProperty("tokenizer").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoding_and_decoding_match_the_reference(int index)
    {
        var c = tiny.Reference.RootElement.GetProperty("tokenizer")[index];
        var expectedIds = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var ids = tiny.Model.Tokenizer.Encode(c.GetProperty("text").GetString()!);
        Assert.Equal(expectedIds, ids);
        Assert.Equal(c.GetProperty("decoded").GetString(), tiny.Model.Tokenizer.Decode(expectedIds));
    }

    [Fact]
    public void There_are_ten_reference_cases() => Assert.Equal(10, tiny.Reference.RootElement.GetProperty("tokenizer").GetArrayLength());

    [Fact]
    public void Streaming_decoder_never_splits_a_multibyte_character()
    {
        var text = "中文字符和emoji 🚀 mixed";
        var ids = tiny.Model.Tokenizer.Encode(text);
        var decoder = new StreamingDecoder(tiny.Model.Tokenizer);
        var chunks = ids.Select(decoder.Add).ToList();
        chunks.Add(decoder.Flush());
        Assert.DoesNotContain(chunks, c => c.Contains('\uFFFD', StringComparison.Ordinal));
        Assert.All(chunks.Where(c => c.Length > 0), c => Assert.False(char.IsHighSurrogate(c[^1])));
        Assert.Equal(text, string.Concat(chunks));
    }

    [Fact]
    public void Unknown_tokenizer_model_type_is_a_clear_error()
    {
        using var doc = JsonDocument.Parse("""{"model":{"type":"WordPiece","vocab":{}},"added_tokens":[]}""");
        var e = Assert.Throws<ModelIdeException>(() => HfTokenizer.FromJson(doc.RootElement));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        Assert.Contains("WordPiece", e.Message, StringComparison.Ordinal);

        using var empty = JsonDocument.Parse("""{"model":{"type":"Unigram","vocab":[]},"added_tokens":[]}""");
        Assert.Equal(ModelIdeErrorKind.InvalidInput, Assert.Throws<ModelIdeException>(() => HfTokenizer.FromJson(empty.RootElement)).Kind);
    }

    [Fact]
    public void Merges_as_pairs_and_as_strings_give_the_same_tokens()
    {
        const string Pairs = """{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"Ġ":3},"merges":[["a","b"]]},"pre_tokenizer":{"type":"ByteLevel"},"added_tokens":[]}""";
        const string Strings = """{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"Ġ":3},"merges":["a b"]},"pre_tokenizer":{"type":"ByteLevel"},"added_tokens":[]}""";
        using var a = JsonDocument.Parse(Pairs);
        using var b = JsonDocument.Parse(Strings);
        Assert.Equal(new[] { 2 }, HfTokenizer.FromJson(a.RootElement).Encode("ab"));
        Assert.Equal(new[] { 2 }, HfTokenizer.FromJson(b.RootElement).Encode("ab"));
    }
}
