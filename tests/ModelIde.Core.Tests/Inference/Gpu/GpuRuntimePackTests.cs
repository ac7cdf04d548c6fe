using System.IO.Compression;
using System.Security.Cryptography;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Tests.Inference.Gpu;

/// <summary>The GPU runtime pack against a loopback NuGet feed that serves Microsoft's real packages.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class GpuRuntimePackTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-pack-").FullName;
    private readonly LoopbackNuGetFeed _feed = new();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _feed.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private GpuRuntimePackStore Store => new(Path.Combine(_dir, "runtimes"));

    [Theory]
    [InlineData("linux")]
    [InlineData("windows")]
    public void The_pins_match_the_packages_nuget_restored(string platform)
    {
        var spec = platform == "linux" ? GpuRuntimePackSpec.LinuxX64 : GpuRuntimePackSpec.WindowsX64;
        var nupkg = LoopbackNuGetFeed.RestoredPackage(spec.PackageId, spec.Version);
        Assert.Equal(spec.PackageSize, new FileInfo(nupkg).Length);
        // NuGet writes its own SHA-512 of the package beside it: the oracle for ours.
        Assert.Equal(File.ReadAllText(nupkg + ".sha512").Trim(), spec.PackageSha512Base64);
        using (var s = File.OpenRead(nupkg))
        {
            Assert.Equal(spec.PackageSha256, Convert.ToHexStringLower(SHA256.HashData(s)));
        }

        using var zip = ZipFile.OpenRead(nupkg);
        foreach (var f in spec.Files)
        {
            var entry = zip.GetEntry(f.EntryName);
            Assert.NotNull(entry);
            Assert.Equal(f.Size, entry.Length);
            using var e = entry.Open();
            Assert.Equal(f.Sha256, Convert.ToHexStringLower(SHA256.HashData(e)));
        }
    }

    [Fact]
    public async Task Install_verify_reinstall_repair_and_remove_leave_nothing_behind()
    {
        var spec = GpuRuntimePackSpec.LinuxX64;
        var installer = new GpuRuntimePackInstaller(_http, Store);
        var reports = new List<GpuRuntimePackProgress>();

        var first = await installer.InstallAsync(spec, _feed.ServiceIndex, new SyncProgress(reports), CancellationToken.None);
        Assert.False(first.AlreadyInstalled);
        Assert.Equal(spec.PackageSize, first.DownloadedBytes);
        Assert.Equal(spec.PackageSize, reports[^1].Bytes);
        Assert.Equal(1, _feed.PackageRequests);
        Assert.Equal(Store.FolderFor(spec), first.Folder);
        Assert.Equal(["libonnxruntime.so", "libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so", "manifest.json"],
            Directory.GetFiles(first.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.GetUnixFileMode(Path.Combine(first.Folder, "libonnxruntime.so")).HasFlag(UnixFileMode.UserExecute));
        // No download or staging folder left beside the pack.
        Assert.Equal([first.Folder], Directory.GetFileSystemEntries(Store.Root));
        var status = Store.Status(spec);
        Assert.True(status.Installed, status.Problem);
        Assert.Equal(spec.InstalledSize, status.Bytes - new FileInfo(Path.Combine(first.Folder, "manifest.json")).Length);

        var second = await installer.InstallAsync(spec, _feed.ServiceIndex, null, CancellationToken.None);
        Assert.True(second.AlreadyInstalled);
        Assert.Equal(1, _feed.PackageRequests);

        // A damaged file (same size) is caught by the hash check, and install repairs it.
        await using (var f = new FileStream(Path.Combine(first.Folder, "libonnxruntime.so"), FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 1_000_000;
            var b = f.ReadByte();
            f.Position = 1_000_000;
            f.WriteByte((byte)(b ^ 0xff));
        }

        Assert.Null(Store.Verify(spec, PackVerification.Sizes));
        Assert.Contains("does not match its SHA-256", Store.Verify(spec, PackVerification.Hashes), StringComparison.Ordinal);
        var repaired = await installer.InstallAsync(spec, _feed.ServiceIndex, null, CancellationToken.None);
        Assert.False(repaired.AlreadyInstalled);
        Assert.Null(Store.Verify(spec, PackVerification.Hashes));
        Assert.Equal([first.Folder], Directory.GetFileSystemEntries(Store.Root));

        // Within a process a file is hashed once while its size and write time stay (the sidecar loads model after model;
        // the CUDA provider is 284 MB): a same-size change that also puts the write time back is not read again, and
        // any change that moves the write time is.
        var library = Path.Combine(first.Folder, "libonnxruntime.so");
        var written = File.GetLastWriteTimeUtc(library);
        await using (var f = new FileStream(library, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 2_000_000;
            var b = f.ReadByte();
            f.Position = 2_000_000;
            f.WriteByte((byte)(b ^ 0xff));
        }

        File.SetLastWriteTimeUtc(library, written);
        Assert.Null(Store.Verify(spec, PackVerification.Hashes));
        File.SetLastWriteTimeUtc(library, written.AddSeconds(1));
        Assert.Contains("does not match its SHA-256", Store.Verify(spec, PackVerification.Hashes), StringComparison.Ordinal);

        var freed = Store.Remove(spec);
        Assert.True(freed > spec.InstalledSize, $"{freed}");
        Assert.False(Directory.Exists(Store.Root));
        Assert.False(Store.Status(spec).Installed);
    }

    [Fact]
    public async Task A_tampered_package_is_refused_and_nothing_is_installed()
    {
        var spec = GpuRuntimePackSpec.LinuxX64;
        _feed.FlipByteAt = 123_456_789;
        var installer = new GpuRuntimePackInstaller(_http, Store);
        var e = await Assert.ThrowsAsync<ModelIdeException>(() => installer.InstallAsync(spec, _feed.ServiceIndex, null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.IntegrityFailure, e.Kind);
        Assert.Contains("Refused the Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 package", e.Message, StringComparison.Ordinal);
        Assert.Contains($"expected {spec.PackageSha256}", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Store.Root));
        Assert.Equal("the GPU runtime pack is not installed", Store.Verify(spec, PackVerification.Sizes));
    }

    [Fact]
    public async Task A_flat_container_url_works_and_a_missing_version_is_not_found()
    {
        var missing = GpuRuntimePackSpec.LinuxX64 with { Version = "9.9.9" };
        var installer = new GpuRuntimePackInstaller(_http, Store);
        var e = await Assert.ThrowsAsync<ModelIdeException>(() => installer.InstallAsync(missing, _feed.BaseUri.AbsoluteUri + "v3-flatcontainer", null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.NotFound, e.Kind);
        Assert.Contains("/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/9.9.9/microsoft.ml.onnxruntime.gpu.linux.9.9.9.nupkg answered 404", e.Message, StringComparison.Ordinal);

        var bad = await Assert.ThrowsAsync<ModelIdeException>(() => installer.InstallAsync(missing, "ftp://mirror.example/v3/", null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, bad.Kind);
    }

    [Fact]
    public async Task An_offline_install_from_a_copied_nupkg_is_checked_like_a_download()
    {
        var spec = GpuRuntimePackSpec.LinuxX64;
        var installer = new GpuRuntimePackInstaller(_http, Store);
        // The NuGet cache folder holds <id>.<version>.nupkg, as a folder a user copied the package into would.
        var folder = Path.GetDirectoryName(LoopbackNuGetFeed.RestoredPackage(spec.PackageId, spec.Version))!;
        var result = await installer.InstallAsync(spec, folder, null, CancellationToken.None);
        Assert.False(result.AlreadyInstalled);
        Assert.Null(Store.Verify(spec, PackVerification.Sizes));
        Assert.Equal(0, _feed.PackageRequests);

        var notThere = await Assert.ThrowsAsync<ModelIdeException>(() => installer.InstallAsync(spec with { Version = "9.9.9" }, folder, null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.NotFound, notThere.Kind);
        var wrongFile = await Assert.ThrowsAsync<ModelIdeException>(() => installer.InstallAsync(spec with { Version = "9.9.9" }, "/etc/hostname", null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.IntegrityFailure, wrongFile.Kind);
        Store.Remove(spec);
    }

    [Fact]
    public void Extraction_never_writes_outside_its_folder()
    {
        var spec = GpuRuntimePackSpec.LinuxX64;
        var nupkg = LoopbackNuGetFeed.RestoredPackage(spec.PackageId, spec.Version);
        var hostile = spec with { Files = [spec.Files[1] with { FileName = "../escaped.so" }] };
        var staging = Path.Combine(_dir, "staging");
        var e = Assert.Throws<ModelIdeException>(() => GpuRuntimePackInstaller.Extract(hostile, nupkg, staging));
        Assert.Equal(ModelIdeErrorKind.UnsafeInput, e.Kind);
        Assert.False(File.Exists(Path.Combine(_dir, "escaped.so")));
    }

    [Fact]
    public void The_source_is_the_option_then_the_environment_then_nuget_org()
    {
        Assert.Equal("https://api.nuget.org/v3/index.json", GpuRuntimePackInstaller.ResolveSource(null, null));
        Assert.Equal("https://api.nuget.org/v3/index.json", GpuRuntimePackInstaller.ResolveSource("  ", ""));
        Assert.Equal("https://mirror.example/v3/index.json", GpuRuntimePackInstaller.ResolveSource(null, " https://mirror.example/v3/index.json "));
        Assert.Equal("/media/usb/packages", GpuRuntimePackInstaller.ResolveSource("/media/usb/packages", "https://mirror.example/v3/index.json"));
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; the test wants every report in order.</summary>
    private sealed class SyncProgress(List<GpuRuntimePackProgress> into) : IProgress<GpuRuntimePackProgress>
    {
        public void Report(GpuRuntimePackProgress value) => into.Add(value);
    }
}
