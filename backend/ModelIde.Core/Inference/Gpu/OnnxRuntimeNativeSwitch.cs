using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>Which ONNX Runtime native library this process uses, and why.</summary>
public sealed record OnnxRuntimeBuild(bool IsGpuPack, string? PackFolder, string Note);

/// <summary>
/// Points the Microsoft.ML.OnnxRuntime assembly at the GPU pack's libonnxruntime when the pack is installed and
/// intact, through <see cref="NativeLibrary.SetDllImportResolver"/>; otherwise the CPU library shipped with the sidecar
/// stays. The choice is per process and must happen before the first ONNX Runtime call, so every entry point of
/// <see cref="ExecutionProviderSelector"/> makes it first. The managed 1.31.1 binding asks the native library for C API
/// version 31, which the pack's 1.31.0 serves (both headers define ORT_API_VERSION 31).
/// Set MODELIDE_GPU_RUNTIME=off to keep the CPU build even when the pack is installed.
/// </summary>
public static class OnnxRuntimeNativeSwitch
{
    public const string DisableVariable = "MODELIDE_GPU_RUNTIME";
    private const string OrtLibraryName = "onnxruntime";
    private static readonly Lock Gate = new();
    private static OnnxRuntimeBuild? _chosen;
    private static string? _packLibrary;

    /// <summary>Chooses once per process (later calls return the first answer).</summary>
    public static OnnxRuntimeBuild EnsureChosen(GpuRuntimePackStore? store = null)
    {
        lock (Gate)
        {
            return _chosen ??= Choose(store ?? GpuRuntimePackStore.Default());
        }
    }

    private static OnnxRuntimeBuild Choose(GpuRuntimePackStore store)
    {
        var spec = GpuRuntimePackSpec.ForThisMachine();
        if (spec is null)
        {
            return new OnnxRuntimeBuild(false, null, $"ONNX Runtime has no CUDA build for {RuntimeInformation.RuntimeIdentifier}");
        }

        if (string.Equals(Environment.GetEnvironmentVariable(DisableVariable), "off", StringComparison.OrdinalIgnoreCase))
        {
            return new OnnxRuntimeBuild(false, null, $"the GPU runtime is turned off ({DisableVariable}=off)");
        }

        // Hash the small libraries now; the 284 MB CUDA provider is hashed only when it is about to be loaded.
        var problem = store.Verify(spec, PackVerification.Hashes, spec.Files.Where(f => f != spec.CudaProvider));
        if (problem is not null)
        {
            return new OnnxRuntimeBuild(false, null, problem);
        }

        if (AlreadyLoadedOnnxRuntime() is { } loaded)
        {
            return new OnnxRuntimeBuild(false, null, $"ONNX Runtime was already loaded from {loaded} before the GPU runtime could be chosen; restart to use it");
        }

        var folder = store.FolderFor(spec);
        _packLibrary = store.FileFor(spec, spec.OnnxRuntime);
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(OrtEnv).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            return new OnnxRuntimeBuild(false, null, "another ONNX Runtime library resolver is already installed in this process");
        }

        return new OnnxRuntimeBuild(true, folder, $"GPU runtime pack {spec.PackageId} {spec.Version} from {folder}");
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == OrtLibraryName && _packLibrary is { } path ? NativeLibrary.Load(path) : IntPtr.Zero;

    /// <summary>An onnxruntime library already mapped into this process (the CPU one), which would make a switch unsafe.</summary>
    private static string? AlreadyLoadedOnnxRuntime()
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            foreach (ProcessModule module in self.Modules)
            {
                var name = module.ModuleName;
                if (name.Equals("libonnxruntime.so", StringComparison.Ordinal) || name.StartsWith("libonnxruntime.so.", StringComparison.Ordinal) ||
                    name.Equals("onnxruntime.dll", StringComparison.OrdinalIgnoreCase))
                {
                    return module.FileName;
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            // Cannot tell; the switch goes ahead as if nothing were loaded.
        }

        return null;
    }
}
