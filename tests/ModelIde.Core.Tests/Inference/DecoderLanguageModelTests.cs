using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

[Collection(TinyModelCollection.Name)]
public sealed class DecoderLanguageModelTests(TinyModel tiny)
{
    public static TheoryData<int> Prompts()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TinyModel.Locate(), "reference.json")));
        var data = new TheoryData<int>();
        for (var i = 0; i < doc.RootElement.GetProperty("generation").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    private JsonElement Case(int index) => tiny.Reference.RootElement.GetProperty("generation")[index];

    private static int[] Ids(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Greedy_generation_reproduces_the_reference_ids_and_text(int index)
    {
        var c = Case(index);
        var expected = Ids(c, "greedy_ids_onnxruntime");
        Assert.Equal(Ids(c, "prompt_ids"), tiny.Model.Tokenizer.Encode(c.GetProperty("prompt").GetString()!));

        var result = tiny.Model.Generate(c.GetProperty("prompt").GetString()!, new GenerationOptions { MaxNewTokens = expected.Length });

        Assert.Equal(expected, result.TokenIds);
        Assert.Equal(c.GetProperty("greedy_text_onnxruntime").GetString(), result.Text);
        Assert.Equal(StopReasonKind.MaxTokens, result.StopReason);
    }

    [Fact]
    public void Streamed_chunks_concatenate_to_the_final_text()
    {
        var prompt = Case(3).GetProperty("prompt").GetString()!;
        var chunks = new List<GeneratedToken>();
        var result = tiny.Model.Generate(prompt, new GenerationOptions { MaxNewTokens = 40 }, chunks.Add);
        Assert.Equal(result.Text, string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(result.TokenIds, chunks.Select(c => c.TokenId).Take(result.TokenIds.Count));
        Assert.DoesNotContain(chunks, c => c.Text.Contains('\uFFFD', StringComparison.Ordinal));
    }

    [Fact]
    public void Cancellation_stops_within_one_step()
    {
        using var cts = new CancellationTokenSource();
        var seen = 0;
        var result = tiny.Model.Generate("def fibonacci(n):\n", new GenerationOptions { MaxNewTokens = 200 }, _ =>
        {
            if (++seen == 5)
            {
                cts.Cancel();
            }
        }, cts.Token);
        Assert.Equal(StopReasonKind.Cancelled, result.StopReason);
        Assert.Equal(5, result.TokenIds.Count);
    }

    [Fact]
    public void Sampling_with_a_seed_is_reproducible_and_differs_from_greedy()
    {
        const string Prompt = "import os\nimport sys\n\n";
        var sampling = new GenerationOptions { MaxNewTokens = 32, Temperature = 1.2f, TopK = 50, TopP = 0.95f, Seed = 1234 };
        var a = tiny.Model.Generate(Prompt, sampling);
        var b = tiny.Model.Generate(Prompt, sampling);
        var greedy = tiny.Model.Generate(Prompt, new GenerationOptions { MaxNewTokens = 32 });
        Assert.Equal(a.TokenIds, b.TokenIds);
        Assert.NotEqual(greedy.TokenIds, a.TokenIds);
    }

    [Fact]
    public void Top_k_of_one_is_greedy()
    {
        const string Prompt = "class Stack:\n    def __init__(self):\n";
        var sampled = tiny.Model.Generate(Prompt, new GenerationOptions { MaxNewTokens = 16, Temperature = 0.8f, TopK = 1, Seed = 7 });
        var greedy = tiny.Model.Generate(Prompt, new GenerationOptions { MaxNewTokens = 16 });
        Assert.Equal(greedy.TokenIds, sampled.TokenIds);
    }

    [Fact]
    public void Stop_string_ends_generation_before_it_and_streams_consistently()
    {
        var c = Case(0);
        var reference = c.GetProperty("greedy_text_onnxruntime").GetString()!;
        // Stop at the first newline after the opening text; the reference shows where that is.
        var stop = "\n\n";
        var expectedText = reference[..reference.IndexOf(stop, StringComparison.Ordinal)];
        var chunks = new List<string>();
        var result = tiny.Model.Generate(c.GetProperty("prompt").GetString()!, new GenerationOptions { MaxNewTokens = 48, StopStrings = [stop] }, t => chunks.Add(t.Text));
        Assert.Equal(StopReasonKind.Stop, result.StopReason);
        Assert.Equal(expectedText, result.Text);
        Assert.Equal(result.Text, string.Concat(chunks));
    }

    [Fact]
    public void Stop_string_spanning_several_tokens_is_held_back_from_the_stream()
    {
        var c = Case(0);
        var reference = c.GetProperty("greedy_text_onnxruntime").GetString()!;
        const string Stop = "random number";
        var chunks = new List<string>();
        var result = tiny.Model.Generate(c.GetProperty("prompt").GetString()!, new GenerationOptions { MaxNewTokens = 48, StopStrings = ["never appears", Stop] }, t => chunks.Add(t.Text));
        Assert.Equal(StopReasonKind.Stop, result.StopReason);
        Assert.Equal(reference[..reference.IndexOf(Stop, StringComparison.Ordinal)], result.Text);
        Assert.Equal(result.Text, string.Concat(chunks));
        Assert.DoesNotContain(chunks, ch => ch.Contains("random", StringComparison.Ordinal));
    }

    [Fact]
    public void Prompt_longer_than_the_context_is_invalid_input()
    {
        var tooLong = Enumerable.Repeat(258, tiny.Model.Config.ContextLength + 5).ToArray();
        var e = Assert.Throws<ModelIdeException>(() => tiny.Model.Generate(tooLong, new GenerationOptions { MaxNewTokens = 4 }));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        Assert.Contains("context", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_generation_on_the_same_model_while_one_runs_is_a_conflict()
    {
        ModelIdeException? nested = null;
        tiny.Model.Generate("x = ", new GenerationOptions { MaxNewTokens = 2 }, _ =>
            nested ??= Assert.Throws<ModelIdeException>(() => tiny.Model.Generate("y = ", new GenerationOptions { MaxNewTokens = 2 })));
        Assert.Equal(ModelIdeErrorKind.Conflict, nested?.Kind);
        Assert.Equal(2, tiny.Model.Generate("z = ", new GenerationOptions { MaxNewTokens = 2 }).TokenIds.Count);
    }

    [Fact]
    public void Config_is_read_from_genai_config()
    {
        var c = tiny.Model.Config;
        Assert.Equal(4, c.Layers);
        Assert.Equal("position_ids", c.PositionIds);
        Assert.Contains(tiny.Reference.RootElement.GetProperty("eos_token_id").GetInt32(), c.EosTokenIds);
        Assert.False(c.SharePastPresent);
    }
}
