using System.Globalization;
using System.Text;

namespace ModelIde.Core.Inference;

/// <summary>
/// SentencePiece-style tokenization (Llama 2, Mistral, Phi-3, T5-like Unigram): added tokens split out first, each run
/// of text in between normalised (spaces → "▁", the dummy "▁" in front) and cut into pieces by BPE (merging the pair
/// whose piece scores highest, or for a tokenizer.json the pair ranked first in its merge list) or by Unigram (the
/// Viterbi path of highest total score); a character no piece covers becomes its UTF-8 bytes as &lt;0xXX&gt; pieces
/// (byte fallback) or the unknown id. Decoding reverses it, reassembling byte pieces into UTF-8 and dropping the
/// leading space the dummy prefix put there.
/// </summary>
internal sealed class SentencePieceEncoder
{
    private const char Space = '\u2581';

    private readonly SentencePieceModel _model;
    private readonly Dictionary<string, int> _pieces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int[] _byteIds = new int[256];
    private readonly int _maxPieceLength;
    private readonly float _unknownScore;
    private readonly float _maxScore;
    private readonly string[] _userDefined;
    private readonly (string Content, int Id)[] _added;
    private readonly HashSet<int> _addedIds;

    public SentencePieceEncoder(SentencePieceModel model, IReadOnlyDictionary<string, int> addedTokens)
    {
        _model = model;
        Array.Fill(_byteIds, -1);
        float min = float.MaxValue, max = float.MinValue;
        var user = new List<string>();
        for (var id = 0; id < model.Pieces.Count; id++)
        {
            var (piece, score, type) = model.Pieces[id];
            switch (type)
            {
                case SentencePieceType.Normal or SentencePieceType.UserDefined or SentencePieceType.Unused:
                    _pieces.TryAdd(piece, id);
                    _maxPieceLength = Math.Max(_maxPieceLength, piece.Length);
                    if (type == SentencePieceType.Normal)
                    {
                        min = Math.Min(min, score);
                        max = Math.Max(max, score);
                    }
                    else if (type == SentencePieceType.UserDefined && piece.Length > 0)
                    {
                        user.Add(piece);
                    }

                    break;
                case SentencePieceType.Byte when TryParseByte(piece, out var b):
                    _byteIds[b] = id;
                    break;
            }
        }

        _lookup = _pieces.GetAlternateLookup<ReadOnlySpan<char>>();
        // SentencePiece's Unigram: a character no piece covers costs 10 less than the rarest piece; a user-defined
        // piece scores above any path of normal pieces over the same bytes.
        _unknownScore = (min == float.MaxValue ? 0 : min) - 10f;
        _maxScore = max == float.MinValue ? 0 : max;
        _userDefined = [.. user.OrderByDescending(u => u.Length)];
        _added = [.. addedTokens.Where(a => a.Key.Length > 0).Select(a => (a.Key, a.Value)).OrderByDescending(a => a.Key.Length)];
        _addedIds = [.. addedTokens.Values];
    }

    public int? BeginningOfSentenceId => _model.BeginningOfSentenceId >= 0 ? _model.BeginningOfSentenceId : null;

    /// <summary>Every piece of the model by text (control, unknown and byte pieces included).</summary>
    public IReadOnlyDictionary<string, int> Vocabulary =>
        _vocabulary ??= _model.Pieces.Select((p, id) => (p.Piece, id)).DistinctBy(p => p.Piece).ToDictionary(p => p.Piece, p => p.id, StringComparer.Ordinal);

    private Dictionary<string, int>? _vocabulary;

    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        var next = new int[_added.Length];
        Array.Fill(next, -2);
        var start = 0;
        while (start < text.Length)
        {
            // The earliest added token from here; the longest one where several start at the same place.
            int at = -1, which = -1;
            for (var k = 0; k < _added.Length; k++)
            {
                if (next[k] != -1 && next[k] < start)
                {
                    next[k] = text.IndexOf(_added[k].Content, start, StringComparison.Ordinal);
                }

                if (next[k] >= 0 && (at < 0 || next[k] < at))
                {
                    (at, which) = (next[k], k);
                }
            }

            var end = at < 0 ? text.Length : at;
            if (end > start)
            {
                EncodeRun(text.AsSpan(start, end - start), start == 0, ids);
            }

            if (at < 0)
            {
                break;
            }

            ids.Add(_added[which].Id);
            start = at + _added[which].Content.Length;
        }

        return ids;
    }

    /// <summary>Ids to text. Added tokens and control pieces (BOS, EOS) give nothing; <paramref name="atStart"/> says
    /// the ids begin the text, so the space of the dummy prefix is dropped (not for a chunk in the middle of a stream).</summary>
    public string Decode(IEnumerable<int> ids, bool atStart = true)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        // SentencePiece drops the "▁" of the first piece that starts the text with one (the dummy prefix), only that one.
        var expectLeadingSpace = atStart && (_model.DummyPrefix != DummyPrefix.Never || _model.RemoveExtraWhitespaces);
        var leadingSpaceDropped = false;
        foreach (var id in ids)
        {
            if (id < 0 || id >= _model.Pieces.Count || _addedIds.Contains(id))
            {
                continue;
            }

            var (piece, _, type) = _model.Pieces[id];
            if (type == SentencePieceType.Byte && TryParseByte(piece, out var b))
            {
                bytes.Add(b);
                continue;
            }

            FlushBytes(text, bytes);
            if (leadingSpaceDropped || text.Length > 0)
            {
                expectLeadingSpace = false;
            }

            leadingSpaceDropped = false;
            if (type == SentencePieceType.Control)
            {
                continue;
            }

            if (type == SentencePieceType.Unknown)
            {
                text.Append(_model.UnknownSurface);
                continue;
            }

            var span = piece.AsSpan();
            if (expectLeadingSpace && span.Length > 0 && span[0] == Space)
            {
                span = span[1..];
                leadingSpaceDropped = true;
            }

            foreach (var c in span)
            {
                text.Append(c == Space ? ' ' : c);
            }
        }

        FlushBytes(text, bytes);
        return text.ToString();
    }

    private static void FlushBytes(StringBuilder text, List<byte> bytes)
    {
        if (bytes.Count > 0)
        {
            // Invalid UTF-8 becomes U+FFFD, as SentencePiece decodes it.
            text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
    }

    private void EncodeRun(ReadOnlySpan<char> run, bool atTextStart, List<int> ids)
    {
        var normalized = Normalize(run, atTextStart);
        if (normalized.Length == 0)
        {
            return;
        }

        var pieces = _model.Algorithm == SentencePieceAlgorithm.Bpe ? Bpe(normalized) : Unigram(normalized);
        var previousUnknown = false;
        foreach (var (piece, id) in pieces)
        {
            if (id != _model.UnknownId && id >= 0)
            {
                ids.Add(id);
                previousUnknown = false;
            }
            else if (_model.ByteFallback && ByteIdsOf(piece) is { } byteIds)
            {
                ids.AddRange(byteIds);
                previousUnknown = false;
            }
            else if (!previousUnknown)
            {
                // A run of unknown characters is one unknown id, as SentencePiece and fuse_unk give.
                ids.Add(_model.UnknownId >= 0 ? _model.UnknownId : 0);
                previousUnknown = true;
            }
        }
    }

    private List<int>? ByteIdsOf(string piece)
    {
        var result = new List<int>();
        foreach (var b in Encoding.UTF8.GetBytes(piece))
        {
            if (_byteIds[b] < 0)
            {
                return null;
            }

            result.Add(_byteIds[b]);
        }

        return result;
    }

    private string Normalize(ReadOnlySpan<char> run, bool atTextStart)
    {
        var text = new StringBuilder(run.Length + 1);
        if (_model.RemoveExtraWhitespaces)
        {
            // Leading and trailing spaces go, inner runs of spaces become one.
            foreach (var c in run)
            {
                if (c != ' ' || (text.Length > 0 && text[^1] != ' '))
                {
                    text.Append(c);
                }
            }

            while (text.Length > 0 && text[^1] == ' ')
            {
                text.Length--;
            }
        }
        else
        {
            text.Append(run);
        }

        if (text.Length == 0)
        {
            return "";
        }

        if (_model.DummyPrefix == DummyPrefix.Always || (_model.DummyPrefix == DummyPrefix.First && atTextStart))
        {
            if (_model.WhitespaceAsSuffix)
            {
                text.Append(' ');
            }
            else
            {
                text.Insert(0, ' ');
            }
        }

        return text.Replace(' ', Space).ToString();
    }

    private static int CharLength(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;

    private int PieceId(string piece) => _pieces.TryGetValue(piece, out var id) ? id : -1;

    /// <summary>BPE: start from characters (user-defined pieces whole), merge the best adjacent pair until none is left;
    /// best = highest piece score (tokenizer.model) or lowest merge rank (tokenizer.json), the leftmost on a tie.</summary>
    private List<(string Piece, int Id)> Bpe(string s)
    {
        var symbols = new List<string?>();
        for (var i = 0; i < s.Length;)
        {
            var length = _userDefined.FirstOrDefault(u => string.CompareOrdinal(s, i, u, 0, u.Length) == 0)?.Length ?? CharLength(s, i);
            symbols.Add(s.Substring(i, length));
            i += length;
        }

        var count = symbols.Count;
        var prev = new int[count];
        var next = new int[count];
        for (var i = 0; i < count; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }

        var queue = new PriorityQueue<(int Left, int Right, int Length), (float Key, int Left)>(PairOrder.Instance);
        void Consider(int left, int right)
        {
            if (left < 0 || right < 0)
            {
                return;
            }

            var (a, b) = (symbols[left]!, symbols[right]!);
            float key;
            if (_model.MergeRanks is { } ranks)
            {
                if (!ranks.TryGetValue((a, b), out var rank))
                {
                    return;
                }

                key = rank;
            }
            else
            {
                var id = PieceId(a + b);
                if (id < 0)
                {
                    return;
                }

                key = -_model.Pieces[id].Score;
            }

            queue.Enqueue((left, right, a.Length + b.Length), (key, left));
        }

        for (var i = 0; i + 1 < count; i++)
        {
            Consider(i, i + 1);
        }

        while (queue.TryDequeue(out var pair, out _))
        {
            var (left, right, length) = pair;
            // Stale: one side was merged away or grew since this pair was queued.
            if (symbols[left] is not { } a || symbols[right] is not { } b || next[left] != right || a.Length + b.Length != length)
            {
                continue;
            }

            symbols[left] = a + b;
            symbols[right] = null;
            next[left] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = left;
            }

            Consider(prev[left], left);
            Consider(left, next[left]);
        }

        var result = new List<(string, int)>();
        for (var i = 0; i >= 0 && i < count; i = next[i])
        {
            result.Add((symbols[i]!, PieceId(symbols[i]!)));
        }

        return result;
    }

    /// <summary>Unigram: the segmentation with the highest total piece score (Viterbi), a character no piece covers
    /// being an unknown node of its own.</summary>
    private List<(string Piece, int Id)> Unigram(string s)
    {
        var n = s.Length;
        var best = new (float Score, int Start, int Id)[n + 1];
        for (var i = 1; i <= n; i++)
        {
            best[i] = (0, -1, -1);
        }

        for (var start = 0; start < n;)
        {
            var charLength = CharLength(s, start);
            var here = best[start].Score;
            var covered = false;
            for (var length = 1; length <= Math.Min(_maxPieceLength, n - start); length++)
            {
                var end = start + length;
                if (end < n && char.IsLowSurrogate(s[end]) && char.IsHighSurrogate(s[end - 1]))
                {
                    continue;
                }

                if (!_lookup.TryGetValue(s.AsSpan(start, length), out var id) || _model.Pieces[id].Type == SentencePieceType.Unused)
                {
                    continue;
                }

                var score = _model.Pieces[id].Type == SentencePieceType.UserDefined
                    ? Encoding.UTF8.GetByteCount(s.AsSpan(start, length)) * _maxScore - 0.1f
                    : _model.Pieces[id].Score;
                Offer(end, here + score, start, id);
                covered |= length == charLength;
            }

            if (!covered)
            {
                Offer(start + charLength, here + _unknownScore, start, _model.UnknownId);
            }

            start += charLength;
        }

        var result = new List<(string, int)>();
        for (var end = n; end > 0;)
        {
            var (_, start, id) = best[end];
            result.Add((s[start..end], id));
            end = start;
        }

        result.Reverse();
        return result;

        void Offer(int end, float score, int start, int id)
        {
            if (best[end].Start < 0 || score > best[end].Score)
            {
                best[end] = (score, start, id);
            }
        }
    }

    private static bool TryParseByte(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' &&
               byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private sealed class PairOrder : IComparer<(float Key, int Left)>
    {
        public static readonly PairOrder Instance = new();

        public int Compare((float Key, int Left) x, (float Key, int Left) y) =>
            x.Key != y.Key ? x.Key.CompareTo(y.Key) : x.Left.CompareTo(y.Left);
    }
}
