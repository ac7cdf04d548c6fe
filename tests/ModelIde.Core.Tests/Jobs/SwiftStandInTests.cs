namespace ModelIde.Core.Tests.Jobs;

/// <summary>The stand-in swift on the remote must fail the way ms-swift does, or the job tests prove nothing.</summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class SwiftStandInTests(RemoteJobServers servers)
{
    [Theory]
    [InlineData("3", "--tuner_type")]
    [InlineData("4", "--train_type")]
    public async Task Tuner_flag_of_the_other_major_version_is_an_unknown_argument(string version, string flag)
    {
        var output = await servers.RunAsync($"cd /tmp && SWIFT_STANDIN_VERSION={version} swift sft --model a/b --dataset {servers.Dataset} {flag} lora --max_steps 1 --output_dir /tmp/standin-check 2>&1; echo rc=$?");
        Assert.Contains($"ValueError: remaining_argv: ['{flag}', 'lora']", output);
        Assert.EndsWith("rc=1", output.Trim());
    }

    [Fact]
    public async Task Each_environment_reports_its_installed_version_through_importlib_metadata()
    {
        const string probe = "-c 'import importlib.metadata as m, swift; print(m.version(\"ms-swift\"), swift.__version__)'";
        Assert.Equal("4.5.1 4.5.1", (await servers.RunAsync("/usr/bin/python3 " + probe)).Trim());
        Assert.Equal("3.12.6 3.12.6", (await servers.RunAsync("~/envs/swift3-venv/bin/python " + probe)).Trim());
        Assert.Equal("4.0.4 4.0.4", (await servers.RunAsync("~/miniconda3/envs/swift40/bin/python " + probe)).Trim());
    }

    [Theory]
    [InlineData("gptq")]
    [InlineData("awq")]
    public async Task Quant_methods_that_need_a_prequantized_model_are_refused_for_training_as_argparse_does(string method)
    {
        var output = await servers.RunAsync($"cd /tmp && swift sft --model a/b --dataset {servers.Dataset} --quant_method {method} --quant_bits 4 --max_steps 1 --output_dir /tmp/standin-check 2>&1; echo rc=$?");
        Assert.Contains($"error: argument --quant_method: invalid choice: '{method}' (choose from 'bnb', 'hqq', 'eetq', 'quanto', 'fp8')", output);
        Assert.EndsWith("rc=2", output.Trim());
    }

    [Fact]
    public async Task Swift_4_0_still_takes_train_type_with_the_deprecation_warning_but_4_1_does_not()
    {
        var v40 = await servers.RunAsync($"cd /tmp && SWIFT_STANDIN_VERSION=4.0.4 SWIFT_STANDIN_LOAD_SECONDS=0 swift sft --model a/b --dataset {servers.Dataset} --train_type lora --max_steps 1 --output_dir /tmp/standin-check 2>&1; echo rc=$?");
        Assert.Contains("[WARNING:swift] `train_type` is deprecated, please use `tuner_type` instead.", v40);
        Assert.EndsWith("rc=0", v40.Trim());
        var v41 = await servers.RunAsync($"cd /tmp && SWIFT_STANDIN_VERSION=4.1.0 swift sft --model a/b --dataset {servers.Dataset} --train_type lora --max_steps 1 --output_dir /tmp/standin-check 2>&1; echo rc=$?");
        Assert.Contains("ValueError: remaining_argv: ['--train_type', 'lora']", v41);
    }

    [Fact]
    public async Task Sigterm_kills_it_without_a_summary_row_and_the_logging_line_comes_after_loading()
    {
        var dir = "/tmp/standin-term-" + Guid.NewGuid().ToString("N");
        var output = await servers.RunAsync(
            $"cd /tmp && (SWIFT_STANDIN_LOAD_SECONDS=1 SWIFT_STANDIN_STEP_SECONDS=0.1 swift sft --model a/b --dataset {servers.Dataset} --max_steps 500 --logging_steps 1 --output_dir {dir} > {dir}.out 2>&1 & echo $! > {dir}.pid); " +
            $"sleep 0.5; grep -c 'logging file will be saved' {dir}.out; sleep 1.5; kill -TERM $(cat {dir}.pid); sleep 0.5; " +
            $"grep -c 'logging file will be saved' {dir}.out; grep -c last_model_checkpoint {dir}/v*/logging.jsonl; grep -c global_step/max_steps {dir}/v*/logging.jsonl; rm -rf {dir} {dir}.out {dir}.pid");
        var counts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(0, counts[0]);
        Assert.Equal(1, counts[1]);
        Assert.Equal(0, counts[2]);
        Assert.True(counts[3] > 0, output);
    }
}
