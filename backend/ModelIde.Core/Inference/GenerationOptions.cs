namespace ModelIde.Core.Inference;

/// <summary>How to generate; <see cref="Temperature"/> 0 means greedy.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 128;

    public float Temperature { get; init; }

    public int TopK { get; init; }

    public float TopP { get; init; } = 1f;

    public float RepetitionPenalty { get; init; } = 1f;

    public int? Seed { get; init; }

    public IReadOnlyList<string> StopStrings { get; init; } = [];

    public void Validate()
    {
        if (MaxNewTokens < 1)
        {
            throw Invalid("maxNewTokens must be at least 1.");
        }

        if (Temperature < 0 || float.IsNaN(Temperature))
        {
            throw Invalid("temperature must be 0 (greedy) or more.");
        }

        if (TopK < 0)
        {
            throw Invalid("topK must be 0 (off) or more.");
        }

        if (TopP is <= 0 or > 1 || float.IsNaN(TopP))
        {
            throw Invalid("topP must be in (0, 1].");
        }

        if (RepetitionPenalty <= 0 || float.IsNaN(RepetitionPenalty))
        {
            throw Invalid("repetitionPenalty must be positive.");
        }

        if (StopStrings.Any(string.IsNullOrEmpty))
        {
            throw Invalid("stop strings must not be empty.");
        }
    }

    private static ModelIdeException Invalid(string message) => new(ModelIdeErrorKind.InvalidInput, message);
}

/// <summary>One streamed piece: the token and the text it completed (may be empty while a character or stop string is pending).</summary>
public readonly record struct GeneratedToken(int TokenId, string Text);

/// <summary>The outcome of one generation, with timings a benchmark can use.</summary>
public sealed record GenerationResult(
    string Text,
    IReadOnlyList<int> TokenIds,
    int PromptTokens,
    StopReasonKind StopReason,
    double TokensPerSecond,
    TimeSpan TimeToFirstToken,
    TimeSpan Elapsed,
    double DecodeTokensPerSecond,
    double RunShare,
    long ManagedBytesPerDecodeStep);
