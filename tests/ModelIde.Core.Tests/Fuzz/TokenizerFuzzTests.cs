using System.Text;
using ModelIde.Core.Inference;
using ModelIde.Core.Tests.Inference;

namespace ModelIde.Core.Tests.Fuzz;

/// <summary>
/// Random Unicode through the bundled model's tokenizer: encode then decode gives the input back. Two documented
/// transformations are part of the expectation instead of being skipped: the tokenizer normalises to NFC (as its
/// tokenizer.json says, like Hugging Face tokenizers), so decomposed input (combining marks, Hangul jamo) comes back
/// composed; and an unpaired surrogate cannot be encoded as UTF-8, so it comes back as U+FFFD.
/// </summary>
public sealed class TokenizerFuzzTests
{
    private static readonly HfTokenizer s_tokenizer = HfTokenizer.Load(Path.Combine(TinyModel.Locate(), "tokenizer.json"));

    internal enum Piece { Ascii, Whitespace, Control, Cjk, Emoji, Combining, Hangul, OtherBmp, Supplementary, Special, LoneSurrogate }

    [Fact]
    public async Task Random_unicode_round_trips_through_encode_and_decode()
    {
        var seed = FuzzLog.Seed;
        var cases = FuzzLog.Cases(5000);
        var random = new Random(seed);
        var normalised = 0;
        var withLoneSurrogates = 0;
        var tokens = 0L;
        // Guards against a hang (e.g. a backtracking pre-tokenizer regex); far above the normal run time.
        await Task.Run(() =>
        {
            for (var i = 0; i < cases; i++)
            {
                var (text, kinds) = RandomText(random);
                string decoded;
                try
                {
                    var ids = s_tokenizer.Encode(text);
                    tokens += ids.Count;
                    decoded = s_tokenizer.Decode(ids);
                }
                catch (Exception ex)
                {
                    Assert.Fail($"case {i} (seed {seed}) threw {ex.GetType().Name}: {ex.Message}\ninput: {Escape(text)}");
                    return;
                }

                var expected = Expected(text);
                if (expected != text)
                {
                    if (kinds.Contains(Piece.LoneSurrogate))
                    {
                        withLoneSurrogates++;
                    }
                    else
                    {
                        normalised++;
                    }
                }

                Assert.True(expected == decoded, $"case {i} (seed {seed}, pieces {string.Join(",", kinds)}): round trip differs\ninput:    {Escape(text)}\nexpected: {Escape(expected)}\ndecoded:  {Escape(decoded)}");
            }
        }).WaitAsync(TimeSpan.FromMinutes(5));

        FuzzLog.Record($"tokenizer round trip ({cases - normalised - withLoneSurrogates} identical, {normalised} equal after NFC, {withLoneSurrogates} with lone surrogates as U+FFFD; {tokens} tokens)", cases, seed);
    }

    /// <summary>What decode(encode(text)) must be: lone surrogates replaced as UTF-8 does, then NFC.</summary>
    private static string Expected(string text)
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

        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    internal static (string Text, HashSet<Piece> Kinds) RandomText(Random random)
    {
        var sb = new StringBuilder();
        var kinds = new HashSet<Piece>();
        var pieces = random.Next(1, 12);
        for (var p = 0; p < pieces; p++)
        {
            // Lone surrogates are rarer so most cases check the exact round trip.
            var kind = random.Next(40) == 0 ? Piece.LoneSurrogate : (Piece)random.Next((int)Piece.LoneSurrogate);
            kinds.Add(kind);
            var n = random.Next(1, 16);
            for (var k = 0; k < n; k++)
            {
                AppendOne(sb, kind, random);
            }
        }

        return (sb.ToString(), kinds);
    }

    private static readonly string[] s_whitespace = [" ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u00A0", "\u3000", "\u2028", "\u2029", "\u000B", "\u000C", "\u200B", "\u2009"];
    private static readonly string[] s_emoji = ["\U0001F680", "\U0001F600", "\U0001F44D\U0001F3FD", "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\u2764\uFE0F", "\U0001F1E8\U0001F1F3", "\U0001F9D1\u200D\U0001F4BB", "#\uFE0F\u20E3"];
    private static readonly string[] s_specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|im_start", "|>"];

    private static void AppendOne(StringBuilder sb, Piece kind, Random random)
    {
        switch (kind)
        {
            case Piece.Ascii:
                sb.Append((char)random.Next(0x20, 0x7F));
                break;
            case Piece.Whitespace:
                var ws = s_whitespace[random.Next(s_whitespace.Length)];
                sb.Insert(sb.Length, ws, random.Next(1, random.Next(10) == 0 ? 300 : 4));
                break;
            case Piece.Control:
                var c = random.Next(3) switch { 0 => random.Next(0, 0x20), 1 => 0x7F, _ => random.Next(0x80, 0xA0) };
                sb.Append((char)c);
                break;
            case Piece.Cjk:
                sb.Append((char)(random.Next(4) switch { 0 => random.Next(0x3040, 0x30FF), 1 => random.Next(0xAC00, 0xD7A4), 2 => random.Next(0xFF01, 0xFF5F), _ => random.Next(0x4E00, 0xA000) }));
                break;
            case Piece.Emoji:
                sb.Append(s_emoji[random.Next(s_emoji.Length)]);
                break;
            case Piece.Combining:
                // A base letter and one to three marks, in random (not canonical) order.
                sb.Append("aeouAEnNcs"[random.Next(10)]);
                for (var m = random.Next(1, 4); m > 0; m--)
                {
                    sb.Append((char)(random.Next(3) switch { 0 => random.Next(0x0300, 0x0370), 1 => random.Next(0x1AB0, 0x1AC0), _ => random.Next(0x20D0, 0x20F1) }));
                }

                break;
            case Piece.Hangul:
                // Conjoining jamo (L V T?) that NFC composes into syllables.
                sb.Append((char)random.Next(0x1100, 0x1113)).Append((char)random.Next(0x1161, 0x1176));
                if (random.Next(2) == 0)
                {
                    sb.Append((char)random.Next(0x11A8, 0x11C3));
                }

                break;
            case Piece.OtherBmp:
                char ch;
                do
                {
                    ch = (char)random.Next(0xA0, 0xFFFE);
                }
                while (char.IsSurrogate(ch));

                sb.Append(ch);
                break;
            case Piece.Supplementary:
                sb.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000)));
                break;
            case Piece.Special:
                sb.Append(s_specials[random.Next(s_specials.Length)]);
                break;
            default:
                sb.Append((char)random.Next(0xD800, 0xE000));
                break;
        }
    }

    internal static string Escape(string s) => string.Concat(s.Select(c => c is >= ' ' and < '\x7F' ? c.ToString() : $"\\u{(int)c:X4}"));
}
