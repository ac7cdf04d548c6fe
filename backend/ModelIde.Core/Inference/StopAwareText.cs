namespace ModelIde.Core.Inference;

/// <summary>
/// Streams decoded text while holding back anything that might be the start of a stop string, so the streamed chunks
/// always concatenate to the final text (which ends before the stop string).
/// </summary>
internal sealed class StopAwareText(HfTokenizer tokenizer, IReadOnlyList<string> stops, Action<GeneratedToken>? onToken)
{
    private readonly StreamingDecoder _decoder = new(tokenizer);
    private readonly System.Text.StringBuilder _text = new();
    private readonly int _longestStop = stops.Count == 0 ? 0 : stops.Max(s => s.Length);
    private int _emitted;
    private int _lastId = -1;
    private string? _final;

    /// <summary>Adds a token; true when a stop string has appeared.</summary>
    public bool Add(int id)
    {
        _lastId = id;
        var chunk = _decoder.Add(id);
        var searchFrom = Math.Max(0, _text.Length - _longestStop + 1);
        _text.Append(chunk);
        if (stops.Count == 0)
        {
            // The common case: no copy of the whole text per token.
            _emitted = _text.Length;
            onToken?.Invoke(new GeneratedToken(id, chunk));
            return false;
        }

        // Only the tail can hold a stop string that was not there before this chunk.
        var tail = _text.ToString(searchFrom, _text.Length - searchFrom);
        foreach (var stop in stops)
        {
            var at = tail.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                _final = _text.ToString(0, searchFrom + at);
                Emit(id, searchFrom + at);
                return true;
            }
        }

        Emit(id, _text.Length - LongestPendingStopPrefix(tail));
        return false;
    }

    public string Finish()
    {
        if (_final is not null)
        {
            return _final;
        }

        _text.Append(_decoder.Flush());
        if (_text.Length > _emitted)
        {
            Emit(_lastId, _text.Length);
        }

        return _text.ToString();
    }

    private void Emit(int id, int upTo)
    {
        var chunk = upTo > _emitted ? _text.ToString(_emitted, upTo - _emitted) : "";
        _emitted = Math.Max(_emitted, upTo);
        onToken?.Invoke(new GeneratedToken(id, chunk));
    }

    private int LongestPendingStopPrefix(string tail)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var len = Math.Min(stop.Length - 1, tail.Length); len > longest; len--)
            {
                if (string.CompareOrdinal(tail, tail.Length - len, stop, 0, len) == 0)
                {
                    longest = len;
                    break;
                }
            }
        }

        return longest;
    }
}
