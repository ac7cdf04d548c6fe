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

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_one_id_at_a_time_gives_the_same_text_as_decoding_all(string kind, string file)
    {
        // The playground streams generated ids; a chunk that starts with "▁" keeps its space (only the text's first
        // piece loses the dummy prefix's), and byte pieces of one character are held until the character is whole.
        var tokenizer = Load(kind, file);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(kind), "expected.json")));
        foreach (var c in expected.RootElement.GetProperty("cases").EnumerateArray())
        {
            var ids = c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).Skip(1)
                .Where(id => !tokenizer.SpecialTokens.Values.Contains(id)).ToArray();
            var decoder = new StreamingDecoder(tokenizer);
            var chunks = ids.Select(decoder.Add).Append(decoder.Flush()).ToList();
            Assert.Equal(c.GetProperty("decoded").GetString(), string.Concat(chunks));
            Assert.DoesNotContain(chunks, chunk => chunk.Contains('\uFFFD', StringComparison.Ordinal));
        }
    }

    public static TheoryData<string, string> RandomCases() => new()
    {
        { "bpe", "sp-bpe/tokenizer.model" },
        { "bpe", "sp-bpe/tokenizer.json" },
        { "unigram", "sp-unigram/tokenizer.model" },
        { "unigram", "sp-unigram/tokenizer.json" },
        { "bpe-unk-user", "sp-random/bpe-unk-user.model" },
        { "unigram-unk-user", "sp-random/unigram-unk-user.model" },
        { "bpe-no-dummy-prefix", "sp-random/bpe-no-dummy-prefix.model" },
    };

    [Theory]
    [MemberData(nameof(RandomCases))]
    public void Random_strings_give_the_ids_and_text_sentencepiece_gives(string oracle, string file)
    {
        // 500 seeded random strings per model (tests/oracles/record_sentencepiece_random.py), also without byte fallback
        // (runs of unknown characters fuse into one unknown id), with remove_extra_whitespaces, user-defined symbols,
        // and without the dummy prefix.
        var path = Path.Combine(Folder(""), file);
        var tokenizer = path.EndsWith(".json", StringComparison.Ordinal)
            ? HfTokenizer.Load(new ModelSideFiles(null, null, null, path, null, null, null), "model.onnx")
            : HfTokenizer.Load(new ModelSideFiles(null, null, null, null, path, null, null), "model.onnx");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder("sp-random"), oracle + ".expected.json")));
        var failures = new List<string>();
        var count = 0;
        foreach (var c in expected.RootElement.GetProperty("cases").EnumerateArray())
        {
            count++;
            var text = c.GetProperty("text").GetString()!;
            var ids = c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var actual = tokenizer.Encode(text, addSpecialTokens: false).ToArray();
            if (!actual.SequenceEqual(ids))
            {
                failures.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(",", ids)}] got [{string.Join(",", actual)}]");
            }

            var decoded = tokenizer.Decode(ids);
            if (decoded != c.GetProperty("decoded").GetString())
            {
                failures.Add($"{JsonSerializer.Serialize(text)}: decoded {JsonSerializer.Serialize(decoded)}, expected {JsonSerializer.Serialize(c.GetProperty("decoded").GetString())}");
            }
        }

        Assert.Equal(500, count);
        Assert.True(failures.Count == 0, $"{file}: {failures.Count} differences from SentencePiece:\n" + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void Metaspace_prepend_scheme_first_puts_the_dummy_prefix_only_at_the_start_of_the_text()
    {
        // Mistral v0.3 and other non-legacy files: prepend_scheme "first" gives the text's first run the "▁", not the
        // text after an added token (tokenizers' Metaspace checks that the run starts at offset 0 of the input).
        var json = File.ReadAllText(Path.Combine(Folder("sp-unigram"), "tokenizer.json"));
        Assert.Contains("\"prepend_scheme\": \"always\"", json, StringComparison.Ordinal);
        using var always = JsonDocument.Parse(json);
        using var first = JsonDocument.Parse(json.Replace("\"prepend_scheme\": \"always\"", "\"prepend_scheme\": \"first\"", StringComparison.Ordinal));
        var a = HfTokenizer.FromJson(always.RootElement);
        var f = HfTokenizer.FromJson(first.RootElement);
        var space = a.TokenId("\u2581")!.Value;
        var imEnd = a.SpecialTokens["<|im_end|>"];

        var withPrefix = a.Encode("hi<|im_end|>\nbye", addSpecialTokens: false);
        var firstOnly = f.Encode("hi<|im_end|>\nbye", addSpecialTokens: false);
        var afterAlways = withPrefix.SkipWhile(id => id != imEnd).Skip(1).ToArray();
        var afterFirst = firstOnly.SkipWhile(id => id != imEnd).Skip(1).ToArray();
        Assert.Equal(withPrefix.TakeWhile(id => id != imEnd), firstOnly.TakeWhile(id => id != imEnd));
        Assert.Equal(space, afterAlways[0]);
        Assert.Equal(afterAlways[1..], afterFirst);
        Assert.Equal("hi\nbye", f.Decode(firstOnly));
    }

    [Fact]
    public void A_truncated_tokenizer_model_is_a_clear_error()
    {
        var dir = Path.Combine(Path.GetTempPath(), "modelide-sp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(Folder("sp-bpe"), "tokenizer.model"));
            File.WriteAllBytes(Path.Combine(dir, "tokenizer.model"), bytes[..(bytes.Length / 2)]);
            var files = new ModelSideFiles(null, null, null, null, Path.Combine(dir, "tokenizer.model"), null, null);
            var e = Assert.Throws<ModelIdeException>(() => HfTokenizer.Load(files, "model.onnx"));
            Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
            Assert.Contains("tokenizer.model", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static HfTokenizer Load(string kind, string file)
    {
        var dir = Folder(kind);
        var files = file == "tokenizer.json"
            ? new ModelSideFiles(null, null, null, Path.Combine(dir, "tokenizer.json"), null, Path.Combine(dir, "tokenizer_config.json"), null)
            : new ModelSideFiles(null, null, null, null, Path.Combine(dir, "tokenizer.model"), Path.Combine(dir, "tokenizer_config.json"), null);
        return HfTokenizer.Load(files, "model.onnx");
    }
}
