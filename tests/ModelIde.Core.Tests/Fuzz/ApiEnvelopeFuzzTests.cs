using System.Net;
using System.Text;
using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Core.Tests.Fuzz;

/// <summary>Random and mutated bodies for both envelopes: the parser returns or throws ModelIdeException, nothing else.</summary>
public sealed class ApiEnvelopeFuzzTests
{
    private static readonly string[] s_seeds =
    [
        """{"Code":200,"Data":{"Name":"x","Files":[{"Path":"a","Size":1}]},"Message":"success","RequestId":"r","Success":true}""",
        """{"success":true,"data":{"models":[{"id":"a/b"}],"total_count":1},"message":"ok"}""",
        """{"success":false,"code":"NotFound","message":"模型不存在"}""",
        """{"Code":10010101001,"Message":"exists","Success":false}""",
    ];

    [Fact]
    public void Random_bodies_never_crash_the_envelope_parser()
    {
        var seed = FuzzLog.Seed;
        var random = new Random(seed);
        var cases = FuzzLog.Cases(5000);
        HttpStatusCode[] statuses = [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.BadGateway, (HttpStatusCode)418];
        for (var i = 0; i < cases; i++)
        {
            var body = Mutate(s_seeds[random.Next(s_seeds.Length)], random);
            var envelope = random.Next(2) == 0 ? ApiEnvelope.Legacy : ApiEnvelope.OpenApi;
            var status = statuses[random.Next(statuses.Length)];
            try
            {
                _ = ApiResponseParser.Unwrap(envelope, status, body, random.Next(3) == 0 ? TimeSpan.FromSeconds(random.Next(100)) : null);
            }
            catch (ModelIdeException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            }
            catch (Exception ex)
            {
                Assert.Fail($"case {i} (seed {seed}) threw {ex.GetType().Name}: {ex.Message}\nbody: {body}");
            }
        }

        FuzzLog.Record("API envelopes", cases, seed);
    }

    private const string PunctuationChars = "{}[]\",:0-e\\";

    internal static string Mutate(string text, Random random)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(0, 6);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(5))
            {
                case 0: sb.Remove(at, Math.Min(sb.Length - at, random.Next(1, 8))); break;
                case 1: sb.Insert(at, (char)random.Next(0, 0xD7FF)); break;
                case 2: sb[at] = PunctuationChars[random.Next(PunctuationChars.Length)]; break;
                case 3: sb.Insert(at, random.Next(2) == 0 ? "null" : "\"Code\":\"200\""); break;
                default: sb.Length = at; break;
            }
        }

        return sb.ToString();
    }
}
