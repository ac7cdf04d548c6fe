using ModelIde.Cli;

namespace ModelIde.Cli.Tests.Jobs;

/// <summary>`modelide finetune` without a remote: dry run and presets.</summary>
public sealed class JobsCliTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(string command, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync([command, .. args], new CliConsole(o, e), CancellationToken.None);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Dry_run_prints_the_swift_line_and_the_batch_script_without_connecting()
    {
        var (code, output, _) = await RunAsync("finetune", "submit", "--backend", "slurm://bob@login.example:2200",
            "--model", "Qwen/Qwen2.5-7B-Instruct", "--dataset", "AI-ModelScope/alpaca-gpt4-data-en", "--tuner", "qlora",
            "--gpus", "2", "--nodes", "2", "--time", "60", "--max-steps", "10", "--dry-run");
        Assert.Equal(ExitCodes.Success, code);
        var lines = output.Split('\n');
        Assert.Equal("swift sft --model Qwen/Qwen2.5-7B-Instruct --dataset AI-ModelScope/alpaca-gpt4-data-en --tuner_type lora --quant_method bnb --quant_bits 4 --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true --max_steps 10 --output_dir ~/.modelide/jobs/JOB_ID/output", lines[0]);
        Assert.Contains("#SBATCH --nodes=2", output);
        Assert.Contains("#SBATCH --time=60", output);
    }

    [Fact]
    public async Task Dry_run_puts_the_chosen_gpus_save_options_and_compute_dtype_on_the_swift_line()
    {
        var (code, output, err) = await RunAsync("finetune", "submit", "--backend", "ssh://bob@gpu.example", "--model", "Qwen/Qwen2.5-7B-Instruct",
            "--dataset", "d", "--tuner", "qlora", "--gpu-ids", "0,3", "--save-steps", "50", "--save-total-limit", "2", "--save-only-model",
            "--bnb-compute-dtype", "float16", "--dry-run");
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains("CUDA_VISIBLE_DEVICES=0,3", output);
        Assert.Contains("NPROC_PER_NODE=2", output);
        Assert.Contains("--bnb_4bit_compute_dtype float16", output);
        Assert.Contains("--save_steps 50", output);
        Assert.Contains("--save_total_limit 2", output);
        Assert.Contains("--save_only_model true", output);

        var (bad, _, badErr) = await RunAsync("finetune", "submit", "--backend", "ssh://bob@gpu.example", "--model", "m", "--dataset", "d", "--gpu-ids", "0,x", "--dry-run");
        Assert.Equal(ExitCodes.Usage, bad);
        Assert.Contains("--gpu-ids takes GPU numbers", badErr);
    }

    [Fact]
    public async Task Dry_run_with_an_invalid_spec_exits_with_usage_and_names_the_problem()
    {
        var (code, _, err) = await RunAsync("finetune", "submit", "--backend", "ssh://a@h", "--model", "m", "--dataset", "d", "--nodes", "3", "--dry-run");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("several nodes need the Slurm backend", err);
    }

    [Fact]
    public async Task A_hosts_saved_environment_is_shown_and_activated_in_the_dry_runs_batch_script()
    {
        var state = Directory.CreateTempSubdirectory("modelide-cli-hostenv-").FullName;
        try
        {
            const string backend = "slurm://bob@login.example";
            var (code, output, _) = await RunAsync("jobs", "host-env", backend, "--state-dir", state);
            Assert.Equal(ExitCodes.Success, code);
            Assert.Equal("login shell", output.Trim());

            (code, output, _) = await RunAsync("jobs", "host-env", backend, "--conda", "swift-env", "--state-dir", state);
            Assert.Equal(ExitCodes.Success, code);
            Assert.Equal("conda swift-env", output.Trim());

            (code, output, _) = await RunAsync("finetune", "submit", "--backend", backend, "--model", "m", "--dataset", "d", "--dry-run", "--state-dir", state);
            Assert.Equal(ExitCodes.Success, code);
            Assert.Contains("conda activate", output);
            Assert.Contains("swift-env", output);

            var (both, _, err) = await RunAsync("jobs", "host-env", backend, "--conda", "a", "--venv", "b", "--state-dir", state);
            Assert.Equal(ExitCodes.Usage, both);
            Assert.Contains("Give one of", err);

            (code, output, _) = await RunAsync("jobs", "host-env", backend, "--none", "--state-dir", state);
            Assert.Equal("login shell", output.Trim());
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task Presets_lists_the_qlora_preset()
    {
        var (code, output, _) = await RunAsync("finetune", "presets");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("QLoRA 7B on one 24 GB GPU", output);
    }
}
