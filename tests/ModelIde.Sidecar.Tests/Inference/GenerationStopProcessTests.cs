using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelIde.Sidecar.Tests.Rpc;
using ModelIde.TestSupport;

namespace ModelIde.Sidecar.Tests.Inference;

/// <summary>
/// The playground's Stop, against the real sidecar process: a $/cancelRequest sent while tokens stream must end the
/// generation within a few tokens, every time. About one generation in 15 used to run on for 0.5-2 s (800-1,700 more
/// tokens of the tiny model) because the blocking decode loop held one of the thread pool's few threads and the
/// cancellation waited for the pool to grow; 40 generations meet that at least once with a probability of about 94 %.
/// </summary>
public sealed class GenerationStopProcessTests
{
    private const int Generations = 40;
    private const int CancelAfterTokens = 10;

    [Fact]
    public async Task Stop_ends_every_one_of_40_generations_within_a_few_hundred_tokens()
    {
        using var p = SidecarProcessTests.StartSidecar("--endpoint", "http://127.0.0.1:9");
        try
        {
            // The client reads and writes synchronously on a thread of its own, with a buffered reader: a client that lags
            // (byte-at-a-time async reads on a busy test host did, by up to a second) would count its own delay as the
            // sidecar's.
            var generated = await Task.Factory.StartNew(() => LoadThenGenerateAndStop(p.StandardInput.BaseStream, new BufferedStream(p.StandardOutput.BaseStream, 1 << 16)),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            // A stop that waits for the pool to grow let 680 or more tokens through; a prompt one, a few dozen.
            Assert.True(generated.Max() < 300, "tokens generated after Stop: " + string.Join(", ", generated.Select(n => n.ToString(CultureInfo.InvariantCulture))));
        }
        finally
        {
            p.Kill(entireProcessTree: true);
        }
    }

    private static List<int> LoadThenGenerateAndStop(Stream input, Stream output)
    {
        Write(input, JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0", id = 1, method = "inference/load",
            @params = new { modelDir = RepoPaths.TinyModelDir(), policy = "preferCpu", threads = 1 },
        }));
        string? session = null;
        while (session is null)
        {
            using var message = JsonDocument.Parse(Read(output));
            if (message.RootElement.TryGetProperty("id", out var got) && got.ValueKind == JsonValueKind.Number && got.GetInt32() == 1)
            {
                session = message.RootElement.GetProperty("result").GetProperty("sessionId").GetString()!;
            }
        }

        var generated = new List<int>();
        for (var i = 0; i < Generations; i++)
        {
            var id = 100 + i;
            Write(input, JsonSerializer.Serialize(new
            {
                jsonrpc = "2.0", id, method = "inference/generate",
                @params = new { sessionId = session, generationId = $"g{i}", prompt = "import os\n", maxNewTokens = 2000 },
            }));
            var tokens = 0;
            while (true)
            {
                using var message = JsonDocument.Parse(Read(output));
                var root = message.RootElement;
                if (root.TryGetProperty("method", out var method) && method.GetString() == "inference/token" && ++tokens == CancelAfterTokens)
                {
                    Write(input, JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "$/cancelRequest", @params = new { id } }));
                }
                else if (root.TryGetProperty("id", out var answered) && answered.ValueKind == JsonValueKind.Number && answered.GetInt32() == id)
                {
                    var result = root.GetProperty("result");
                    Assert.Equal("cancelled", result.GetProperty("stopReason").GetString());
                    generated.Add(result.GetProperty("generatedTokens").GetInt32());
                    break;
                }
            }
        }

        return generated;
    }

    private static void Write(Stream input, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        input.Write(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
        input.Write(body);
        input.Flush();
    }

    private static string Read(Stream output)
    {
        var length = -1;
        var line = new StringBuilder();
        while (true)
        {
            var b = output.ReadByte();
            Assert.True(b >= 0, "the sidecar closed its output");
            if (b != '\n')
            {
                line.Append((char)b);
                continue;
            }

            var text = line.ToString().TrimEnd('\r');
            line.Clear();
            if (text.Length == 0)
            {
                break;
            }

            if (text.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(text["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        var body = new byte[length];
        output.ReadExactly(body);
        return Encoding.UTF8.GetString(body);
    }
}
