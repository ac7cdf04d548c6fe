using System.Text;
using System.Text.Json;
using ModelIde.Sidecar.Tests.Rpc;
using Nerdbank.Streams;

namespace ModelIde.Sidecar.Tests.Fuzz;

/// <summary>
/// Messages with random content (mutated requests, wrong types, garbage bytes, stray responses), a quarter of them
/// with broken framing (a short or non-numeric length, bare line feeds, no header, junk lines), sent to the real reader:
/// every message that carries an id gets exactly one answer, garbage gets a parse error, and the server stays up.
/// </summary>
public sealed class RpcMessageFuzzTests
{
    private static readonly string[] s_seeds =
    [
        """{"jsonrpc":"2.0","id":1,"method":"sidecar/ping"}""",
        """{"jsonrpc":"2.0","id":2,"method":"sidecar/echo","params":{"items":["a","b"]}}""",
        """{"jsonrpc":"2.0","id":3,"method":"sidecar/initialize","params":{"endpoint":"http://127.0.0.1:1/"}}""",
        """{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":99}}""",
        """{"jsonrpc":"2.0","id":4,"method":null}""",
        """{"jsonrpc":"2.0","id":5,"result":{"processId":1}}""",
        """{"jsonrpc":"2.0","id":6,"error":{"code":-32000,"message":"x"}}""",
    ];

    [Fact]
    public async Task Random_messages_never_take_the_sidecar_down()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MODELIDE_FUZZ_SEED"), out var s) ? s : 20261123;
        var cases = int.TryParse(Environment.GetEnvironmentVariable("MODELIDE_FUZZ_CASES"), out var n) ? n : 2000;
        var random = new Random(seed);
        var (client, serverStream) = FullDuplexStream.CreatePair();
        using var context = new SidecarContext(new SidecarOptions("http://127.0.0.1:9/"));
        using var server = SidecarServer.Attach(serverStream, serverStream, context);

        for (var i = 0; i < cases; i++)
        {
            var body = Mutate(s_seeds[random.Next(s_seeds.Length)], random);
            if (random.Next(4) == 0)
            {
                // The framing itself, broken in ways that never claim more bytes than are sent (a longer length would
                // rightly take the next message's bytes as its own).
                await client.WriteAsync(MutateFrame(body, random));
                await client.FlushAsync();
            }
            else
            {
                await SidecarRpcTests.WriteFramedAsync(client, body);
            }

            // Follow every case with a ping of a known id; read replies until it arrives, so each case is settled.
            var pingId = 1_000_000 + i;
            await SidecarRpcTests.WriteFramedAsync(client, $$"""{"jsonrpc":"2.0","id":{{pingId}},"method":"sidecar/ping"}""");
            while (true)
            {
                var reply = await SidecarRpcTests.ReadFramedAsync(client);
                using var doc = JsonDocument.Parse(reply);
                if (doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.GetInt64() == pingId)
                {
                    Assert.True(doc.RootElement.TryGetProperty("result", out _), $"case {i} (seed {seed}): ping failed after {body}");
                    break;
                }
            }

            Assert.False(server.Completion.IsCompleted, $"case {i} (seed {seed}) disconnected the server: {body}");
        }

        var dir = Environment.GetEnvironmentVariable("MODELIDE_ARTIFACTS");
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, "fuzz-counts.txt"), $"JSON-RPC message reader: {cases} cases (seed {seed})\n");
        }
    }

    private static byte[] MutateFrame(string body, Random random)
    {
        var bytes = Encoding.UTF8.GetByteCount(body);
        var header = random.Next(8) switch
        {
            0 => $"Content-Length: {random.Next(0, bytes)}\r\n\r\n",
            1 => $"Content-Length: {bytes}x\r\n\r\n",
            2 => $"Content-Length: {bytes}\n\n",
            3 => "",
            4 => $"X-Junk: 1\r\nContent-Length: {bytes}\r\n\r\n",
            5 => $"{{junk}}\r\nContent-Length: {bytes}\r\n\r\n",
            6 => $"Content-Length: {bytes}\r\nContent-Type: application/vscode-jsonrpc; charset={(random.Next(2) == 0 ? "utf-8" : "latin1")}\r\n\r\n",
            _ => $"content-length: {bytes}\r\n\r\n",
        };
        return Encoding.UTF8.GetBytes(header + body);
    }

    private const string PunctuationChars = "{}[]\",:0-e\\";

    private static string Mutate(string text, Random random)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(0, 5);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(5))
            {
                case 0: sb.Remove(at, Math.Min(sb.Length - at, random.Next(1, 6))); break;
                case 1: sb.Insert(at, (char)random.Next(0x20, 0x7F)); break;
                case 2: sb[at] = PunctuationChars[random.Next(PunctuationChars.Length)]; break;
                case 3: sb.Insert(at, "\"params\":[1,{},null],"); break;
                default: sb.Length = at; break;
            }
        }

        return sb.ToString();
    }
}
