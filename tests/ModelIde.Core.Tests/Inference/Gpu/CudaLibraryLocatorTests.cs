using System.Diagnostics;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Tests.Inference.Gpu;

/// <summary>Every discovery source, each on a fabricated tree: the libraries are found there and the source is named.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CudaLibraryLocatorTests : IDisposable
{
    private static readonly string[] Toolkit = ["libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10", "libcudnn.so.9"];
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-cuda-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Root => Path.Combine(_dir, "root");

    private string Home => Path.Combine(_dir, "home");

    /// <summary>Empty files with the libraries' names: discovery looks at names, loading is tested apart.</summary>
    private static string Files(string folder, params string[] names)
    {
        Directory.CreateDirectory(folder);
        foreach (var n in names.Length == 0 ? Toolkit : names)
        {
            File.WriteAllText(Path.Combine(folder, n), "");
        }

        return folder;
    }

    private CudaSearchContext Context(Dictionary<string, string>? env = null, string? setting = null, bool windows = false) =>
        new(Root, env ?? new Dictionary<string, string>(), Home, setting, windows, TimeSpan.FromSeconds(10))
        {
            AskPython = (python, _) => throw new InvalidOperationException($"no Python expected here ({python})"),
        };

    private static void AssertFoundIn(CudaLibraryScan scan, string folder, string source, params string[] names)
    {
        foreach (var n in names.Length == 0 ? Toolkit : names)
        {
            var hit = Assert.Single(scan.Found, h => h.FileName == n);
            Assert.Equal(Path.Combine(folder, n), hit.Path);
            Assert.Equal(source, hit.Source);
        }
    }

    [Fact]
    public void Nothing_anywhere_lists_every_library_as_missing()
    {
        var scan = CudaLibraryLocator.Locate(Context());
        Assert.Empty(scan.Found);
        Assert.Equal(CudaLibraries.Linux.Select(l => l.FileName), scan.Missing.Select(m => m.FileName));
        Assert.False(scan.Complete);
        Assert.True(scan.DriverLibraryMissing);
    }

    [Fact]
    public void The_setting_is_searched_as_a_toolkit_a_lib_folder_or_a_site_packages_folder()
    {
        var toolkit = Path.Combine(_dir, "my-cuda");
        Files(Path.Combine(toolkit, "lib64"), "libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10");
        Files(Path.Combine(toolkit, "nvidia", "cudnn", "lib"), "libcudnn.so.9");
        var scan = CudaLibraryLocator.Locate(Context(setting: toolkit));
        AssertFoundIn(scan, Path.Combine(toolkit, "lib64"), CudaLibraryLocator.SettingName, "libcudart.so.13", "libcublas.so.13");
        AssertFoundIn(scan, Path.Combine(toolkit, "nvidia", "cudnn", "lib"), CudaLibraryLocator.SettingName, "libcudnn.so.9");
    }

    [Fact]
    public void The_setting_wins_over_ld_library_path_and_a_bad_setting_is_a_note()
    {
        var mine = Files(Path.Combine(_dir, "mine"));
        var other = Files(Path.Combine(_dir, "other"));
        var env = new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = other };
        AssertFoundIn(CudaLibraryLocator.Locate(Context(env, setting: mine)), mine, CudaLibraryLocator.SettingName);

        var scan = CudaLibraryLocator.Locate(Context(env, setting: Path.Combine(_dir, "typo")));
        AssertFoundIn(scan, other, "LD_LIBRARY_PATH");
        Assert.Contains(scan.Notes, n => n.Contains("is not a folder", StringComparison.Ordinal));
    }

    [Fact]
    public void Ld_library_path_folders_are_searched_in_order()
    {
        var first = Files(Path.Combine(_dir, "a"), "libcublas.so.13");
        var second = Files(Path.Combine(_dir, "b"));
        var scan = CudaLibraryLocator.Locate(Context(new() { ["LD_LIBRARY_PATH"] = $"{first}:{Path.Combine(_dir, "missing")}:{second}" }));
        AssertFoundIn(scan, first, "LD_LIBRARY_PATH", "libcublas.so.13");
        AssertFoundIn(scan, second, "LD_LIBRARY_PATH", "libcudart.so.13", "libcudnn.so.9");
    }

    [Fact]
    public void The_loader_cache_written_by_ldconfig_is_read()
    {
        // Real ELF stubs, then the real ldconfig writes a cache of them into the fabricated root.
        var libs = NativeStubs.CudaSet(Path.Combine(Root, "opt", "vendor", "lib"));
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
        File.WriteAllText(Path.Combine(Root, "etc", "ld.so.conf"), "/opt/vendor/lib\n");
        Run("ldconfig", "-r", Root, "-C", "/etc/ld.so.cache", "-f", "/etc/ld.so.conf");
        // The conf folder would also find them; hide it so only the cache can.
        File.WriteAllText(Path.Combine(Root, "etc", "ld.so.conf"), "");

        var scan = CudaLibraryLocator.Locate(Context());
        AssertFoundIn(scan, libs, "the system library path");
        AssertFoundIn(scan, libs, "the system library path", "libcuda.so.1");
    }

    [Fact]
    public void Folders_from_ld_so_conf_and_its_includes_are_searched()
    {
        Files(Path.Combine(Root, "opt", "cuda13", "lib"));
        Directory.CreateDirectory(Path.Combine(Root, "etc", "ld.so.conf.d"));
        File.WriteAllText(Path.Combine(Root, "etc", "ld.so.conf"), "# comment\ninclude /etc/ld.so.conf.d/*.conf\n");
        File.WriteAllText(Path.Combine(Root, "etc", "ld.so.conf.d", "cuda.conf"), "/opt/cuda13/lib  # added by the installer\n");
        AssertFoundIn(CudaLibraryLocator.Locate(Context()), Path.Combine(Root, "opt", "cuda13", "lib"), "the system library path");
    }

    [Fact]
    public void The_real_loader_cache_matches_ldconfig_p()
    {
        // Oracle: glibc's own listing of /etc/ld.so.cache.
        var parsed = LinuxLoaderPath.ReadCache("/etc/ld.so.cache");
        var listing = Run("ldconfig", "-p");
        var expected = listing.Split('\n').Skip(1)
            .Select(l => l.Trim()).Where(l => l.Contains("x86-64", StringComparison.Ordinal) && l.Contains(" => ", StringComparison.Ordinal))
            .Select(l => (Name: l[..l.IndexOf(' ')], Path: l[(l.IndexOf(" => ", StringComparison.Ordinal) + 4)..]))
            .GroupBy(e => e.Name).Select(g => g.First()).ToArray();
        Assert.True(expected.Length > 20, listing);
        foreach (var (name, path) in expected)
        {
            Assert.True(parsed.TryGetValue(name, out var actual), $"{name} missing from the parsed cache");
            Assert.Equal(path, actual);
        }

        Assert.Equal(expected.Length, parsed.Count);
    }

    [Theory]
    [InlineData("CUDA_PATH", "lib64")]
    [InlineData("CUDA_HOME", "lib")]
    [InlineData("CUDA_HOME", "targets/x86_64-linux/lib")]
    public void Cuda_path_and_cuda_home_are_toolkit_roots(string variable, string sub)
    {
        var toolkit = Path.Combine(_dir, "toolkit");
        var lib = Files(Path.Combine(toolkit, sub));
        AssertFoundIn(CudaLibraryLocator.Locate(Context(new() { [variable] = toolkit })), lib, variable);
    }

    [Fact]
    public void Usr_local_cuda_and_versioned_toolkits_are_found_newest_first()
    {
        var older = Files(Path.Combine(Root, "usr", "local", "cuda-13.0", "lib64"));
        var newer = Files(Path.Combine(Root, "usr", "local", "cuda-13.1", "targets", "x86_64-linux", "lib"));
        var scan = CudaLibraryLocator.Locate(Context());
        AssertFoundIn(scan, newer, "a CUDA toolkit");
        Assert.DoesNotContain(scan.Found, h => h.Path.StartsWith(older, StringComparison.Ordinal));

        var symlinked = Files(Path.Combine(Root, "usr", "local", "cuda", "lib64"), "libcudart.so.13");
        AssertFoundIn(CudaLibraryLocator.Locate(Context()), symlinked, "a CUDA toolkit", "libcudart.so.13");
    }

    [Fact]
    public void The_active_conda_environment_and_named_ones_are_searched()
    {
        var active = Files(Path.Combine(_dir, "conda-active", "lib"), "libcudart.so.13");
        var named = Files(Path.Combine(Home, "miniconda3", "envs", "torch", "lib"), "libcublasLt.so.13", "libcublas.so.13");
        var wheels = Files(Path.Combine(Home, "anaconda3", "envs", "llm", "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib"), "libcurand.so.10");
        var cudnn = Files(Path.Combine(Home, "miniforge3", "lib", "python3.11", "site-packages", "nvidia", "cudnn", "lib"), "libcudnn.so.9");
        var scan = CudaLibraryLocator.Locate(Context(new() { ["CONDA_PREFIX"] = Path.Combine(_dir, "conda-active") }));
        AssertFoundIn(scan, active, "a conda environment", "libcudart.so.13");
        AssertFoundIn(scan, named, "a conda environment", "libcublasLt.so.13", "libcublas.so.13");
        AssertFoundIn(scan, wheels, "a conda environment", "libcurand.so.10");
        AssertFoundIn(scan, cudnn, "a conda environment", "libcudnn.so.9");
    }

    [Fact]
    public void The_active_virtual_environment_wheels_are_searched_without_starting_python()
    {
        var venv = Path.Combine(_dir, "venv");
        var cu13 = Files(Path.Combine(venv, "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib"), "libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10");
        var cudnn = Files(Path.Combine(venv, "lib", "python3.12", "site-packages", "nvidia", "cudnn", "lib"), "libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9");
        var scan = CudaLibraryLocator.Locate(Context(new() { ["VIRTUAL_ENV"] = venv }));
        AssertFoundIn(scan, cu13, "a Python environment", "libcudart.so.13", "libcublas.so.13");
        AssertFoundIn(scan, cudnn, "a Python environment", "libcudnn.so.9");
        // cuDNN's parts come right before libcudnn.so.9 so they are loaded first.
        var names = scan.Found.Select(h => h.FileName).ToList();
        Assert.Equal(["libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn.so.9"], names.Skip(names.IndexOf("libcudnn_graph.so.9")).Take(3));
        Assert.True(scan.Complete is false, "libcuda.so.1 comes from the driver only");
    }

    [Fact]
    public void Python_on_path_is_asked_for_its_site_packages()
    {
        var sitePackages = Path.Combine(_dir, "py", "site-packages");
        var wheels = Files(Path.Combine(sitePackages, "nvidia", "cublas", "lib"), "libcublasLt.so.13", "libcublas.so.13");
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        // A stand-in python3 that answers like site.getsitepackages() would, then a user site that does not exist.
        WriteScript(Path.Combine(bin, "python3"), $"#!/bin/sh\n[ \"$1\" = -c ] || exit 3\necho '{sitePackages}'\necho '{_dir}/nope'\n");
        var context = Context(new() { ["PATH"] = $"{Path.Combine(_dir, "empty")}:{bin}" });
        context = context with { AskPython = (python, timeout) => (PythonSitePackages.Ask(python, timeout, out var note), note) };

        var scan = CudaLibraryLocator.Locate(context);
        AssertFoundIn(scan, wheels, "a Python environment", "libcublasLt.so.13", "libcublas.so.13");
        Assert.Empty(scan.Notes);
    }

    [Fact]
    public void A_python_that_hangs_or_fails_is_a_note_and_the_scan_goes_on()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        var other = Directory.CreateDirectory(Path.Combine(_dir, "bin2")).FullName;
        WriteScript(Path.Combine(bin, "python3"), "#!/bin/sh\nexec sleep 30\n");
        WriteScript(Path.Combine(other, "python"), "#!/bin/sh\necho 'ModuleNotFoundError: site' >&2\nexit 1\n");
        var lib = Files(Path.Combine(_dir, "ld"));
        var context = Context(new() { ["PATH"] = $"{bin}:{other}", ["LD_LIBRARY_PATH"] = lib }) with
        {
            PythonTimeout = TimeSpan.FromMilliseconds(500),
        };
        context = context with { AskPython = (python, timeout) => (PythonSitePackages.Ask(python, timeout, out var note), note) };

        var started = Stopwatch.StartNew();
        var scan = CudaLibraryLocator.Locate(context);
        AssertFoundIn(scan, lib, "LD_LIBRARY_PATH", "libcudart.so.13");
        // Python is asked only while something is missing (libcuda.so.1 here).
        Assert.Contains(scan.Notes, n => n.Contains("did not answer within 0.5 s", StringComparison.Ordinal));
        Assert.Contains(scan.Notes, n => n.Contains("failed (exit 1: ModuleNotFoundError: site)", StringComparison.Ordinal));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the hanging python was not cut off ({started.Elapsed})");
    }

    [Fact]
    public void Windows_layout_uses_dll_names_bin_folders_and_ignores_case()
    {
        var toolkit = Path.Combine(_dir, "CUDA", "v13.0");
        var bin = Files(Path.Combine(toolkit, "bin", "x64"), "CUBLASLT64_13.DLL", "cublas64_13.dll");
        var venv = Path.Combine(_dir, "venv");
        var cudnn = Files(Path.Combine(venv, "Lib", "site-packages", "nvidia", "cudnn", "bin"), "cudnn64_9.dll", "cudnn_graph64_9.dll");
        var scan = CudaLibraryLocator.Locate(Context(new() { ["CUDA_PATH"] = toolkit, ["VIRTUAL_ENV"] = venv }, windows: true));

        Assert.Equal(Path.Combine(bin, "CUBLASLT64_13.DLL"), Assert.Single(scan.Found, h => h.FileName == "cublasLt64_13.dll").Path);
        AssertFoundIn(scan, bin, "CUDA_PATH", "cublas64_13.dll");
        AssertFoundIn(scan, cudnn, "a Python environment", "cudnn64_9.dll", "cudnn_graph64_9.dll");
        Assert.Equal(["nvcuda.dll"], scan.Missing.Select(m => m.FileName));
    }

    private static void WriteScript(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
        return output;
    }
}
