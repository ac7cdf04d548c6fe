using System.Text;
using Microsoft.ML.Tokenizers;

namespace ModelIde.Core.Inference;

/// <summary>
/// Byte-level BPE with tokenizer.json's <c>"ignore_merges": true</c> (Llama 3): a pre-token that is itself a vocabulary
/// entry becomes that one id, whatever the merges would have built; every other pre-token goes through the merges.
/// Microsoft.ML.Tokenizers 2.0.1's BpeTokenizer has no such option, so the split happens here and each remaining
/// pre-token is handed to it already normalized and split.
/// </summary>
internal sealed class WholeWordBpeEncoder(Tokenizer bpe, PreTokenizer preTokenizer, Normalizer? normalizer,
    IReadOnlyDictionary<string, int> vocab, IReadOnlyDictionary<string, int> specials)
{
    // GPT-2's byte-to-symbol table: printable Latin-1 bytes stand for themselves, the rest for U+0100 onwards.
    private static readonly char[] ByteSymbols = BuildByteSymbols();

    public IReadOnlyList<int> Encode(string text)
    {
        var normalized = normalizer?.Normalize(text) ?? text;
        var ids = new List<int>();
        foreach (var (offset, length) in preTokenizer.PreTokenize(normalized))
        {
            var piece = normalized.Substring(offset, length);
            if (specials.TryGetValue(piece, out var special) || vocab.TryGetValue(Symbols(piece), out special))
            {
                ids.Add(special);
            }
            else
            {
                ids.AddRange(bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
            }
        }

        return ids;
    }

    private static string Symbols(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var symbols = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            symbols[i] = ByteSymbols[bytes[i]];
        }

        return new string(symbols);
    }

    private static char[] BuildByteSymbols()
    {
        var symbols = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            symbols[b] = printable ? (char)b : (char)next++;
        }

        return symbols;
    }
}
