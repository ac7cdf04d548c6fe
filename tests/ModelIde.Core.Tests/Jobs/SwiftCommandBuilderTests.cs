using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

public sealed class SwiftCommandBuilderTests
{
    private static readonly JobSpec s_spec = new()
    {
        Backend = "ssh://alice@gpu1:2200",
        Model = "Qwen/Qwen2.5-7B-Instruct",
        Dataset = ["AI-ModelScope/alpaca-gpt4-data-zh#500", "/data/my file.jsonl"],
        Tuner = JobTunerKind.Lora,
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
    public void Qlora_is_lora_with_bnb_4bit_quantization_and_the_models_compute_dtype_unless_chosen()
    {
        var line = SwiftCommandBuilder.ToCommandLine(SwiftCommandBuilder.Build(s_spec with { Tuner = JobTunerKind.Qlora }, 4, "/out"));
        Assert.Contains("--tuner_type lora --quant_method bnb --quant_bits 4 --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true", line);
        Assert.DoesNotContain("--bnb_4bit_compute_dtype", line);
        Assert.DoesNotContain("qlora", line);
        var fp16 = SwiftCommandBuilder.Build(s_spec with { Tuner = JobTunerKind.Qlora, BnbComputeDtype = "float16" }, 4, "/out");
        Assert.Equal(["--bnb_4bit_compute_dtype", "float16"], fp16.SkipWhile(a => a != "--bnb_4bit_compute_dtype").Take(2));
        Assert.Contains(SwiftCommandBuilder.Validate(s_spec with { BnbComputeDtype = "float16" }), e => e.Message.Contains("QLoRA only", StringComparison.Ordinal));
        Assert.Contains(SwiftCommandBuilder.Validate(s_spec with { Tuner = JobTunerKind.Qlora, BnbComputeDtype = "bf16" }), e => e.Message.Contains("bnbComputeDtype", StringComparison.Ordinal));
    }

    [Fact]
    public void A_form_left_empty_previews_as_if_those_fields_were_not_sent()
    {
        // The fine-tune form sends "" for an unset dtype and may send null lists; the preview must not turn them into flags or errors.
        var preview = JobService.Preview(s_spec with { Tuner = JobTunerKind.Qlora, BnbComputeDtype = " ", ExtraArgs = null, Dataset = null! });
        Assert.DoesNotContain(preview.Errors, e => e.Field is "bnbComputeDtype" or "extraArgs");
        Assert.DoesNotContain("--bnb_4bit_compute_dtype", preview.Argv);
        Assert.Contains(preview.Warnings, w => w.StartsWith("QLoRA computes in the model's own dtype", StringComparison.Ordinal));
        Assert.Contains(preview.Errors, e => e.Field == "dataset");
    }

    [Fact]
    public void Checkpoint_flags_come_from_the_spec_and_resuming_a_weights_only_job_loads_only_the_model()
    {
        var spec = s_spec with { SaveSteps = 50, SaveTotalLimit = 2, SaveOnlyModel = true };
        var argv = SwiftCommandBuilder.Build(spec, 4, "/out", "/out/v0-1/checkpoint-50");
        Assert.Contains("--save_steps 50 --save_total_limit 2 --save_only_model true --output_dir /out --resume_from_checkpoint /out/v0-1/checkpoint-50 --resume_only_model true", SwiftCommandBuilder.ToCommandLine(argv));
        Assert.DoesNotContain("--resume_only_model", SwiftCommandBuilder.Build(spec with { SaveOnlyModel = null }, 4, "/out", "/out/c-5"));
        // Set by the spec, a flag is owned: repeating it in extra args is refused; otherwise extra args may set it.
        Assert.Contains(SwiftCommandBuilder.Validate(spec with { ExtraArgsText = "--save_steps 10" }), e => e.Message.Contains("--save_steps", StringComparison.Ordinal));
        Assert.Empty(SwiftCommandBuilder.Validate(s_spec with { ExtraArgsText = "--save_steps 10" }));
    }

    [Fact]
    public void Extra_args_and_datasets_typed_on_a_line_keep_their_quoted_words()
    {
        var spec = s_spec with
        {
            Dataset = [],
            DatasetText = "'/data/my file.jsonl' AI-ModelScope/alpaca-gpt4-data-zh#500",
            ExtraArgsText = "--system 'You are a \"helpful\" assistant.' --model_author \"O'Brien\" --lora_dropout 0.1",
        };
        Assert.Empty(SwiftCommandBuilder.Validate(spec));
        var argv = SwiftCommandBuilder.Build(spec, 4, "/out");
        Assert.Equal(["--dataset", "/data/my file.jsonl", "AI-ModelScope/alpaca-gpt4-data-zh#500"], argv.SkipWhile(a => a != "--dataset").Take(3));
        Assert.Equal(["--system", "You are a \"helpful\" assistant.", "--model_author", "O'Brien", "--lora_dropout", "0.1"], argv.TakeLast(6));
        Assert.EndsWith("--system 'You are a \"helpful\" assistant.' --model_author 'O'\\''Brien' --lora_dropout 0.1", SwiftCommandBuilder.ToCommandLine(argv));
        Assert.Contains(SwiftCommandBuilder.Validate(spec with { ExtraArgsText = "--system 'unclosed" }), e => e.Field == "extraArgs" && e.Message.StartsWith("extraArgs: unclosed single quote", StringComparison.Ordinal));
    }

    [Fact]
    public void Gpu_fields_are_checked_against_the_backend()
    {
        Assert.Empty(SwiftCommandBuilder.Validate(s_spec with { GpuIndices = [0, 3] }));
        Assert.Contains(SwiftCommandBuilder.Validate(s_spec with { GpuIndices = [1, 1] }), e => e.Field == "gpuIndices" && e.Message.Contains("distinct", StringComparison.Ordinal));
        Assert.Contains(SwiftCommandBuilder.Validate(s_spec with { GpuIndices = [0, 1], GpusPerNode = 3 }), e => e.Message.Contains("disagree", StringComparison.Ordinal));
        Assert.Contains(SwiftCommandBuilder.Validate(s_spec with { Backend = "slurm://u@login", GpuIndices = [0] }), e => e.Message.Contains("SSH backend only", StringComparison.Ordinal));
        Assert.Contains(SwiftCommandBuilder.Validate(s_spec with { CpusPerTask = 8 }), e => e.Message.Contains("cpusPerTask", StringComparison.Ordinal));
    }

    [Fact]
    public void Preview_shows_the_exact_argv_and_the_gpu_environment_of_the_wrapper()
    {
        var preview = JobService.Preview(s_spec with { GpuIndices = [2, 5], ExtraArgsText = "--system 'a b'" });
        Assert.Empty(preview.Errors);
        Assert.Equal(["--system", "a b"], preview.Argv.TakeLast(2));
        Assert.Equal("2,5", preview.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("2", preview.Environment["NPROC_PER_NODE"]);
        Assert.Equal("PCI_BUS_ID", preview.Environment["CUDA_DEVICE_ORDER"]);
        Assert.Contains("export CUDA_VISIBLE_DEVICES=2,5\n", preview.Script);
        Assert.Contains("export NPROC_PER_NODE=2\n", preview.Script);
        Assert.Contains("export MASTER_PORT=$p", preview.Script);
        var byCount = JobService.Preview(s_spec with { GpusPerNode = 1 });
        Assert.Contains("chosen at submit", byCount.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.False(byCount.Environment.ContainsKey("NPROC_PER_NODE"));
        var venv = JobService.Preview(s_spec, new JobHostEnvironment(JobHostEnvironmentKind.Venv, "~/my envs/swift"));
        Assert.Contains("modelide_venv=\"$HOME\"/'my envs/swift'", venv.Script);
    }

    [Fact]
    public void Full_fine_tune_has_no_lora_flags_and_resume_adds_the_checkpoint()
    {
        var argv = SwiftCommandBuilder.Build(s_spec with { Tuner = JobTunerKind.Full, LoraRank = null, LoraAlpha = null }, 4, "/out", "/out/v0-1/checkpoint-50");
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
            "loraRank" => s_spec with { Tuner = JobTunerKind.Full },
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

        Assert.Equal(JobTunerKind.Qlora, JobPresets.Find("qlora-7b-24gb")!.Spec.Tuner);
        Assert.All(JobPresets.All, p => Assert.True(p.Spec.SaveSteps is > 0 && p.Spec.SaveTotalLimit is > 0, p.Id));
        Assert.Equal(true, JobPresets.Find("lora-quick-test")!.Spec.SaveOnlyModel);
        Assert.All(JobPresets.All, p => Assert.Null(p.Spec.BnbComputeDtype));
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
        Assert.Contains("export MASTER_PORT=\"$((20000 + SLURM_JOB_ID % 20000))\"", script);
        Assert.DoesNotContain("29500", script);
    }

    [Fact]
    public void Slurm_asks_for_cpus_per_task_and_slurmrestd_gets_gpus_per_node()
    {
        var spec = s_spec with { Backend = "slurm://u@login", Nodes = 2, GpusPerNode = 4, CpusPerTask = 16 };
        var job = new JobInfo { JobId = "ft-1", RemoteDir = "/home/u/.modelide/jobs/ft-1", Spec = spec };
        Assert.Contains("#SBATCH --cpus-per-task=16\n", SlurmJobBackend.BuildBatchScript(job, SwiftCommandBuilder.Build(spec, 4, "/out")));
        var props = SlurmJobBackend.RestJobProperties(job);
        Assert.Equal("4", props["gpus_per_node"]!.GetValue<string>());
        Assert.Null(props["gpus"]);
        Assert.Equal(16, props["cpus_per_task"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("FAILED", JobStateKind.Failed)]
    [InlineData("TIMEOUT", JobStateKind.Failed)]
    [InlineData("OUT_OF_MEMORY", JobStateKind.Failed)]
    [InlineData("PENDING", JobStateKind.Pending)]
    [InlineData("RUNNING", JobStateKind.Running)]
    [InlineData("COMPLETING", JobStateKind.Running)]
    [InlineData("COMPLETED", JobStateKind.Completed)]
    [InlineData("CANCELLED", JobStateKind.Cancelled)]
    [InlineData("WEIRD", JobStateKind.Unknown)]
    public void Slurm_states_map_to_job_states(string slurm, JobStateKind expected)
    {
        Assert.Equal(expected, SlurmJobBackend.MapState(slurm));
    }
}
