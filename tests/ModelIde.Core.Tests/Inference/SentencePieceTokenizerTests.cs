using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

/// <summary>
/// SentencePiece-style BPE and Unigram, as tokenizer.json (laid out as transformers' converters write them) and as
/// tokenizer.model: 40 strings each (Chinese, Japanese, emoji and ZWJ, code, runs of spaces, tabs and newlines, chat
/// special tokens, characters outside the vocabulary) give the ids and decoded text Debian's python3-sentencepiece
/// gave for the same model (tests/oracles/record_sentencepiece.py).
/// Byte fallback (&lt;0xXX&gt; pieces for CJK outside the vocabulary, emoji, accents) is what Microsoft.ML.Tokenizers
/// 2.0.1 got wrong (bytes mapped from the id of &lt;0xFF&gt;), hence our own SentencePieceEncoder; every string must match.
/// </summary>
public sealed class SentencePieceTokenizerTests
{
    private static string Folder(string kind) => Path.Combine(AppContext.BaseDirectory, "Inference", "Fixtures", "tokenizers", kind);

    // The strings whose SentencePiece ids contain a byte piece (<0x00>..<0xFF> sit at ids 3..258 in these models).
    private static int ByteFallbackCount(JsonDocument expected) =>
        expected.RootElement.GetProperty("cases").EnumerateArray()
            .Count(c => c.GetProperty("ids").EnumerateArray().Skip(1).Any(x => x.GetInt32() is >= 3 and <= 258));

    public static TheoryData<string, string> Cases() => new()
    {
        { "sp-bpe", "tokenizer.json" },
        { "sp-bpe", "tokenizer.model" },
        { "sp-unigram", "tokenizer.json" },
        { "sp-unigram", "tokenizer.model" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_and_decoded_text_equal_sentencepiece(string kind, string file)
    {
        var dir = Folder(kind);
        var config = DecoderModelConfig.ReadJson(Path.Combine(dir, "tokenizer_config.json"));
        var files = file == "tokenizer.json"
            ? new ModelSideFiles(null, null, null, Path.Combine(dir, "tokenizer.json"), null, Path.Combine(dir, "tokenizer_config.json"), null)
            : new ModelSideFiles(null, null, null, null, Path.Combine(dir, "tokenizer.model"), Path.Combine(dir, "tokenizer_config.json"), null);
        var tokenizer = HfTokenizer.Load(files, "model.onnx");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
        var failures = new List<string>();
        var count = 0;
        foreach (var c in expected.RootElement.GetProperty("cases").EnumerateArray())
        {
            count++;
            var text = c.GetProperty("text").GetString()!;
            var ids = c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var actual = tokenizer.Encode(text).ToArray();
            if (!actual.SequenceEqual(ids))
            {
                failures.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(",", ids)}] got [{string.Join(",", actual)}]");
            }

            var decoded = tokenizer.Decode(ids.Skip(1).Where(id => !tokenizer.SpecialTokens.Values.Contains(id)));
            if (decoded != c.GetProperty("decoded").GetString())
            {
                failures.Add($"{JsonSerializer.Serialize(text)}: decoded {JsonSerializer.Serialize(decoded)}, expected {JsonSerializer.Serialize(c.GetProperty("decoded").GetString())}");
            }
        }

        Assert.True(count >= 30);
        // The fixtures must exercise byte fallback and the chat tokens, or this test says little.
        Assert.True(ByteFallbackCount(expected) >= 8, "too few strings with byte fallback");
        Assert.True(failures.Count == 0, $"{kind}/{file}: {failures.Count} differences from SentencePiece:\n" + string.Join("\n", failures));
    }
}
