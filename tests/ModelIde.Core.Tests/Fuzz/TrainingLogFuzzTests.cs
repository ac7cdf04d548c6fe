using System.Globalization;
using System.Text;
using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Fuzz;

/// <summary>
/// swift's logging.jsonl arrives over SSH from a process that may be killed mid-write, so the parser sees torn,
/// corrupted and hostile lines. Random well-formed rows must parse to exactly their steps and loss; anything else
/// must be skipped or parsed into sane values, never throw.
/// </summary>
public sealed class TrainingLogFuzzTests
{
    private static readonly string[] s_keys = ["loss", "grad_norm", "learning_rate", "token_acc", "epoch", "global_step/max_steps", "percentage", "elapsed_time", "remaining_time", "memory(GiB)", "train_speed(iter/s)", "last_model_checkpoint", "log_history", "eval_loss"];
    private static readonly string[] s_values = ["1", "-1", "0", "1e308", "1e400", "-0.0", "\"45/94\"", "\"0/0\"", "\"-3/10\"", "\"9999999999/1\"", "\"1/-1\"", "\"a/b\"", "\"12/\"", "\"/12\"", "null", "true", "[]", "{}", "\"\"", "\"\\u0000\"", "\"模型\"", "\"1m 2s\"", "[1,[2,[3]]]"];

    [Fact]
    public void Random_rows_parse_exactly_and_random_damage_never_throws()
    {
        var seed = FuzzLog.Seed;
        var cases = FuzzLog.Cases(5000);
        var rng = new Random(seed);
        int exact = 0, skipped = 0, parsedDamaged = 0;
        for (var i = 0; i < cases; i++)
        {
            var step = rng.Next(0, 100_000);
            var max = step + rng.Next(0, 100_000);
            var loss = Math.Round(rng.NextDouble() * 10, 6);
            var row = string.Create(CultureInfo.InvariantCulture, $$"""{"loss": {{loss}}, "learning_rate": 1e-4, "global_step/max_steps": "{{step}}/{{max}}", "elapsed_time": "1m", "remaining_time": "2m"}""");
            var kind = i % 4;
            if (kind == 0)
            {
                // Intact row: the figures the user sees must be the ones swift wrote.
                var entry = TrainingLogParser.ParseLine(row);
                Assert.NotNull(entry?.Progress);
                Assert.Equal(step, entry.Progress.GlobalStep);
                Assert.Equal(max, entry.Progress.MaxSteps);
                Assert.Equal(loss, entry.Progress.Loss);
                Assert.Equal(max > 0 ? Math.Round(step * 100.0 / max, 2) : 0, entry.Progress.Percent);
                exact++;
                continue;
            }

            var line = kind switch
            {
                1 => row[..rng.Next(row.Length)], // torn write
                2 => Corrupt(row, rng),
                _ => RandomObject(rng),
            };
            var parsed = TrainingLogParser.ParseLine(line);
            if (parsed?.Progress is { } p)
            {
                Assert.InRange(p.Percent, 0, 100);
                Assert.True(p.GlobalStep >= 0 && p.MaxSteps >= 0, $"negative steps from: {line}");
                Assert.True(p.Loss is null || double.IsFinite(p.Loss.Value), $"non-finite loss from: {line}");
                parsedDamaged++;
            }
            else
            {
                skipped++;
            }
        }

        // A whole file of such lines: the latest progress and the chart points come out without throwing.
        var file = Enumerable.Range(0, 500).Select(_ => rng.Next(3) == 0 ? RandomObject(rng) : Corrupt("""{"loss": 1.5, "global_step/max_steps": "3/9"}""", rng)).ToList();
        var (latest, points) = TrainingLogParser.ParseLines(file);
        Assert.True(latest is null || latest.Percent is >= 0 and <= 100);
        Assert.All(points, pt => Assert.True(pt.Step >= 0));

        Assert.True(exact > 0 && skipped > 0, "the generator must produce both kinds of line");
        FuzzLog.Record($"ms-swift log parser ({exact} exact rows, {parsedDamaged} damaged rows parsed sanely, {skipped} skipped)", cases, seed);
    }

    private static string Corrupt(string row, Random rng)
    {
        var chars = row.ToCharArray();
        for (var n = rng.Next(1, 4); n > 0; n--)
        {
            chars[rng.Next(chars.Length)] = (char)rng.Next(0, 0x3000);
        }

        return new string(chars);
    }

    private static string RandomObject(Random rng)
    {
        var sb = new StringBuilder("{");
        for (var n = rng.Next(0, 8); n > 0; n--)
        {
            sb.Append('"').Append(s_keys[rng.Next(s_keys.Length)]).Append("\": ").Append(s_values[rng.Next(s_values.Length)]);
            if (n > 1)
            {
                sb.Append(", ");
            }
        }

        if (rng.Next(20) == 0)
        {
            sb.Append(", \"deep\": ").Append(new string('[', 200)).Append(new string(']', 200));
        }

        return sb.Append('}').ToString();
    }
}
