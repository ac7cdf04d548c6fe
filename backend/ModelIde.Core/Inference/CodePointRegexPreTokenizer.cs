using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ModelIde.Core.Inference;

/// <summary>
/// A byte-level BPE split regex run the way HF tokenizers (Rust, one match per code point) runs it. .NET's Regex sees
/// UTF-16: a character outside the BMP is two surrogates of category Cs, so 𝔘 or 𠮷 is no \p{L} and 𝟙 no \p{N}, and
/// "𝔘's" splits as "𝔘'" + "s" where Rust gives "𝔘" + "'s". Here each such character is matched as one BMP stand-in of
/// the same Unicode category (one that no case-insensitive literal in a split pattern can match), and the offsets are
/// mapped back to the real text.
/// </summary>
internal sealed class CodePointRegexPreTokenizer(Regex regex, IReadOnlyDictionary<string, int> specialTokens) : PreTokenizer
{
    // One stand-in per general category, the first BMP character of that category above Latin and Greek's case pairs
    // with ASCII (ſ, K), whose own case forms are also outside ASCII.
    private static readonly char[] StandIns = BuildStandIns();

    private readonly RegexPreTokenizer _inner = new(regex, specialTokens);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        if (text is null || !HasSurrogatePair(text))
        {
            return Checked(_inner.PreTokenize(text ?? ""));
        }

        // projected[i] stands for text[original[i]..original[i + 1]).
        var projected = new char[text.Length];
        var original = new int[text.Length + 1];
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            original[n] = i;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                projected[n++] = StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]))];
                i++;
            }
            else
            {
                projected[n++] = text[i];
            }
        }

        original[n] = text.Length;
        var splits = Checked(_inner.PreTokenize(new string(projected, 0, n)));
        return splits.Select(s => (original[s.Offset], original[s.Offset + s.Length] - original[s.Offset])).ToList();
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => PreTokenize(text.ToString());

    /// <summary>
    /// RegexPreTokenizer's splits, stopped with a reason where it would hang: it moves on by each match's length, so an
    /// empty match (a pattern such as \b or (?=x)) repeats forever, and a pattern that backtracks exponentially runs
    /// until the regex's timeout.
    /// </summary>
    private static IEnumerable<(int Offset, int Length)> Checked(IEnumerable<(int Offset, int Length)> splits)
    {
        using var e = splits.GetEnumerator();
        while (true)
        {
            bool more;
            try
            {
                more = e.MoveNext();
            }
            catch (RegexMatchTimeoutException ex)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                    $"tokenizer.json's pre_tokenizer pattern took longer than {ex.MatchTimeout.TotalSeconds:0.###} s on this text; the pattern backtracks " +
                    "without bound and cannot split it. Fix the pattern or pick another model.", ex);
            }

            if (!more)
            {
                yield break;
            }

            if (e.Current.Length == 0)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                    "tokenizer.json's pre_tokenizer pattern matches empty text here; a split pattern must match at least one character.");
            }

            yield return e.Current;
        }
    }

    private static bool HasSurrogatePair(string text)
    {
        for (var i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                return true;
            }
        }

        return false;
    }

    private static char[] BuildStandIns()
    {
        var standIns = new char[Enum.GetValues<UnicodeCategory>().Length];
        for (int c = 0x0400; c <= 0xFFFD; c++)
        {
            var ch = (char)c;
            if (char.IsSurrogate(ch) || char.ToLowerInvariant(ch) < 0x0400 || char.ToUpperInvariant(ch) < 0x0400)
            {
                continue;
            }

            var category = (int)CharUnicodeInfo.GetUnicodeCategory(ch);
            if (standIns[category] == '\0')
            {
                standIns[category] = ch;
            }
        }

        // A category without a BMP member of its own (none today) still must not read as a letter, digit or space.
        for (var i = 0; i < standIns.Length; i++)
        {
            if (standIns[i] == '\0')
            {
                standIns[i] = '\uE000';
            }
        }

        return standIns;
    }
}
