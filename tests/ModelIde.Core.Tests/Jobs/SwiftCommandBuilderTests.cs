using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

public sealed class SwiftCommandBuilderTests
{
    private static readonly JobSpec s_spec = new()
    {
        Backend = "ssh://alice@gpu1:2200",
        Model = "Qwen/Qwen2.5-7B-Instruct",
        Dataset = ["AI-ModelScope/alpaca-gpt4-data-zh#500", "/data/my file.jsonl"],
        Tuner = JobTuner.Lora,
        MaxSteps = 100,
        LearningRate = 1e-4,
        LoraRank = 8,
        LoraAlpha = 32,
        BatchSize = 2,
        MaxLength = 2048,
    };

    [Fact]
    public void Swift_4_uses_tuner_type()
    {
        var argv = SwiftCommandBuilder.Build(s_spec, 4, "/out");
        Assert.Equal(
            "swift sft --model Qwen/Qwen2.5-7B-Instruct --dataset 'AI-ModelScope/alpaca-gpt4-data-zh#500' '/data/my file.jsonl' --tuner_type lora --max_steps 100 --learning_rate 0.0001 --lora_rank 8 --lora_alpha 32 --per_device_train_batch_size 2 --max_length 2048 --output_dir /out",
            SwiftCommandBuilder.ToCommandLine(argv));
    }

    [Fact]
    public void Swift_3_uses_train_type()
    {
        var argv = SwiftCommandBuilder.Build(s_spec, 3, "/out");
        Assert.Contains("--train_type", argv);
        Assert.DoesNotContain("--tuner_type", argv);
    }

    [Fact]
    public void Qlora_is_lora_with_bnb_4bit_quantization()
    {
        var line = SwiftCommandBuilder.ToCommandLine(SwiftCommandBuilder.Build(s_spec with { Tuner = JobTuner.Qlora }, 4, "/out"));
        Assert.Contains("--tuner_type lora --quant_method bnb --quant_bits 4 --bnb_4bit_compute_dtype bfloat16 --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true", line);
        Assert.DoesNotContain("qlora", line);
    }

    [Fact]
    public void Full_fine_tune_has_no_lora_flags_and_resume_adds_the_checkpoint()
    {
        var argv = SwiftCommandBuilder.Build(s_spec with { Tuner = JobTuner.Full, LoraRank = null, LoraAlpha = null }, 4, "/out", "/out/v0-1/checkpoint-50");
        Assert.Equal(["--tuner_type", "full"], argv.SkipWhile(a => a != "--tuner_type").Take(2));
        Assert.DoesNotContain("--lora_rank", argv);
        Assert.Equal(["--resume_from_checkpoint", "/out/v0-1/checkpoint-50"], argv.SkipWhile(a => a != "--resume_from_checkpoint").Take(2));
    }

    [Fact]
    public void Valid_spec_has_no_errors()
    {
        Assert.Empty(SwiftCommandBuilder.Validate(s_spec));
    }

    [Theory]
    [InlineData("backend")]
    [InlineData("model")]
    [InlineData("dataset")]
    [InlineData("learningRate")]
    [InlineData("loraRank")]
    [InlineData("nodes")]
    [InlineData("extraArgs")]
    public void Invalid_field_is_reported_by_name(string field)
    {
        var spec = field switch
        {
            "backend" => s_spec with { Backend = "http://x" },
            "model" => s_spec with { Model = " " },
            "dataset" => s_spec with { Dataset = [] },
            "learningRate" => s_spec with { LearningRate = 5 },
            "loraRank" => s_spec with { Tuner = JobTuner.Full },
            "nodes" => s_spec with { Nodes = 2 },
            "extraArgs" => s_spec with { ExtraArgs = ["--train_type", "full"] },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };
        var errors = SwiftCommandBuilder.Validate(spec);
        Assert.Equal(field, Assert.Single(errors).Field);
        Assert.Contains(field, errors[0].Message);
        Assert.Equal(ModelIdeErrorKind.InvalidInput, Assert.Throws<ModelIdeException>(() => SwiftCommandBuilder.EnsureValid(spec)).Kind);
    }

    [Theory]
    [InlineData("4.0.1", 4)]
    [InlineData("3.12.2\n", 3)]
    [InlineData("some banner\n3.5.0", 3)]
    [InlineData("", null)]
    [InlineData("not a version", null)]
    public void Major_version_is_read_from_the_last_line(string text, int? expected)
    {
        Assert.Equal(expected, SwiftCommandBuilder.ParseMajorVersion(text));
    }

    [Fact]
    public void Every_preset_is_valid_once_backend_and_dataset_are_added()
    {
        foreach (var preset in JobPresets.All)
        {
            var spec = preset.Spec with { Backend = "slurm://u@login", Dataset = ["d/x"] };
            Assert.Empty(SwiftCommandBuilder.Validate(spec));
        }

        Assert.Equal(JobTuner.Qlora, JobPresets.Find("qlora-7b-24gb")!.Spec.Tuner);
    }

    [Fact]
    public void Multi_node_batch_script_sets_torchrun_variables_from_slurm()
    {
        var spec = s_spec with { Backend = "slurm://u@login", Nodes = 2, GpusPerNode = 8, TimeLimitMinutes = 90 };
        var job = new JobInfo { JobId = "ft-1", RemoteDir = "/home/u/.modelide/jobs/ft-1", Spec = spec };
        var script = SlurmJobBackend.BuildBatchScript(job, SwiftCommandBuilder.Build(spec, 4, "/out"));
        Assert.Contains("#SBATCH --nodes=2\n", script);
        Assert.Contains("#SBATCH --gres=gpu:8\n", script);
        Assert.Contains("#SBATCH --time=90\n", script);
        Assert.Contains("export NNODES=\"${SLURM_NNODES:-1}\"", script);
        Assert.Contains("export NPROC_PER_NODE=8", script);
        Assert.Contains("MASTER_ADDR=", script);
        Assert.Contains("srun --ntasks-per-node=1 bash -c 'export NODE_RANK=$SLURM_NODEID; exec swift sft", script);
    }

    [Theory]
    [InlineData("FAILED", JobState.Failed)]
    [InlineData("TIMEOUT", JobState.Failed)]
    [InlineData("OUT_OF_MEMORY", JobState.Failed)]
    [InlineData("PENDING", JobState.Pending)]
    [InlineData("RUNNING", JobState.Running)]
    [InlineData("COMPLETING", JobState.Running)]
    [InlineData("COMPLETED", JobState.Completed)]
    [InlineData("CANCELLED", JobState.Cancelled)]
    [InlineData("WEIRD", JobState.Unknown)]
    public void Slurm_states_map_to_job_states(string slurm, JobState expected)
    {
        Assert.Equal(expected, SlurmJobBackend.MapState(slurm));
    }
}
