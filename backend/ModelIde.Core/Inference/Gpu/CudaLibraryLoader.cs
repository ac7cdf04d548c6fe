using System.Runtime.InteropServices;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>What loading the found libraries did: the ones now in the process and the ones that failed, with why.</summary>
public sealed record CudaLoadResult(IReadOnlyList<string> Loaded, IReadOnlyList<(string FileName, string Error)> Failed)
{
    public bool AllLoaded => Failed.Count == 0;
}

/// <summary>
/// Loads the CUDA libraries by full path before ONNX Runtime's CUDA provider is opened. The dynamic loader matches a
/// NEEDED name (libcublasLt.so.13) against the sonames already loaded, so loading dependencies first makes the
/// provider find them in folders the loader would never search (a wheel's lib folder, a conda env). Libraries stay
/// loaded for the life of the process, as the provider expects.
/// </summary>
public static class CudaLibraryLoader
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, IntPtr> LoadedByPath = new(StringComparer.Ordinal);

    public static CudaLoadResult Load(IReadOnlyList<CudaLibraryHit> libraries)
    {
        lock (Gate)
        {
            // The listed order puts dependencies first; a library whose dependency comes later in a folder
            // listing (cuDNN's parts) gets another pass once the others are in.
            var pending = libraries.Where(l => !LoadedByPath.ContainsKey(l.Path)).ToList();
            var errors = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var progress = true;
            while (pending.Count > 0 && progress)
            {
                progress = false;
                foreach (var lib in pending.ToArray())
                {
                    try
                    {
                        LoadedByPath[lib.Path] = NativeLibrary.Load(lib.Path);
                        pending.Remove(lib);
                        errors.Remove(lib.FileName);
                        progress = true;
                    }
                    catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
                    {
                        errors[lib.FileName] = e.Message;
                    }
                }
            }

            return new CudaLoadResult(
                libraries.Where(l => LoadedByPath.ContainsKey(l.Path)).Select(l => l.FileName).ToArray(),
                pending.Select(l => (l.FileName, errors.GetValueOrDefault(l.FileName, "not loaded"))).ToArray());
        }
    }
}
