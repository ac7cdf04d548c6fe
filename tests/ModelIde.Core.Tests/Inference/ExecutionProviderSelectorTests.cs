using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

public sealed class ExecutionProviderSelectorTests
{
    [Fact]
    public void Report_lists_the_cpu_provider_and_says_where_it_runs()
    {
        var report = ExecutionProviderSelector.Describe(DevicePolicyKind.Auto, threads: 2);
        Assert.Contains(report.ExecutionProviders, e => e.Name == "CPUExecutionProvider" && e.DeviceType == "CPU");
        Assert.Contains(report.Hardware, h => h.Type == "CPU");
        Assert.Contains("running on", report.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto", DevicePolicyKind.Auto)]
    [InlineData("cpu", DevicePolicyKind.PreferCpu)]
    [InlineData("preferGpu", DevicePolicyKind.PreferGpu)]
    [InlineData("npu", DevicePolicyKind.PreferNpu)]
    [InlineData("maxEfficiency", DevicePolicyKind.MaxEfficiency)]
    public void Policies_parse(string text, DevicePolicyKind expected) => Assert.Equal(expected, ExecutionProviderSelector.ParsePolicy(text));

    [Fact]
    public void Unknown_policy_is_invalid_input() =>
        Assert.Equal(ModelIdeErrorKind.InvalidInput, Assert.Throws<ModelIdeException>(() => ExecutionProviderSelector.ParsePolicy("fastest")).Kind);

    [Fact]
    public void Missing_ep_library_is_invalid_input()
    {
        var e = Assert.Throws<ModelIdeException>(() => ExecutionProviderSelector.Describe(DevicePolicyKind.PreferGpu, "/nonexistent/libonnxruntime_providers_cuda.so"));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
    }

    [Fact]
    public void Ep_library_that_is_not_a_library_is_invalid_input()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a shared library");
            var e = Assert.Throws<ModelIdeException>(() => ExecutionProviderSelector.RegisterLibrary(path));
            Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
