namespace ModelIde.Core.Inference;

/// <summary>
/// Picks the next token from one row of logits: greedy when temperature is 0, else temperature, top-k, top-p and a
/// seeded <see cref="Random"/>. Work buffers are allocated once per vocabulary size, so a step allocates nothing.
/// </summary>
public sealed class TokenSampler
{
    private readonly float _temperature;
    private readonly int _topK;
    private readonly float _topP;
    private readonly float _repetitionPenalty;
    private readonly Random _random;
    private readonly float[] _keys;
    private readonly int[] _indices;
    private readonly HashSet<int> _seen = [];

    public TokenSampler(int vocabSize, GenerationOptions options)
    {
        _temperature = options.Temperature;
        _topK = options.TopK;
        _topP = options.TopP;
        _repetitionPenalty = options.RepetitionPenalty;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        if (IsSampling)
        {
            _keys = new float[vocabSize];
            _indices = new int[vocabSize];
        }
        else
        {
            _keys = [];
            _indices = [];
        }
    }

    public bool IsSampling => _temperature > 0;

    /// <summary>Ids that the repetition penalty applies to (prompt and generated, as in HF).</summary>
    public void Observe(int id)
    {
        if (_repetitionPenalty != 1f)
        {
            _seen.Add(id);
        }
    }

    public int Next(Span<float> logits)
    {
        if (_repetitionPenalty != 1f)
        {
            foreach (var id in _seen)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] = logits[id] > 0 ? logits[id] / _repetitionPenalty : logits[id] * _repetitionPenalty;
                }
            }
        }

        if (!IsSampling)
        {
            return ArgMax(logits);
        }

        var n = logits.Length;
        for (var i = 0; i < n; i++)
        {
            _keys[i] = -logits[i];
            _indices[i] = i;
        }

        // Ascending on negated logits = descending by logit; the sort is in place and allocation-free.
        Array.Sort(_keys, _indices, 0, n);
        var k = _topK > 0 && _topK < n ? _topK : n;
        var max = -_keys[0];
        double sum = 0;
        for (var i = 0; i < k; i++)
        {
            var p = Math.Exp((-_keys[i] - max) / _temperature);
            _keys[i] = (float)p;
            sum += p;
        }

        var cutoff = k;
        if (_topP is > 0 and < 1)
        {
            double cumulative = 0;
            for (var i = 0; i < k; i++)
            {
                cumulative += _keys[i] / sum;
                if (cumulative >= _topP)
                {
                    cutoff = i + 1;
                    break;
                }
            }
        }

        double kept = 0;
        for (var i = 0; i < cutoff; i++)
        {
            kept += _keys[i];
        }

        var r = _random.NextDouble() * kept;
        for (var i = 0; i < cutoff; i++)
        {
            r -= _keys[i];
            if (r <= 0)
            {
                return _indices[i];
            }
        }

        return _indices[cutoff - 1];
    }

    internal static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        var bestValue = float.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] > bestValue)
            {
                bestValue = logits[i];
                best = i;
            }
        }

        return best;
    }
}
