using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

/// <summary>
/// Byte-level BPE (Qwen, Llama 3, GPT-2): 50 strings (Chinese, Japanese, Korean, emoji with ZWJ and skin tones, flags, code with
/// tabs, runs of spaces and newlines, digits, contractions, chat special tokens inside text, NFD and combining marks, letters and digits outside the BMP)
/// give the ids and decoded text that HuggingFace tokenizers 0.22.2 (Rust) gave for the same tokenizer.json
/// (tests/oracles/bytelevel-bpe/record.mjs), and so do 300 seeded random strings per file. Four files: tiny-stdlib-coder's,
/// the real Qwen3 one (151,669 tokens), a GPT-2-style one the Rust trainer made (GPT-2's regex, no Split, no normalizer)
/// and that vocabulary laid out as Llama 3's is (digits in threes, ignore_merges, BOS from the post-processor).
/// </summary>
public sealed class ByteLevelTokenizerTests
{
    private static string Folder(string kind) => Path.Combine(AppContext.BaseDirectory, "Inference", "Fixtures", "tokenizers", kind);

    private static readonly Dictionary<string, HfTokenizer> Loaded = [];

    private static HfTokenizer Load(string kind)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(kind, out var cached))
            {
                return cached;
            }

            var tokenizer = kind switch
            {
                "bytelevel-tiny" => HfTokenizer.Load(Path.Combine(TinyModel.Locate(), "tokenizer.json")),
                "bytelevel-gpt2" or "bytelevel-llama3" => HfTokenizer.Load(Path.Combine(Folder(kind), "tokenizer.json")),
                _ => FromGzip(Path.Combine(Folder(kind), "tokenizer.json.gz")),
            };
            Loaded[kind] = tokenizer;
            return tokenizer;
        }
    }

    private static HfTokenizer FromGzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var doc = JsonDocument.Parse(gz);
        return HfTokenizer.FromJson(doc.RootElement);
    }

    private static IEnumerable<JsonElement> Cases(JsonDocument expected) => expected.RootElement.GetProperty("cases").EnumerateArray();

    // The named strings, then 300 seeded random ones built from pieces that stress the split regex and the byte mapping.
    private static IEnumerable<JsonElement> AllCases(JsonDocument expected) =>
        Cases(expected).Concat(expected.RootElement.GetProperty("random").EnumerateArray());

    private static int[] Ids(JsonElement c, string name = "ids") => c.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static JsonDocument Expected(string kind) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(kind), "expected.json")));

    public static TheoryData<string> Kinds() => new() { "bytelevel-tiny", "bytelevel-qwen3", "bytelevel-gpt2", "bytelevel-llama3" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Ids_and_decoded_text_equal_huggingface_tokenizers(string kind)
    {
        var tokenizer = Load(kind);
        using var expected = Expected(kind);
        var failures = new List<string>();
        foreach (var c in AllCases(expected))
        {
            var text = c.GetProperty("text").GetString()!;
            var ids = Ids(c);
            var actual = tokenizer.Encode(text).ToArray();
            if (!actual.SequenceEqual(ids))
            {
                failures.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(",", ids)}] got [{string.Join(",", actual)}]");
            }

            var withoutSpecials = tokenizer.Encode(text, addSpecialTokens: false).ToArray();
            if (!withoutSpecials.SequenceEqual(Ids(c, "ids_without_special_tokens")))
            {
                failures.Add($"{JsonSerializer.Serialize(text)} (no special tokens): got [{string.Join(",", withoutSpecials)}]");
            }

            var decoded = tokenizer.Decode(ids);
            if (decoded != c.GetProperty("decoded").GetString())
            {
                failures.Add($"{JsonSerializer.Serialize(text)}: decoded {JsonSerializer.Serialize(decoded)}, expected {JsonSerializer.Serialize(c.GetProperty("decoded").GetString())}");
            }
        }

        Assert.True(failures.Count == 0, $"{kind}: {failures.Count} differences from HF tokenizers:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_fixtures_cover_what_the_issue_asks(string kind)
    {
        using var expected = Expected(kind);
        var texts = Cases(expected).Select(c => c.GetProperty("text").GetString()!).ToList();
        Assert.True(texts.Count >= 30, $"{texts.Count} strings");
        Assert.Contains(texts, t => t.Any(ch => ch is >= '\u4e00' and <= '\u9fff'));
        Assert.Contains(texts, t => t.Any(ch => ch is >= '\u3040' and <= '\u30ff'));
        Assert.Contains(texts, t => t.Contains('\u200D', StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("\U0001F3FD", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("\n\t\t", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("          ", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("\n\n\n", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("<|im_start|>", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains('\u0301', StringComparison.Ordinal));
        // The special tokens are matched whole inside text by the oracle too, or this test would say little.
        var specialId = Load(kind).SpecialTokens.Values.ToHashSet();
        Assert.Contains(Cases(expected), c => Ids(c).Any(specialId.Contains));
        Assert.Contains(texts, t => t.EnumerateRunes().Any(r => r.Utf16SequenceLength == 2 && Rune.IsLetter(r)));
        Assert.Equal(300, expected.RootElement.GetProperty("random").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Streaming_one_id_at_a_time_gives_the_oracles_text(string kind)
    {
        var tokenizer = Load(kind);
        using var expected = Expected(kind);
        foreach (var c in AllCases(expected))
        {
            var decoder = new StreamingDecoder(tokenizer);
            var chunks = Ids(c).Select(decoder.Add).ToList();
            chunks.Add(decoder.Flush());
            Assert.Equal(c.GetProperty("decoded").GetString(), string.Concat(chunks));
            Assert.DoesNotContain(chunks, chunk => chunk.Contains('\uFFFD', StringComparison.Ordinal));
        }
    }
}
