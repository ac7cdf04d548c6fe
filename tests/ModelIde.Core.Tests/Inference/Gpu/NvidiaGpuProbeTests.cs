using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Tests.Inference.Gpu;

/// <summary>Detection without CUDA: a stand-in NVML built here, and /proc/driver/nvidia trees in the driver's own format.</summary>
public sealed class NvidiaGpuProbeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-nvidia-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ProcTree(string versionLine, params (string Bus, string Model)[] gpus)
    {
        var root = Path.Combine(_dir, "proc", "driver", "nvidia");
        foreach (var (bus, model) in gpus)
        {
            var gpu = Directory.CreateDirectory(Path.Combine(root, "gpus", bus)).FullName;
            // The layout of the driver's gpus/<bus>/information (tabs and spaces as the kernel module prints them).
            File.WriteAllText(Path.Combine(gpu, "information"),
                $"Model: \t\t {model}\nIRQ:   \t\t 1011\nGPU UUID: \t GPU-6d0f8c7a-1a2b-3c4d-5e6f-112233445566\nVideo BIOS: \t 96.00.74.00.0d\n" +
                $"Bus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\nBus Location: \t {bus}\nDevice Minor: \t 0\nGPU Excluded:\t No\n");
        }

        File.WriteAllText(Path.Combine(root, "version"), versionLine + "\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
        return root;
    }

    [Fact]
    public void Proc_tree_of_the_open_kernel_module_gives_model_bus_and_driver_version()
    {
        var root = ProcTree("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  (dvs-builder@U16-I2-C03-12-4)  Sun Jul 27 06:54:38 UTC 2025",
            ("0000:00:06.0", "NVIDIA H100 80GB HBM3"), ("0000:00:07.0", "NVIDIA H100 80GB HBM3"));
        var report = NvidiaGpuProbe.Probe(new NvidiaProbeSources([Path.Combine(_dir, "no-nvml.so")], root));

        Assert.Equal(2, report.Gpus.Count);
        Assert.Equal("NVIDIA H100 80GB HBM3", report.Gpus[0].Name);
        Assert.Equal("0000:00:07.0", report.Gpus[1].BusId);
        Assert.Null(report.Gpus[0].TotalMemoryBytes);
        Assert.Equal("580.65.06", report.DriverVersion);
        Assert.Null(report.CudaDriverVersion);
        Assert.Contains("not found", report.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Proc_tree_of_the_proprietary_module_gives_its_driver_version()
    {
        var root = ProcTree("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024", ("0000:3b:00.0", "Tesla T4"));
        var report = NvidiaGpuProbe.Probe(new NvidiaProbeSources([], root));
        Assert.Equal("Tesla T4", Assert.Single(report.Gpus).Name);
        Assert.Equal("550.54.15", report.DriverVersion);
        Assert.Equal(550, NvidiaGpuProbe.DriverMajor(report.DriverVersion));
    }

    [Fact]
    public void Nvml_gives_name_memory_driver_cuda_version_and_compute_capability()
    {
        var nvml = NativeStubs.Nvml(Path.Combine(_dir, "nvml"));
        var report = NvidiaGpuProbe.Probe(new NvidiaProbeSources([nvml], Path.Combine(_dir, "no-proc")));

        var gpu = Assert.Single(report.Gpus);
        Assert.Equal(NativeStubs.GpuName, gpu.Name);
        Assert.Equal((long)NativeStubs.TotalMemory, gpu.TotalMemoryBytes);
        Assert.Equal((long)NativeStubs.FreeMemory, gpu.FreeMemoryBytes);
        Assert.Equal("9.0", gpu.ComputeCapability);
        Assert.Equal(NativeStubs.DriverVersion, report.DriverVersion);
        Assert.Equal(13000, report.CudaDriverVersion);
        Assert.Equal("13.0", report.CudaDriverVersionText);
        Assert.Equal(nvml, report.Source);
    }

    [Fact]
    public void Nvml_that_cannot_start_falls_back_to_proc_and_says_why()
    {
        var nvml = NativeStubs.Nvml(Path.Combine(_dir, "nvml-mismatch"), initResult: 18);
        var root = ProcTree("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Thu Sep 18 2025", ("0000:00:06.0", "NVIDIA H200"));
        var report = NvidiaGpuProbe.Probe(new NvidiaProbeSources([nvml], root));

        Assert.Equal("NVIDIA H200", Assert.Single(report.Gpus).Name);
        Assert.Equal(root, report.Source);
        Assert.Contains("differ in version", report.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_machine_without_nvidia_driver_is_an_answer_not_an_error()
    {
        var report = NvidiaGpuProbe.Probe(new NvidiaProbeSources([Path.Combine(_dir, "libnvidia-ml.so.1")], Path.Combine(_dir, "nothing")));
        Assert.Empty(report.Gpus);
        Assert.Equal("none", report.Source);
        Assert.Contains("libnvidia-ml.so.1", report.Note, StringComparison.Ordinal);
    }
}
