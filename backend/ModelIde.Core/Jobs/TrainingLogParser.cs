using System.Globalization;
using System.Text.Json;

namespace ModelIde.Core.Jobs;

/// <summary>One parsed line of swift's logging.jsonl.</summary>
public sealed record TrainingLogEntry(TrainingProgress? Progress, TrainingPoint? Point, bool IsSummary, string? LastModelCheckpoint);

/// <summary>
/// Reads swift's <c>logging.jsonl</c> rows (3.x and 4.x keys). Percent is computed from
/// <c>global_step/max_steps</c>; the 3.x-only <c>percentage</c> key is never read. Garbage, partial lines and the
/// final summary row (<c>last_model_checkpoint</c>, <c>log_history</c>, ...) never throw.
/// </summary>
public static class TrainingLogParser
{
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
            using var doc = JsonDocument.Parse(line);
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

            var loss = Number(root, "loss");
            var lr = Number(root, "learning_rate");
            var isTrainRow = loss is not null || lr is not null;
            var percent = max > 0 ? Math.Round(Math.Clamp(step * 100.0 / max, 0, 100), 2) : 0;
            var progress = new TrainingProgress(step, max, percent, Text(root, "elapsed_time"), Text(root, "remaining_time"), loss, lr, Number(root, "memory(GiB)"));
            return new TrainingLogEntry(progress, isTrainRow ? new TrainingPoint(step, loss, lr) : null, false, null);
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
                // A train row carries loss/lr; the final aggregate row only steps. Keep the last loss seen.
                latest = p.Loss is null && latest is not null ? p with { Loss = latest.Loss, LearningRate = latest.LearningRate, MemoryGiB = p.MemoryGiB ?? latest.MemoryGiB } : p;
            }

            if (entry?.Point is { } point)
            {
                points.Add(point);
            }
        }

        return (latest, points);
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
