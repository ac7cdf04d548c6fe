using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>GPU choice against a recorded real nvidia-smi output (tests/fixtures/swift/nvidia-gpus.csv: 8 x V100, GPU 6 busy).</summary>
public sealed class GpuInventoryTests
{
    // The recording has a header, units and a temperature column; the parser skips the header and reads the numbers.
    private static IReadOnlyList<GpuInfo> RecordedV100s() =>
        GpuInventory.Parse(File.ReadAllText(Path.Combine(RemoteJobServers.RepoRoot(), "tests/fixtures/swift/nvidia-gpus.csv")));

    [Fact]
    public void Recorded_output_parses_to_eight_gpus_with_gpu_6_busy()
    {
        var gpus = RecordedV100s();
        Assert.Equal(8, gpus.Count);
        Assert.Equal(new GpuInfo(6, "Tesla V100-SXM2-32GB", 32768, 13928, 100), gpus[6]);
        Assert.Equal([6], gpus.Where(g => g.IsBusy).Select(g => g.Index));
        Assert.Equal(32764, gpus[5].MemoryTotalMiB);
    }

    [Fact]
    public void Least_busy_gpus_are_picked_and_a_busy_one_only_when_nothing_else_is_left()
    {
        var gpus = RecordedV100s();
        Assert.Equal([0, 1], GpuInventory.PickLeastBusy(gpus, 2, "h"));
        Assert.DoesNotContain(6, GpuInventory.PickLeastBusy(gpus, 7, "h"));
        Assert.Contains(6, GpuInventory.PickLeastBusy(gpus, 8, "h"));
        var ex = Assert.Throws<ModelIdeException>(() => GpuInventory.PickLeastBusy(gpus, 9, "gpu1"));
        Assert.Contains("asks for 9 GPUs but gpu1 has 8", ex.Message);
        Assert.Contains("6 Tesla V100-SXM2-32GB 13928/32768 MiB 100 %", ex.Message);
    }

    [Fact]
    public void Named_gpus_are_checked_busy_ones_warned_missing_ones_refused()
    {
        var gpus = RecordedV100s();
        var warnings = GpuInventory.CheckChosen(gpus, [3, 6], "gpu1");
        Assert.Equal(["GPU 6 on gpu1 is in use (13928 of 32768 MiB, 100 % busy): the job may run out of memory or run slowly."], warnings);
        Assert.Contains("gpu1 has no GPU 8", Assert.Throws<ModelIdeException>(() => GpuInventory.CheckChosen(gpus, [8], "gpu1")).Message);
    }

    [Fact]
    public void One_gpu_gets_no_torchrun_several_get_one_process_each()
    {
        Assert.Equal(new Dictionary<string, string> { ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID", ["CUDA_VISIBLE_DEVICES"] = "4" }, GpuInventory.SshEnvironment([4]));
        Assert.Equal("3", GpuInventory.SshEnvironment([0, 1, 7])["NPROC_PER_NODE"]);
        Assert.Equal("", GpuInventory.SshEnvironment([])["CUDA_VISIBLE_DEVICES"]);
        Assert.Empty(GpuInventory.SshEnvironment(null));
    }
}
