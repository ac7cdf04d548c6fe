using System.Text.Json.Serialization;

namespace ModelIde.Core.Downloads;

/// <summary>Compile-time JSON metadata for the files downloads keep beside the cache (resume states, snapshot manifests), so the native (AOT) CLI needs no reflection.</summary>
[JsonSerializable(typeof(DownloadResumeState))]
[JsonSerializable(typeof(CachedSnapshots.SnapshotManifest))]
internal sealed partial class DownloadsJsonContext : JsonSerializerContext;
