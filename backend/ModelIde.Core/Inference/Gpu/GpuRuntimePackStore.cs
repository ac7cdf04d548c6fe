using System.Security.Cryptography;
using System.Text.Json;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>The state of the pack on disk, in words a user can act on.</summary>
public sealed record GpuRuntimePackStatus(bool Installed, string Folder, string PackageId, string Version, long Bytes, string? Problem);

/// <summary>How hard <see cref="GpuRuntimePackStore.Verify"/> looks: sizes and manifest only, or every file's SHA-256.</summary>
public enum PackVerification { Sizes, Hashes }

/// <summary>
/// Where GPU runtime packs live: ~/.modelide/runtimes (or MODELIDE_RUNTIMES_DIR), outside any extension folder, so a
/// pack installed once serves the CLI and every version of the extension and survives their updates.
/// </summary>
public sealed class GpuRuntimePackStore(string root)
{
    public const string RootVariable = "MODELIDE_RUNTIMES_DIR";
    internal const string ManifestName = "manifest.json";

    /// <summary>What <see cref="Verify"/> says when there is no pack at all (a state, not damage).</summary>
    public const string NotInstalled = "the GPU runtime pack is not installed";

    public string Root { get; } = Path.GetFullPath(root);

    public static GpuRuntimePackStore Default()
    {
        var configured = Environment.GetEnvironmentVariable(RootVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new GpuRuntimePackStore(configured);
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new GpuRuntimePackStore(Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".modelide", "runtimes"));
    }

    public string FolderFor(GpuRuntimePackSpec spec) => Path.Combine(Root, spec.FolderName);

    public string FileFor(GpuRuntimePackSpec spec, GpuRuntimePackFile file) => Path.Combine(FolderFor(spec), file.FileName);

    public GpuRuntimePackStatus Status(GpuRuntimePackSpec spec, PackVerification depth = PackVerification.Sizes)
    {
        var problem = Verify(spec, depth);
        var folder = FolderFor(spec);
        var bytes = Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFiles().Sum(f => f.Length) : 0;
        return new GpuRuntimePackStatus(problem is null, folder, spec.PackageId, spec.Version, bytes, problem);
    }

    /// <summary>Null when the pack is complete and matches the pins in <paramref name="spec"/>; otherwise what is wrong.</summary>
    public string? Verify(GpuRuntimePackSpec spec, PackVerification depth, IEnumerable<GpuRuntimePackFile>? only = null)
    {
        var folder = FolderFor(spec);
        if (!Directory.Exists(folder))
        {
            return NotInstalled;
        }

        var manifestPath = Path.Combine(folder, ManifestName);
        try
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(manifestPath));
            var m = manifest.RootElement;
            if (m.GetProperty("packageId").GetString() != spec.PackageId || m.GetProperty("version").GetString() != spec.Version ||
                m.GetProperty("packageSha256").GetString() != spec.PackageSha256)
            {
                return $"the pack in {folder} was made from another package";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"the pack in {folder} has no readable manifest (an interrupted install?)";
        }

        foreach (var file in only ?? spec.Files)
        {
            var path = Path.Combine(folder, file.FileName);
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return $"{file.FileName} is missing from {folder}";
            }

            if (info.Length != file.Size)
            {
                return $"{file.FileName} in {folder} has {info.Length:N0} bytes, expected {file.Size:N0}";
            }

            if (depth == PackVerification.Hashes && HashOnce(info) is var actual && actual != file.Sha256)
            {
                return $"{file.FileName} in {folder} does not match its SHA-256 (got {actual[..12]}…, expected {file.Sha256[..12]}…): reinstall the GPU runtime";
            }
        }

        return null;
    }

    /// <summary>Deletes the pack and anything an interrupted install left; returns the bytes freed.</summary>
    public long Remove(GpuRuntimePackSpec spec)
    {
        long freed = 0;
        var targets = new List<string> { FolderFor(spec) };
        if (Directory.Exists(Root))
        {
            targets.AddRange(Directory.GetFileSystemEntries(Root, $".{spec.FolderName}.*"));
        }

        foreach (var target in targets)
        {
            if (Directory.Exists(target))
            {
                freed += new DirectoryInfo(target).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
                Directory.Delete(target, recursive: true);
            }
            else if (File.Exists(target))
            {
                freed += new FileInfo(target).Length;
                File.Delete(target);
            }
        }

        if (Directory.Exists(Root) && !Directory.EnumerateFileSystemEntries(Root).Any())
        {
            Directory.Delete(Root);
        }

        return freed;
    }

    // Each CUDA session checks the 284 MB CUDA provider before ONNX Runtime loads it (0.6 s or more, measured on an H200
    // machine). Within one process a file is hashed again only when its size or write time changed, so the sidecar's
    // second model does not pay for it again; every new process hashes afresh.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Path, long Length, DateTime Written), string> HashedThisProcess = new();

    private static string HashOnce(FileInfo info)
    {
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc);
        if (HashedThisProcess.TryGetValue(key, out var known))
        {
            return known;
        }

        var hash = Sha256Hex(info.FullName);
        HashedThisProcess[key] = hash;
        return hash;
    }

    internal static string Sha256Hex(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
