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

    // Seen on an H200 machine (2026-12-04): ONNX Runtime names no vendor for the GPU, and with the GPU runtime loaded
    // `--device cpu` said "vendor 0x10de GPU found; no GPU execution provider in this build", which was false.
    [Fact]
    public void With_the_gpu_runtime_an_nvidia_gpu_is_named_and_not_said_to_lack_a_provider()
    {
        HardwareDeviceInfo[] hardware = [new("GPU", "", 0x10de, 0x2335), new("CPU", "Intel", 0x8086, 0)];

        var withPack = ExecutionProviderSelector.Summarise(DevicePolicyKind.PreferCpu, hardware, [], null, 16, cudaInBuild: true);
        var cpuBuild = ExecutionProviderSelector.Summarise(DevicePolicyKind.PreferCpu, hardware, [], null, 16, cudaInBuild: false);

        Assert.Equal("NVIDIA GPU found; CPU requested; running on CPU (16 threads)", withPack);
        Assert.Equal("NVIDIA GPU found; no GPU execution provider in this build; CPU requested; running on CPU (16 threads)", cpuBuild);
    }

    [Theory]
    [InlineData("", 0x10de, "NVIDIA")]
    [InlineData("", 0x1002, "AMD")]
    [InlineData("", 0x1234, "vendor 0x1234")]
    [InlineData("Qualcomm Technologies", 0x5143, "Qualcomm Technologies")]
    public void A_gpu_without_a_vendor_name_is_named_by_its_pci_vendor_id(string vendor, int vendorId, string expected) =>
        Assert.Equal(expected, ExecutionProviderSelector.VendorName(new HardwareDeviceInfo("GPU", vendor, (uint)vendorId, 1)));

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
