using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ModelIde.Core.Jobs;

/// <summary>One parsed line of swift's logging.jsonl.</summary>
public sealed record TrainingLogEntry(TrainingProgress? Progress, TrainingPoint? Point, bool IsSummary, string? LastModelCheckpoint);

/// <summary>
/// Reads swift's <c>logging.jsonl</c> rows (3.x and 4.x keys). Percent is computed from
/// <c>global_step/max_steps</c>; the 3.x-only <c>percentage</c> key is never read. swift writes rows with Python's
/// json.dumps, which writes a diverged value as a bare <c>NaN</c>, <c>Infinity</c> or <c>-Infinity</c>: those are read
/// and reported in <see cref="TrainingPoint.NonFinite"/>. Eval rows (<c>eval_loss</c>) become eval points. Garbage,
/// partial lines and the final summary row (<c>last_model_checkpoint</c>, <c>log_history</c>, ...) never throw.
/// </summary>
public static class TrainingLogParser
{
    private static readonly string[] s_watched = ["loss", "grad_norm", "eval_loss"];

    public static TrainingLogEntry? ParseLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        line = line.Trim();
        if (line[0] != '{')
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(QuoteNonFiniteNumbers(line));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("last_model_checkpoint", out var last) || root.TryGetProperty("log_history", out _))
            {
                return new TrainingLogEntry(null, null, true, last.ValueKind == JsonValueKind.String ? last.GetString() : null);
            }

            if (!TryParseSteps(root, out var step, out var max))
            {
                return null;
            }

            var nonFinite = string.Join(", ", s_watched.Select(k => NonFiniteValue(root, k) is { } v ? $"{k}={v}" : null).Where(v => v is not null));
            var loss = Number(root, "loss");
            var lr = Number(root, "learning_rate");
            var evalLoss = Number(root, "eval_loss");
            var isEval = root.TryGetProperty("eval_loss", out _);
            var isTrain = !isEval && (root.TryGetProperty("loss", out _) || lr is not null);
            var percent = max > 0 ? Math.Round(Math.Clamp(step * 100.0 / max, 0, 100), 2) : 0;
            var progress = new TrainingProgress(step, max, percent, Text(root, "elapsed_time"), Text(root, "remaining_time"), isEval ? null : loss, isEval ? null : lr, Number(root, "memory(GiB)"));
            TrainingPoint? point = isEval
                ? new TrainingPoint(step, null, null, evalLoss, null, nonFinite.Length > 0 ? nonFinite : null)
                : isTrain ? new TrainingPoint(step, loss, lr, null, Number(root, "grad_norm"), nonFinite.Length > 0 ? nonFinite : null) : null;
            return new TrainingLogEntry(progress, point, false, null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The newest progress in a block of lines, and the loss points in order.</summary>
    public static (TrainingProgress? Latest, IReadOnlyList<TrainingPoint> Points) ParseLines(IEnumerable<string> lines)
    {
        TrainingProgress? latest = null;
        var points = new List<TrainingPoint>();
        foreach (var line in lines)
        {
            var entry = ParseLine(line);
            if (entry?.Progress is { } p)
            {
                // A train row carries loss/lr; eval rows and the final aggregate row only step. Keep the last loss seen.
                latest = p.Loss is null && p.LearningRate is null && latest is not null ? p with { Loss = latest.Loss, LearningRate = latest.LearningRate, MemoryGiB = p.MemoryGiB ?? latest.MemoryGiB } : p;
            }

            if (entry?.Point is { } point)
            {
                points.Add(point);
            }
        }

        return (latest, points);
    }

    /// <summary>The first train row whose loss or gradient norm is NaN or infinite, if any.</summary>
    public static TrainingDivergence? FindDivergence(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            if (ParseLine(line)?.Point is { IsEval: false, NonFinite: { } values } point)
            {
                return new TrainingDivergence(point.Step, values);
            }
        }

        return null;
    }

    /// <summary>Puts Python's bare NaN / Infinity / -Infinity tokens (outside strings) in quotes so that JSON can read them.</summary>
    public static string QuoteNonFiniteNumbers(string line)
    {
        if (!line.Contains("NaN", StringComparison.Ordinal) && !line.Contains("Infinity", StringComparison.Ordinal))
        {
            return line;
        }

        var sb = new StringBuilder(line.Length + 16);
        var inString = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < line.Length)
                {
                    sb.Append(line[++i]);
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (c == '"')
            {
                inString = true;
                sb.Append(c);
                continue;
            }

            var token = line.AsSpan(i).StartsWith("NaN") ? "NaN"
                : line.AsSpan(i).StartsWith("Infinity") ? "Infinity"
                : line.AsSpan(i).StartsWith("-Infinity") ? "-Infinity" : null;
            if (token is not null)
            {
                sb.Append('"').Append(token).Append('"');
                i += token.Length - 1;
                continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    private static bool TryParseSteps(JsonElement root, out int step, out int max)
    {
        step = max = 0;
        if (!root.TryGetProperty("global_step/max_steps", out var gs) || gs.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        var parts = gs.GetString()!.Split('/');
        return parts.Length == 2
            && int.TryParse(parts[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out step)
            && int.TryParse(parts[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out max)
            && step >= 0 && max >= 0;
    }

    /// <summary>"NaN", "Infinity" or "-Infinity" when the value is one of those (bare or as a string), else null.</summary>
    private static string? NonFiniteValue(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        return double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsFinite(d)
            ? (double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity")
            : null;
    }

    private static double? Number(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetDouble(out var d) && double.IsFinite(d) => d,
            JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
            _ => null,
        };
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
