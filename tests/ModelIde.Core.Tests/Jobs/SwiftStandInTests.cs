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
    public async Task Version_detection_reads_the_configured_mode()
    {
        Assert.Equal("3.12.2", (await servers.RunAsync("SWIFT_STANDIN_VERSION=3 python3 -c 'import swift; print(swift.__version__)'")).Trim());
        Assert.Equal("4.0.1", (await servers.RunAsync("SWIFT_STANDIN_VERSION=4 python3 -c 'import swift; print(swift.__version__)'")).Trim());
    }
}
