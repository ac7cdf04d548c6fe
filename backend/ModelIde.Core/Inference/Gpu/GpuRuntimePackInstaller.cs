using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>How an install ended: freshly installed, or already there and intact (nothing downloaded).</summary>
public sealed record GpuRuntimePackInstallResult(string Folder, bool AlreadyInstalled, long DownloadedBytes);

/// <summary>Progress of the download in bytes (the total is the pinned package size).</summary>
public readonly record struct GpuRuntimePackProgress(long Bytes, long Total);

/// <summary>
/// Installs the GPU runtime pack without a .NET SDK: downloads the pinned nupkg from a NuGet v3 source (a service
/// index or a flat container; mirrors work), refuses it unless size, SHA-256 and SHA-512 match, extracts only the
/// listed natives into a staging folder, checks each against its own pin, and moves the folder into place in one step.
/// </summary>
public sealed class GpuRuntimePackInstaller(HttpClient http, GpuRuntimePackStore store)
{
    /// <summary>Overrides the package source for the CLI and the sidecar (also a user setting in the extension).</summary>
    public const string SourceVariable = "MODELIDE_GPU_PACKAGE_SOURCE";

    public async Task<GpuRuntimePackInstallResult> InstallAsync(GpuRuntimePackSpec spec, string source, IProgress<GpuRuntimePackProgress>? progress, CancellationToken cancellationToken)
    {
        var folder = store.FolderFor(spec);
        if (store.Verify(spec, PackVerification.Hashes) is null)
        {
            return new GpuRuntimePackInstallResult(folder, AlreadyInstalled: true, 0);
        }

        Directory.CreateDirectory(store.Root);
        EnsureSpace(spec);
        var token = Guid.NewGuid().ToString("N")[..12];
        var download = Path.Combine(store.Root, $".{spec.FolderName}.{token}.nupkg");
        var staging = Path.Combine(store.Root, $".{spec.FolderName}.{token}.staging");
        var old = Path.Combine(store.Root, $".{spec.FolderName}.{token}.old");
        try
        {
            long downloaded;
            if (LocalPackage(spec, source) is { } local)
            {
                // An offline install: the nupkg copied to this machine by hand (or a folder feed), checked the same way.
                var file = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
                await using (file.ConfigureAwait(false))
                {
                    downloaded = await CopyVerifiedAsync(spec, file, file.Length, local, download, progress, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var flat = await ResolveFlatContainerAsync(http, source, cancellationToken).ConfigureAwait(false);
                downloaded = await DownloadVerifiedAsync(spec, spec.PackageUrl(flat), download, progress, cancellationToken).ConfigureAwait(false);
            }

            Extract(spec, download, staging);
            File.Delete(download);

            if (Directory.Exists(folder))
            {
                // A broken or partial pack: moved aside first, so the good one appears in one rename.
                Directory.Move(folder, old);
            }

            Directory.Move(staging, folder);
            if (Directory.Exists(old))
            {
                Directory.Delete(old, recursive: true);
            }

            return new GpuRuntimePackInstallResult(folder, AlreadyInstalled: false, downloaded);
        }
        finally
        {
            TryDelete(download);
            TryDelete(staging);
        }
    }

    /// <summary>nuget.org's v3 service index: where the pinned package comes from unless a source is configured.</summary>
    public const string NuGetOrg = "https://api.nuget.org/v3/index.json";

    /// <summary>
    /// The source to install from: <paramref name="given"/> (the --source option or the extension's setting), else
    /// MODELIDE_GPU_PACKAGE_SOURCE, else nuget.org. The package is pinned by hash, so any mirror serves as well.
    /// </summary>
    public static string ResolveSource(string? given) => ResolveSource(given, Environment.GetEnvironmentVariable(SourceVariable));

    /// <summary><see cref="ResolveSource(string?)"/> with the environment variable's value passed in.</summary>
    public static string ResolveSource(string? given, string? environment) =>
        !string.IsNullOrWhiteSpace(given) ? given.Trim()
        : !string.IsNullOrWhiteSpace(environment) ? environment.Trim()
        : NuGetOrg;

    /// <summary>
    /// The nupkg when <paramref name="source"/> is a local file or folder: the file itself, or in the folder
    /// {id}.{version}.nupkg or the flat-container layout {id}/{version}/{id}.{version}.nupkg (lower case).
    /// </summary>
    public static string? LocalPackage(GpuRuntimePackSpec spec, string source)
    {
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return null;
        }

        var path = uri is { IsFile: true } ? uri.LocalPath : source;
        if (File.Exists(path))
        {
            return Path.GetFullPath(path);
        }

        if (!Directory.Exists(path))
        {
            return null;
        }

        var id = spec.PackageId.ToLowerInvariant();
        var file = $"{id}.{spec.Version.ToLowerInvariant()}.nupkg";
        var candidates = new[] { Path.Combine(path, file), Path.Combine(path, $"{spec.PackageId}.{spec.Version}.nupkg"), Path.Combine(path, id, spec.Version.ToLowerInvariant(), file) };
        return candidates.FirstOrDefault(File.Exists) ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound,
            $"No {file} in {path} (nor in {id}/{spec.Version.ToLowerInvariant()}/ under it).");
    }

    /// <summary>A v3 service index (…/index.json) is asked for its PackageBaseAddress; any other URL is taken as the flat container.</summary>
    public static async Task<Uri> ResolveFlatContainerAsync(HttpClient http, string source, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"The GPU package source must be an http(s) URL of a NuGet v3 feed (got \"{source}\").");
        }

        if (!uri.AbsolutePath.EndsWith("index.json", StringComparison.OrdinalIgnoreCase))
        {
            return uri;
        }

        try
        {
            using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            foreach (var resource in doc.RootElement.GetProperty("resources").EnumerateArray())
            {
                var type = resource.TryGetProperty("@type", out var t) ? t.GetString() : null;
                if (type is not null && type.StartsWith("PackageBaseAddress/3.0.0", StringComparison.Ordinal) &&
                    Uri.TryCreate(resource.GetProperty("@id").GetString(), UriKind.Absolute, out var flat))
                {
                    return flat;
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ModelIdeException(ModelIdeErrorKind.Network, $"Could not read the NuGet service index {uri}: {e.Message}", e);
        }

        throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"{uri} lists no PackageBaseAddress/3.0.0 resource; give the feed's flat container URL instead.");
    }

    private async Task<long> DownloadVerifiedAsync(GpuRuntimePackSpec spec, Uri url, string target, IProgress<GpuRuntimePackProgress>? progress, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ModelIdeException(ModelIdeErrorKind.Network, $"Could not download {url}: {e.Message}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new ModelIdeException(response.StatusCode == System.Net.HttpStatusCode.NotFound ? ModelIdeErrorKind.NotFound : ModelIdeErrorKind.Network,
                    $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}; is {spec.PackageId} {spec.Version} on that feed?");
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                return await CopyVerifiedAsync(spec, body, response.Content.Headers.ContentLength, url.AbsoluteUri, target, progress, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Copies the package to <paramref name="target"/> while hashing; refuses it unless size, SHA-256 and SHA-512 match the pins.</summary>
    private static async Task<long> CopyVerifiedAsync(GpuRuntimePackSpec spec, Stream body, long? length, string origin, string target,
        IProgress<GpuRuntimePackProgress>? progress, CancellationToken cancellationToken)
    {
        if (length is { } announced && announced != spec.PackageSize)
        {
            throw Tampered(spec, origin, $"it is {announced:N0} bytes, expected {spec.PackageSize:N0}");
        }

        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var buffer = new byte[1 << 20];
        long total = 0;
        var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > spec.PackageSize)
                {
                    throw Tampered(spec, origin, $"it is longer than the expected {spec.PackageSize:N0} bytes");
                }

                sha256.AppendData(buffer, 0, read);
                sha512.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                progress?.Report(new GpuRuntimePackProgress(total, spec.PackageSize));
            }
        }

        var hex = Convert.ToHexStringLower(sha256.GetHashAndReset());
        if (total != spec.PackageSize || hex != spec.PackageSha256 || Convert.ToBase64String(sha512.GetHashAndReset()) != spec.PackageSha512Base64)
        {
            throw Tampered(spec, origin, total != spec.PackageSize ? $"it is {total:N0} bytes, expected {spec.PackageSize:N0}" : $"its SHA-256 is {hex}, expected {spec.PackageSha256}");
        }

        return total;
    }

    /// <summary>Extracts exactly the pinned entries to flat file names inside <paramref name="staging"/> (no path from the archive is used).</summary>
    internal static void Extract(GpuRuntimePackSpec spec, string nupkg, string staging)
    {
        Directory.CreateDirectory(staging);
        var stagingFull = Path.GetFullPath(staging) + Path.DirectorySeparatorChar;
        using var zip = ZipFile.OpenRead(nupkg);
        foreach (var file in spec.Files)
        {
            var target = Path.GetFullPath(Path.Combine(staging, file.FileName));
            if (file.FileName.Contains('/') || file.FileName.Contains('\\') || !target.StartsWith(stagingFull, StringComparison.Ordinal))
            {
                throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"Refusing to extract {file.FileName}: it would land outside {staging}.");
            }

            var entry = zip.GetEntry(file.EntryName)
                ?? throw new ModelIdeException(ModelIdeErrorKind.IntegrityFailure, $"{spec.PackageId} {spec.Version} has no {file.EntryName}.");
            if (entry.Length != file.Size)
            {
                throw new ModelIdeException(ModelIdeErrorKind.IntegrityFailure, $"{file.EntryName} is {entry.Length:N0} bytes in the package, expected {file.Size:N0}.");
            }

            entry.ExtractToFile(target, overwrite: false);
            var actual = GpuRuntimePackStore.Sha256Hex(target);
            if (actual != file.Sha256)
            {
                throw new ModelIdeException(ModelIdeErrorKind.IntegrityFailure, $"{file.FileName} from the package has SHA-256 {actual}, expected {file.Sha256}; nothing was installed.");
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }

        // Built as a JSON tree (no reflection): the native CLI installs packs too.
        var manifest = new JsonObject
        {
            ["packageId"] = spec.PackageId,
            ["version"] = spec.Version,
            ["runtimeId"] = spec.RuntimeId,
            ["packageSha256"] = spec.PackageSha256,
            ["installedAt"] = DateTimeOffset.UtcNow.ToString("O"),
            ["files"] = new JsonArray(spec.Files.Select(f => (JsonNode)new JsonObject { ["name"] = f.FileName, ["size"] = f.Size, ["sha256"] = f.Sha256 }).ToArray()),
        };
        File.WriteAllText(Path.Combine(staging, GpuRuntimePackStore.ManifestName), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private void EnsureSpace(GpuRuntimePackSpec spec)
    {
        try
        {
            var free = new DriveInfo(store.Root).AvailableFreeSpace;
            var needed = spec.PackageSize + spec.InstalledSize;
            if (free < needed)
            {
                throw new ModelIdeException(ModelIdeErrorKind.DiskFull,
                    $"The GPU runtime needs {needed / 1_048_576:N0} MiB free in {store.Root} while it installs ({spec.InstalledSize / 1_048_576:N0} MiB after); {free / 1_048_576:N0} MiB are free.");
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            // No drive information (unusual mounts): the write itself will report a full disk.
        }
    }

    private static ModelIdeException Tampered(GpuRuntimePackSpec spec, string origin, string what) =>
        new(ModelIdeErrorKind.IntegrityFailure, $"Refused the {spec.PackageId} {spec.Version} package from {origin}: {what}. Nothing was installed; check the package source.");

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }
            else if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next install or remove, which clean up every ".<pack>.*" leftover.
        }
    }
}
