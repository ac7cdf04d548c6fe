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
    public async Task Dry_run_with_an_invalid_spec_exits_with_usage_and_names_the_problem()
    {
        var (code, _, err) = await RunAsync("finetune", "submit", "--backend", "ssh://a@h", "--model", "m", "--dataset", "d", "--nodes", "3", "--dry-run");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("several nodes need the Slurm backend", err);
    }

    [Fact]
    public async Task Presets_lists_the_qlora_preset()
    {
        var (code, output, _) = await RunAsync("finetune", "presets");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("QLoRA 7B on one 24 GB GPU", output);
    }
}
