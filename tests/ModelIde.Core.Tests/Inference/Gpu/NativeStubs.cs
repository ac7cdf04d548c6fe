using System.Diagnostics;

namespace ModelIde.Core.Tests.Inference.Gpu;

/// <summary>
/// Real shared libraries built with the C compiler for tests: a stand-in NVML with the signatures of nvml.h (checked
/// against the bindings in Debian's librust-nvml-wrapper-sys-dev 0.7.0) and empty CUDA libraries with the real sonames
/// and NEEDED entries (libcublas.so.13 needs libcublasLt.so.13, as in CUDA 13). They load like the real ones; they
/// have none of CUDA's functions, so ONNX Runtime's CUDA provider fails on them exactly as on a broken install.
/// </summary>
public static class NativeStubs
{
    public const string GpuName = "NVIDIA H200";
    public const ulong TotalMemory = 150_754_820_096;
    public const ulong FreeMemory = 149_000_000_000;
    public const string DriverVersion = "580.95.05";

    /// <summary>A stand-in libnvidia-ml.so.1 reporting one H200 (or one whose nvmlInit_v2 fails with <paramref name="initResult"/>).</summary>
    public static string Nvml(string folder, int initResult = 0, int cudaVersion = 13000, ulong freeMemory = FreeMemory)
    {
        var source = $$"""
            #include <string.h>
            typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
            typedef void* nvmlDevice_t;
            static int dev;
            int nvmlInit_v2(void) { return {{initResult}}; }
            int nvmlShutdown(void) { return 0; }
            int nvmlSystemGetDriverVersion(char* v, unsigned int n) { strncpy(v, "{{DriverVersion}}", n); return 0; }
            int nvmlSystemGetCudaDriverVersion_v2(int* v) { *v = {{cudaVersion}}; return 0; }
            int nvmlDeviceGetCount_v2(unsigned int* c) { *c = 1; return 0; }
            int nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t* d) { if (i) return 2; *d = &dev; return 0; }
            int nvmlDeviceGetName(nvmlDevice_t d, char* name, unsigned int n) { strncpy(name, "{{GpuName}}", n); return 0; }
            int nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t* m) { m->total = {{TotalMemory}}ULL; m->free = {{freeMemory}}ULL; m->used = m->total - m->free; return 0; }
            int nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int* major, int* minor) { *major = 9; *minor = 0; return 0; }
            """;
        return Compile(folder, "libnvidia-ml.so.1", source, []);
    }

    /// <summary>An empty library with this soname that needs <paramref name="needed"/> (found as files in the same folder at link time).</summary>
    public static string Library(string folder, string soname, params string[] needed) =>
        Compile(folder, soname, $"int stub_{Sanitise(soname)}(void) {{ return 1; }}\n", needed);

    /// <summary>The CUDA 13 / cuDNN 9 set the CUDA provider needs, plus libcuda.so.1, as stubs in one folder.</summary>
    public static string CudaSet(string folder, bool withDriver = true)
    {
        Directory.CreateDirectory(folder);
        if (withDriver)
        {
            Library(folder, "libcuda.so.1");
        }

        Library(folder, "libcudart.so.13");
        Library(folder, "libcublasLt.so.13");
        Library(folder, "libcublas.so.13", "libcublasLt.so.13");
        Library(folder, "libcurand.so.10");
        Library(folder, "libcudnn_graph.so.9");
        Library(folder, "libcudnn_ops.so.9", "libcudnn_graph.so.9");
        Library(folder, "libcudnn.so.9");
        return folder;
    }

    private static string Compile(string folder, string soname, string source, string[] needed)
    {
        Directory.CreateDirectory(folder);
        var c = Path.Combine(folder, Sanitise(soname) + ".c");
        File.WriteAllText(c, source);
        var output = Path.Combine(folder, soname);
        var psi = new ProcessStartInfo("cc") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-shared", "-fPIC", "-o", output, $"-Wl,-soname,{soname}", c, $"-L{folder}", $"-Wl,-rpath-link,{folder}", "-Wl,--no-as-needed" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var n in needed)
        {
            // Link against the file by its full name so its soname lands in NEEDED.
            psi.ArgumentList.Add($"-l:{n}");
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"cc failed for {soname}: {err}");
        File.Delete(c);
        return output;
    }

    private static string Sanitise(string name) => new(name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());
}
