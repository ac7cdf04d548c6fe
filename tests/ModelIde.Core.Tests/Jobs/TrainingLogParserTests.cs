using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

public sealed class TrainingLogParserTests
{
    private const string V3Row = """{"loss": 1.40159426, "grad_norm": 9.4375, "learning_rate": 5.79e-06, "token_acc": 0.64041773, "epoch": 0.48, "global_step/max_steps": "45/94", "percentage": "99.99%", "elapsed_time": "1m 27s", "remaining_time": "1m 35s", "memory(GiB)": 6.5, "train_speed(iter/s)": 0.512983}""";
    private const string V4Row = """{"loss": 0.9, "grad_norm": 1.2, "learning_rate": 1e-04, "token_acc": 0.7, "epoch": 1.0, "global_step/max_steps": "10/40", "elapsed_time": "2h 3m 4s", "remaining_time": "1d 2h 3m 4s", "memory(GiB)": 20.25, "train_speed(s/it)": 1.9}""";

    [Fact]
    public void V3_row_percent_comes_from_steps_not_from_the_percentage_key()
    {
        var entry = TrainingLogParser.ParseLine(V3Row)!;
        Assert.Equal(new TrainingProgress(45, 94, 47.87, "1m 27s", "1m 35s", 1.40159426, 5.79e-06, 6.5), entry.Progress);
        Assert.Equal(new TrainingPoint(45, 1.40159426, 5.79e-06, null, 9.4375), entry.Point);
        Assert.False(entry.IsSummary);
    }

    [Fact]
    public void V4_row_without_percentage_is_parsed()
    {
        var entry = TrainingLogParser.ParseLine(V4Row)!;
        Assert.Equal(new TrainingProgress(10, 40, 25, "2h 3m 4s", "1d 2h 3m 4s", 0.9, 1e-4, 20.25), entry.Progress);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not json at all")]
    [InlineData("{\"loss\": 1.0, \"global_step/max_steps\": \"4")]
    [InlineData("{\"loss\": 1.0}")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"global_step/max_steps\": \"x/y\", \"loss\": 1}")]
    [InlineData("{\"global_step/max_steps\": 45, \"loss\": 1}")]
    [InlineData("{\"global_step/max_steps\": \"-3/10\"}")]
    [InlineData("{\"eval_loss\": 1.2, \"eval_runtime\": 3.4}")]
    [InlineData("\u0000\u0001{garbage")]
    public void Garbage_and_partial_lines_are_ignored(string line)
    {
        Assert.Null(TrainingLogParser.ParseLine(line));
    }

    [Fact]
    public void Final_summary_row_is_recognised_with_the_last_checkpoint()
    {
        var entry = TrainingLogParser.ParseLine("""{"last_model_checkpoint": "/out/v0-1/checkpoint-94", "best_model_checkpoint": null, "best_metric": null, "global_step": 94, "log_history": [{"loss": 1}], "memory": {"cuda:0": "6.5GiB"}}""")!;
        Assert.True(entry.IsSummary);
        Assert.Equal("/out/v0-1/checkpoint-94", entry.LastModelCheckpoint);
        Assert.Null(entry.Progress);
    }

    [Fact]
    public void Block_keeps_the_last_loss_when_the_final_aggregate_row_has_none()
    {
        var lines = new[]
        {
            V4Row,
            "garbage",
            """{"loss": 0.5, "learning_rate": 5e-05, "global_step/max_steps": "40/40", "memory(GiB)": 20.0}""",
            """{"train_runtime": 12.5, "train_loss": 0.7, "epoch": 1.0, "global_step/max_steps": "40/40"}""",
            """{"last_model_checkpoint": null, "log_history": []}""",
        };
        var (latest, points) = TrainingLogParser.ParseLines(lines);
        Assert.Equal(new TrainingProgress(40, 40, 100, null, null, 0.5, 5e-05, 20.0), latest);
        Assert.Equal([10, 40], points.Select(p => p.Step));
    }

    [Fact]
    public void Numbers_given_as_strings_are_read()
    {
        var entry = TrainingLogParser.ParseLine("""{"loss": "1.25", "learning_rate": "2e-5", "global_step/max_steps": "1/3"}""")!;
        Assert.Equal(1.25, entry.Progress!.Loss);
        Assert.Equal(33.33, entry.Progress.Percent);
    }
}

/// <summary>The parser against rows ms-swift really wrote (tests/fixtures/swift/logs, sources in its README).</summary>
public sealed class RealSwiftLogRowsTests
{
    private static string[] Fixture(string name) =>
        File.ReadAllLines(Path.Combine(RemoteJobServers.RepoRoot(), "tests/fixtures/swift/logs", name));

    [Fact]
    public void A_real_v3_run_gives_one_point_per_train_row_and_ends_at_100_percent()
    {
        var lines = Fixture("v3-metax-lora.jsonl");
        var (latest, points) = TrainingLogParser.ParseLines(lines);
        Assert.Equal(19, points.Count);
        Assert.Equal(1, points[0].Step);
        Assert.Equal(1.47077751, points[0].Loss);
        Assert.Equal(10.5625, points[0].GradNorm);
        Assert.All(points, p => Assert.Null(p.NonFinite));
        Assert.Equal(new TrainingProgress(94, 94, 100, "3m 3s", "0s", 1.44893646, 5e-08, 6.5), latest);
        Assert.Null(TrainingLogParser.FindDivergence(lines));
    }

    [Fact]
    public void A_real_eval_row_is_an_eval_point()
    {
        var entry = TrainingLogParser.ParseLine(Fixture("v3-eval-row.jsonl")[0])!;
        Assert.Equal(new TrainingPoint(10, null, null, 4.26491737), entry.Point);
        Assert.True(entry.Point!.IsEval);
        Assert.Equal(83.33, entry.Progress!.Percent);
    }

    [Fact]
    public void A_real_nan_grad_norm_row_is_read_and_marks_the_divergence()
    {
        var lines = Fixture("v3-grad-norm-nan.jsonl");
        Assert.Contains("\"grad_norm\": NaN", lines[1]);
        var (_, points) = TrainingLogParser.ParseLines(lines);
        Assert.Equal([1, 2], points.Select(p => p.Step));
        Assert.Equal(new TrainingPoint(2, 2.0832541, 1e-05, null, null, "grad_norm=NaN"), points[1]);
        Assert.Equal(new TrainingDivergence(2, "grad_norm=NaN"), TrainingLogParser.FindDivergence(lines));
    }

    [Theory]
    [InlineData("{\"loss\": NaN, \"grad_norm\": Infinity, \"global_step/max_steps\": \"4/10\"}", "loss=NaN, grad_norm=Infinity")]
    [InlineData("{\"loss\": -Infinity, \"grad_norm\": 1.0, \"global_step/max_steps\": \"4/10\"}", "loss=-Infinity")]
    [InlineData("{\"loss\": 1.0, \"note\": \"NaN in a string\", \"grad_norm\": 1.0, \"global_step/max_steps\": \"4/10\"}", null)]
    public void Bare_non_finite_numbers_are_read_outside_strings_only(string line, string? nonFinite)
    {
        var point = TrainingLogParser.ParseLine(line)!.Point!;
        Assert.Equal(4, point.Step);
        Assert.Equal(nonFinite, point.NonFinite);
        Assert.Contains("\"NaN in a string\"", TrainingLogParser.QuoteNonFiniteNumbers("{\"note\": \"NaN in a string\"}"));
    }
}
