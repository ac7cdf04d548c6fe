using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

public sealed class SwiftInstallationTests
{
    private static readonly JobHostEnvironment s_conda = new(JobHostEnvironmentKind.Conda, "swift");

    [Fact]
    public void A_3_or_4_install_is_accepted_with_its_interpreter_and_bitsandbytes()
    {
        var s = SwiftInstallation.FromProbe("gpu1", JobHostEnvironment.None, 0, "swift=/opt/conda/bin/swift\npython=/opt/conda/bin/python3.10\nexecutable=/opt/conda/bin/python3.10\nbnb=1\nversion=3.12.6\n", "");
        Assert.Equal(new SwiftInstallation("3.12.6", 3, "/opt/conda/bin/swift", "/opt/conda/bin/python3.10", true), s);
        Assert.Equal(4, SwiftInstallation.FromProbe("gpu1", JobHostEnvironment.None, 0, "version=4.6.0.dev0\nbnb=0\n", "").Major);
    }

    [Theory]
    [InlineData("2.6.1", "ms-swift 2.6.1 on gpu1 (/usr/bin/python3) is too old")]
    [InlineData("5.0.0", "ms-swift 5.0.0 on gpu1 (/usr/bin/python3) is newer than the versions ModelIde knows")]
    public void Other_majors_are_refused_with_the_reason(string version, string expected)
    {
        var ex = Assert.Throws<ModelIdeException>(() => SwiftInstallation.FromProbe("gpu1", JobHostEnvironment.None, 0, $"executable=/usr/bin/python3\nversion={version}\n", ""));
        Assert.StartsWith(expected, ex.Message);
        Assert.Equal("swift-unsupported", ex.ServerCode);
    }

    [Theory]
    [InlineData(97, "EnvironmentNameNotFound: Could not find conda environment: swift", "The environment for gpu1 could not be activated (conda environment swift). The host said: EnvironmentNameNotFound")]
    [InlineData(3, "swift is not on PATH (/usr/bin:/bin)", "ms-swift was not found on gpu1: there is no swift command after activating the conda environment swift. The host said: swift is not on PATH")]
    [InlineData(1, "Traceback ...\nModuleNotFoundError: No module named 'importlib'", "Looking for ms-swift on gpu1 failed (exit code 1). The host said: Traceback")]
    public void Failures_keep_the_hosts_stderr(int exit, string stderr, string expected)
    {
        var ex = Assert.Throws<ModelIdeException>(() => SwiftInstallation.FromProbe("gpu1", s_conda, exit, "", stderr));
        Assert.StartsWith(expected, ex.Message);
    }
}

public sealed class CheckpointFilesTests
{
    [Theory]
    [InlineData("adapter_model.safetensors", false, true)]
    [InlineData("adapter_config.json", false, true)]
    [InlineData("README.md", false, true)]
    [InlineData("args.json", false, true)]
    [InlineData("additional_config.json", false, true)]
    [InlineData("model-00001-of-00002.safetensors", false, true)]
    [InlineData("tokenizer.json", false, true)]
    [InlineData("converted", true, true)]
    [InlineData("optimizer.pt", false, false)]
    [InlineData("scheduler.pt", false, false)]
    [InlineData("rng_state.pth", false, false)]
    [InlineData("rng_state_3.pth", false, false)]
    [InlineData("trainer_state.json", false, false)]
    [InlineData("training_args.bin", false, false)]
    [InlineData("global_step40", true, false)]
    [InlineData("zero_to_fp32.py", false, false)]
    [InlineData("latest", false, false)]
    public void Only_the_adapter_or_model_files_are_fetched(string name, bool isDirectory, bool fetched)
    {
        Assert.Equal(fetched, CheckpointFiles.IsAdapterFile(name, isDirectory));
    }
}
