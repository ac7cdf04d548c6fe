namespace ModelIde.Core.Inference.Gpu;

/// <summary>A CUDA library found on disk and the place (source) it came from, in words a user recognises.</summary>
public sealed record CudaLibraryHit(string FileName, string Path, string Source);

/// <summary>What was found, what is missing, and what could not be asked (a Python that did not answer).</summary>
public sealed record CudaLibraryScan(IReadOnlyList<CudaLibraryHit> Found, IReadOnlyList<CudaLibrary> Missing, IReadOnlyList<string> Notes)
{
    /// <summary>Every required library was found (optional ones may still be missing).</summary>
    public bool Complete => Missing.All(m => !m.Required);

    public bool DriverLibraryMissing => Missing.Any(m => m.FromDriver);
}

/// <summary>
/// Where to look. <see cref="Root"/> prefixes every fixed absolute path (/usr/local/cuda, /etc/ld.so.cache); paths read
/// from the environment are used as they are. Tests build a fabricated tree and environment; the real one is
/// <see cref="ForThisMachine"/>.
/// </summary>
public sealed record CudaSearchContext(
    string Root,
    IReadOnlyDictionary<string, string> Environment,
    string? HomeDirectory,
    string? ConfiguredCudaPath,
    bool Windows,
    TimeSpan PythonTimeout)
{
    /// <summary>The interpreter probe; replaced in tests that must not start processes.</summary>
    public Func<string, TimeSpan, (IReadOnlyList<string>? Folders, string? Note)> AskPython { get; init; } =
        (interpreter, timeout) => (PythonSitePackages.Ask(interpreter, timeout, out var note), note);

    public static CudaSearchContext ForThisMachine(string? configuredCudaPath)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = e.Value as string ?? "";
        }

        var home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        return new CudaSearchContext(OperatingSystem.IsWindows() ? "" : "/", env, string.IsNullOrEmpty(home) ? null : home,
            string.IsNullOrWhiteSpace(configuredCudaPath) ? null : configuredCudaPath, OperatingSystem.IsWindows(), TimeSpan.FromSeconds(5));
    }

    public string? Env(string name) => Environment.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}

/// <summary>
/// Finds the CUDA 13 / cuDNN 9 libraries the CUDA provider needs, from (in this order) the user's
/// <c>modelscope.inference.cudaPath</c>, LD_LIBRARY_PATH (PATH on Windows), the system loader's cache, CUDA_PATH and
/// CUDA_HOME, /usr/local/cuda*, conda environments, and the nvidia-* wheels of the Python environments on this machine.
/// The first hit per library wins, so a setting always beats what the system has.
/// </summary>
public static class CudaLibraryLocator
{
    public const string SettingName = "modelscope.inference.cudaPath";

    public static CudaLibraryScan Locate(CudaSearchContext context)
    {
        var wanted = CudaLibraries.For(context.Windows);
        var found = new Dictionary<string, CudaLibraryHit>(StringComparer.OrdinalIgnoreCase);
        var notes = new List<string>();
        var comparison = context.Windows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

        foreach (var (source, folders) in Sources(context, notes))
        {
            // Optional libraries do not keep the search (and a Python interpreter) going.
            if (wanted.All(w => !w.Required || found.ContainsKey(w.FileName)))
            {
                break;
            }

            foreach (var folder in folders)
            {
                foreach (var lib in wanted)
                {
                    if (found.ContainsKey(lib.FileName) || (lib.FromDriver && source == SourceNames.Setting))
                    {
                        continue;
                    }

                    var path = folder.Cache is { } cache
                        ? (cache.TryGetValue(lib.FileName, out var cached) && File.Exists(LinuxLoaderPath.Under(context.Root, cached)) ? LinuxLoaderPath.Under(context.Root, cached) : null)
                        : ExistingFile(folder.Directory!, lib.FileName, comparison);
                    if (path is not null)
                    {
                        found[lib.FileName] = new CudaLibraryHit(lib.FileName, path, source);
                    }
                }
            }
        }

        var hits = wanted.Where(w => found.ContainsKey(w.FileName)).Select(w => found[w.FileName]).ToList();
        var cudnn = hits.FirstOrDefault(h => h.FileName.Equals(context.Windows ? "cudnn64_9.dll" : "libcudnn.so.9", StringComparison.OrdinalIgnoreCase));
        if (cudnn is not null)
        {
            // Its parts are opened by name from the same folder; list them so they are loaded before it.
            var dir = Path.GetDirectoryName(cudnn.Path)!;
            var parts = SafeFiles(dir).Where(f => CudaLibraries.IsCudnnPart(Path.GetFileName(f), context.Windows)).Order(StringComparer.Ordinal);
            hits.InsertRange(hits.IndexOf(cudnn), parts.Select(p => new CudaLibraryHit(Path.GetFileName(p), p, cudnn.Source)));
        }

        return new CudaLibraryScan(hits, wanted.Where(w => !found.ContainsKey(w.FileName)).ToArray(), notes);
    }

    /// <summary>Names of the sources, as they appear in explanations.</summary>
    public static class SourceNames
    {
        public const string Setting = SettingName;
        public const string LibraryPath = "LD_LIBRARY_PATH";
        public const string WindowsPath = "PATH";
        public const string LoaderCache = "the system library path";
        public const string CudaPath = "CUDA_PATH";
        public const string CudaHome = "CUDA_HOME";
        public const string CudaToolkit = "a CUDA toolkit";
        public const string Conda = "a conda environment";
        public const string Python = "a Python environment";
    }

    private sealed record Folder(string? Directory, IReadOnlyDictionary<string, string>? Cache);

    private static IEnumerable<(string Source, IEnumerable<Folder> Folders)> Sources(CudaSearchContext c, List<string> notes)
    {
        if (c.ConfiguredCudaPath is { } configured)
        {
            if (!Directory.Exists(configured))
            {
                notes.Add($"{SettingName} \"{configured}\" is not a folder");
            }
            else
            {
                // The toolkit root, a lib folder, or a site-packages folder with nvidia wheels: all work.
                yield return (SourceNames.Setting, Dirs(new[] { configured }.Concat(ToolkitFolders(configured, c.Windows)).Concat(WheelFolders(configured, c.Windows))));
            }
        }

        var pathVariable = c.Windows ? c.Env("PATH") : c.Env("LD_LIBRARY_PATH");
        if (pathVariable is not null)
        {
            yield return (c.Windows ? SourceNames.WindowsPath : SourceNames.LibraryPath, Dirs(pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)));
        }

        if (!c.Windows)
        {
            var cache = LinuxLoaderPath.ReadCache(LinuxLoaderPath.Under(c.Root, "/etc/ld.so.cache"));
            var conf = LinuxLoaderPath.ReadConfigFolders(LinuxLoaderPath.Under(c.Root, "/etc/ld.so.conf"), c.Root);
            string[] trusted = ["/usr/lib/wsl/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"];
            yield return (SourceNames.LoaderCache, new[] { new Folder(null, cache) }.Concat(Dirs(conf.Concat(trusted.Select(t => LinuxLoaderPath.Under(c.Root, t))))));
        }

        foreach (var (name, variable) in new[] { (SourceNames.CudaPath, "CUDA_PATH"), (SourceNames.CudaHome, "CUDA_HOME") })
        {
            if (c.Env(variable) is { } toolkit)
            {
                yield return (name, Dirs(ToolkitFolders(toolkit, c.Windows)));
            }
        }

        yield return (SourceNames.CudaToolkit, Dirs(InstalledToolkits(c).SelectMany(t => ToolkitFolders(t, c.Windows))));
        yield return (SourceNames.Conda, Dirs(CondaEnvironments(c).SelectMany(env => CondaFolders(env, c.Windows))));
        yield return (SourceNames.Python, Dirs(PythonFolders(c, notes)));
    }

    private static IEnumerable<Folder> Dirs(IEnumerable<string> folders) =>
        folders.Distinct(StringComparer.Ordinal).Where(Directory.Exists).Select(d => new Folder(d, null));

    private static IEnumerable<string> ToolkitFolders(string root, bool windows) => windows
        ? [Path.Combine(root, "bin", "x64"), Path.Combine(root, "bin")]
        : [Path.Combine(root, "lib64"), Path.Combine(root, "lib"), Path.Combine(root, "targets", "x86_64-linux", "lib"), Path.Combine(root, "targets", "sbsa-linux", "lib")];

    private static IEnumerable<string> InstalledToolkits(CudaSearchContext c)
    {
        if (c.Windows)
        {
            var programFiles = c.Env("ProgramFiles") ?? @"C:\Program Files";
            var toolkits = Path.Combine(programFiles, "NVIDIA GPU Computing Toolkit", "CUDA");
            foreach (var v in SafeDirectories(toolkits, "v13*").OrderDescending(StringComparer.Ordinal))
            {
                yield return v;
            }

            // The cuDNN installer puts bin\<cuda major>.<minor>\x64 under NVIDIA\CUDNN\v9.x.
            foreach (var v in SafeDirectories(Path.Combine(programFiles, "NVIDIA", "CUDNN"), "v9*").OrderDescending(StringComparer.Ordinal))
            {
                foreach (var cuda in SafeDirectories(Path.Combine(v, "bin"), "13*").OrderDescending(StringComparer.Ordinal))
                {
                    yield return Path.Combine(cuda, "..", "..");
                    yield return cuda;
                }
            }

            yield break;
        }

        yield return LinuxLoaderPath.Under(c.Root, "/usr/local/cuda");
        var local = LinuxLoaderPath.Under(c.Root, "/usr/local");
        foreach (var v in SafeDirectories(local, "cuda-13*").OrderDescending(StringComparer.Ordinal))
        {
            yield return v;
        }

        yield return LinuxLoaderPath.Under(c.Root, "/opt/cuda");
    }

    private static IEnumerable<string> CondaEnvironments(CudaSearchContext c)
    {
        if (c.Env("CONDA_PREFIX") is { } active)
        {
            yield return active;
        }

        if (c.HomeDirectory is null)
        {
            yield break;
        }

        foreach (var distribution in new[] { "miniconda3", "anaconda3", "miniforge3", "mambaforge", ".conda" })
        {
            var root = Path.Combine(c.HomeDirectory, distribution);
            foreach (var env in SafeDirectories(Path.Combine(root, "envs"), "*").Order(StringComparer.Ordinal))
            {
                yield return env;
            }

            yield return root;
        }
    }

    private static IEnumerable<string> CondaFolders(string env, bool windows)
    {
        // conda's own cuda packages, then pip wheels installed into the environment.
        if (windows)
        {
            yield return Path.Combine(env, "Library", "bin");
            foreach (var w in WheelFolders(Path.Combine(env, "Lib", "site-packages"), windows))
            {
                yield return w;
            }

            yield break;
        }

        yield return Path.Combine(env, "lib");
        foreach (var python in SafeDirectories(Path.Combine(env, "lib"), "python3*").Order(StringComparer.Ordinal))
        {
            foreach (var w in WheelFolders(Path.Combine(python, "site-packages"), windows))
            {
                yield return w;
            }
        }
    }

    private static IEnumerable<string> PythonFolders(CudaSearchContext c, List<string> notes)
    {
        // The active virtual environment first (no interpreter needed), then each python3/python on PATH, asked.
        if (c.Env("VIRTUAL_ENV") is { } venv)
        {
            var sitePackages = c.Windows
                ? new[] { Path.Combine(venv, "Lib", "site-packages") }
                : SafeDirectories(Path.Combine(venv, "lib"), "python3*").Order(StringComparer.Ordinal).Select(p => Path.Combine(p, "site-packages"));
            foreach (var sp in sitePackages)
            {
                foreach (var w in WheelFolders(sp, c.Windows))
                {
                    yield return w;
                }
            }
        }

        foreach (var interpreter in PythonSitePackages.OnPath(c.Env("PATH"), c.Windows))
        {
            var (folders, note) = c.AskPython(interpreter, c.PythonTimeout);
            if (note is not null)
            {
                notes.Add(note);
            }

            foreach (var sp in folders ?? [])
            {
                foreach (var w in WheelFolders(sp, c.Windows))
                {
                    yield return w;
                }
            }
        }
    }

    /// <summary>site-packages/nvidia/*/lib (CUDA 12 wheels: nvidia/cublas/lib; CUDA 13 wheels: nvidia/cu13/lib).</summary>
    private static IEnumerable<string> WheelFolders(string sitePackages, bool windows) =>
        SafeDirectories(Path.Combine(sitePackages, "nvidia"), "*").Order(StringComparer.Ordinal).Select(d => Path.Combine(d, windows ? "bin" : "lib"));

    private static string? ExistingFile(string folder, string name, StringComparison comparison)
    {
        var exact = Path.Combine(folder, name);
        if (File.Exists(exact))
        {
            return exact;
        }

        return comparison == StringComparison.OrdinalIgnoreCase
            ? SafeFiles(folder).FirstOrDefault(f => string.Equals(Path.GetFileName(f), name, comparison))
            : null;
    }

    private static IEnumerable<string> SafeDirectories(string folder, string pattern)
    {
        try
        {
            return Directory.Exists(folder) ? Directory.GetDirectories(folder, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static IEnumerable<string> SafeFiles(string folder)
    {
        try
        {
            return Directory.Exists(folder) ? Directory.GetFiles(folder) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
