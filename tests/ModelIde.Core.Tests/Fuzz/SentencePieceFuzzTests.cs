using System.Text;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Fuzz;

/// <summary>
/// Random Unicode (TokenizerFuzzTests' generator) through the SentencePiece fixtures, BPE and Unigram, as tokenizer.json
/// and tokenizer.model: no exception, and decode(encode(s)) = s (identity normalisation, byte fallback for whatever the
/// vocabulary lacks), with unpaired surrogates as U+FFFD. Text holding chat-token text is only checked not to throw, since
/// decoding drops the added tokens by design.
/// </summary>
public sealed class SentencePieceFuzzTests
{
    public static TheoryData<string, string> Cases() => new()
    {
        { "sp-bpe", "tokenizer.json" },
        { "sp-bpe", "tokenizer.model" },
        { "sp-unigram", "tokenizer.json" },
        { "sp-unigram", "tokenizer.model" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Random_unicode_round_trips_through_the_sentencepiece_tokenizers(string kind, string file)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Inference", "Fixtures", "tokenizers", kind);
        var files = file == "tokenizer.json"
            ? new ModelSideFiles(null, null, null, Path.Combine(dir, file), null, Path.Combine(dir, "tokenizer_config.json"), null)
            : new ModelSideFiles(null, null, null, null, Path.Combine(dir, file), Path.Combine(dir, "tokenizer_config.json"), null);
        var tokenizer = HfTokenizer.Load(files, "model.onnx");
        var seed = FuzzLog.Seed;
        var cases = FuzzLog.Cases(2000);
        var random = new Random(seed);
        var checkedExactly = 0;
        await Task.Run(() =>
        {
            for (var i = 0; i < cases; i++)
            {
                var (text, kinds) = TokenizerFuzzTests.RandomText(random);
                string decoded;
                try
                {
                    decoded = tokenizer.Decode(tokenizer.Encode(text));
                }
                catch (Exception ex)
                {
                    Assert.Fail($"{kind}/{file} case {i} (seed {seed}) threw {ex.GetType().Name}: {ex.Message}\ninput: {TokenizerFuzzTests.Escape(text)}");
                    return;
                }

                if (kinds.Contains(TokenizerFuzzTests.Piece.Special))
                {
                    continue;
                }

                checkedExactly++;
                var expected = WithoutLoneSurrogates(text);
                Assert.True(expected == decoded, $"{kind}/{file} case {i} (seed {seed}): round trip differs\ninput:   {TokenizerFuzzTests.Escape(text)}\ndecoded: {TokenizerFuzzTests.Escape(decoded)}");
            }
        }).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(checkedExactly > cases / 3, $"only {checkedExactly} of {cases} cases were checked exactly");
        FuzzLog.Record($"SentencePiece round trip, {kind} {file} ({checkedExactly} exact, the rest with chat-token text: no exception)", cases, seed);
    }

    [Theory]
    [InlineData("sp-bpe")]
    [InlineData("sp-unigram")]
    public void Tokenizer_json_and_tokenizer_model_give_the_same_ids(string kind)
    {
        // The BPE tokenizer.json merges by its merge list, the .model by piece score: for a merge list derived from the
        // model (as transformers' converter derives it) both must cut random text the same way.
        var dir = Path.Combine(AppContext.BaseDirectory, "Inference", "Fixtures", "tokenizers", kind);
        var config = Path.Combine(dir, "tokenizer_config.json");
        var json = HfTokenizer.Load(new ModelSideFiles(null, null, null, Path.Combine(dir, "tokenizer.json"), null, config, null), "model.onnx");
        var model = HfTokenizer.Load(new ModelSideFiles(null, null, null, null, Path.Combine(dir, "tokenizer.model"), config, null), "model.onnx");
        var seed = FuzzLog.Seed;
        var cases = FuzzLog.Cases(2000);
        var random = new Random(seed);
        for (var i = 0; i < cases; i++)
        {
            var (text, _) = TokenizerFuzzTests.RandomText(random);
            var (a, b) = (json.Encode(text), model.Encode(text));
            Assert.True(a.SequenceEqual(b), $"{kind} case {i} (seed {seed}): tokenizer.json [{string.Join(",", a)}], tokenizer.model [{string.Join(",", b)}]\ninput: {TokenizerFuzzTests.Escape(text)}");
        }

        FuzzLog.Record($"SentencePiece {kind}: tokenizer.json and tokenizer.model agree", cases, seed);
    }

    private static string WithoutLoneSurrogates(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(text, i++, 2);
            }
            else
            {
                sb.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
            }
        }

        return sb.ToString();
    }
}
