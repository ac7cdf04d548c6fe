using System.Collections.Concurrent;
using System.Security.Cryptography;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Downloads a model (or the files matching include globs) into the cache: files in parallel, each through a
/// <see cref="FileTransfer"/> (one stream, more where they pay off) into a <see cref="PartialFile"/> beside the target,
/// resumable, retried with backoff, its size checked against the host and its SHA-256 before it is moved into place,
/// one cross-process lock per file (the Python SDK's lock file).
/// </summary>
public sealed class ModelDownloader
{
    private static readonly HashSet<string> s_skippedFiles = new(StringComparer.Ordinal) { ".gitignore", ".gitattributes" };
    private readonly ModelScopeApiClient _api;
    private readonly BlobRangeFetcher _fetcher;
    private readonly ModelCacheLayout _cache;
    private readonly DownloadOptions _options;

    public ModelDownloader(ModelScopeApiClient api, HttpClient http, ModelCacheLayout cache, DownloadOptions? options = null)
    {
        _api = api;
        _fetcher = new BlobRangeFetcher(api, http);
        _cache = cache;
        _options = options ?? new DownloadOptions();
    }

    public ModelCacheLayout Cache => _cache;

    /// <summary>The files a download would fetch: listed, filtered, every path validated (throws before anything is written).</summary>
    public async Task<IReadOnlyList<RepoFile>> PlanAsync(ModelId id, string revision, IReadOnlyList<string>? include, CancellationToken cancellationToken) =>
        (await PlanWithListingAsync(id, revision, include, cancellationToken).ConfigureAwait(false)).Files;

    /// <summary>The plan, and every path the listing names (partial-file names must not collide with any of them).</summary>
    private async Task<(IReadOnlyList<RepoFile> Files, IReadOnlyList<string> Listed)> PlanWithListingAsync(ModelId id, string revision, IReadOnlyList<string>? include, CancellationToken cancellationToken)
    {
        var patterns = (include ?? []).Select(p => new IncludePattern(p)).ToArray();
        var listed = await _api.ListModelFilesAsync(id, revision, cancellationToken).ConfigureAwait(false);
        var files = new List<RepoFile>();
        foreach (var f in listed)
        {
            if (f.IsDirectory)
            {
                continue;
            }

            RepoPathValidator.Validate(f.Path);
            if (s_skippedFiles.Contains(f.Path) || !IncludePattern.AnyMatch(patterns, f.Path))
            {
                continue;
            }

            if (f.Size < 0)
            {
                throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub listed '{f.Path}' with a negative size.");
            }

            if (f.Sha256 is { } sha && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
            {
                throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub listed '{f.Path}' with a malformed SHA-256.");
            }

            files.Add(f);
        }

        if (files.Count == 0 && patterns.Length > 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"No file of {id} matches {string.Join(", ", patterns.Select(p => p.Pattern))}.");
        }

        var duplicate = files.GroupBy(f => f.Path, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub listed '{duplicate.Key}' more than once (paths differing only in case collide on some file systems).");
        }

        if (RepoPathValidator.GitRepositoryLookalike(files.Select(f => f.Path)) is { } gitFolder)
        {
            var where = gitFolder.Length == 0 ? "the model folder" : $"'{gitFolder}'";
            throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub listed files that make {where} a git repository (HEAD, objects/, refs/): its config could run a command when git looks at the folder. Nothing was written.");
        }

        try
        {
            _ = checked(files.Sum(f => f.Size));
        }
        catch (OverflowException)
        {
            throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub listed files of {id} whose sizes add up to more than any disk holds.");
        }

        return (files, listed.Select(f => f.Path).ToArray());
    }

    public async Task<DownloadResult> DownloadAsync(ModelId id, string? revision, IReadOnlyList<string>? include, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var rev = ModelId.ValidateRevision(revision);
        var (files, listedPaths) = await PlanWithListingAsync(id, rev, include, cancellationToken).ConfigureAwait(false);
        var folder = _cache.ModelFolder(id, rev);
        // A snapshot folder this download creates holds nothing yet: no file in it needs looking at before its turn.
        var folderIsNew = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);

        var listed = new HashSet<string>(listedPaths, StringComparer.OrdinalIgnoreCase);
        var checkedFolders = new ConcurrentDictionary<string, Lazy<bool>>(StringComparer.Ordinal);
        var tracker = new DownloadProgressTracker(files.Count, files.Sum(f => f.Size), _options.ProgressInterval, progress);
        var fromCache = new List<string>();
        var parallel = Math.Max(1, _options.MaxParallelFiles);
        using var gate = new SemaphoreSlim(parallel);
        using var stopOthers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var planned = files.Select(f => new PlannedFile(f, folder, path => _api.FileDownloadUri(id, rev, path))).ToArray();
        // Redirects looked up ahead for the files that are not already in place (a size check; the hash is checked in turn).
        var toFetch = planned.Where(p => p.File.Size > 0 && (folderIsNew || !LooksCached(p.Target, p.File))).ToArray();
        await using var prefetch = new BlobUrlPrefetch(_fetcher, toFetch, lookahead: 2 * parallel, workers: parallel, stopOthers.Token);
        Exception? firstFailure = null;
        var tasks = planned.Select(async plannedFile =>
        {
            var file = plannedFile.File;
            await gate.WaitAsync(stopOthers.Token).ConfigureAwait(false);
            try
            {
                if (await DownloadFileAsync(id, folder, plannedFile, listed, checkedFolders, tracker, prefetch, stopOthers.Token).ConfigureAwait(false))
                {
                    lock (fromCache)
                    {
                        fromCache.Add(file.Path);
                    }
                }
            }
            catch (IOException ex) when (DiskFull.Is(ex))
            {
                // ENOSPC is not retried, and every other file would hit it too: stop them all. The .incomplete files and
                // their resume states stay for the next attempt.
                var error = DiskFull.Error(file.Path, folder, tracker.BytesLeft, ex);
                Interlocked.CompareExchange(ref firstFailure, error, null);
                await stopOthers.CancelAsync().ConfigureAwait(false);
                throw error;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Interlocked.CompareExchange(ref firstFailure, ex, null);
                throw;
            }
            finally
            {
                prefetch.Done(file.Path);
                gate.Release();
            }
        }).ToArray();

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch when (firstFailure is not null && !cancellationToken.IsCancellationRequested)
        {
            // Report the failure that happened first rather than an AggregateException or the files stopped after it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFailure);
        }

        tracker.Report(null, force: true);
        // What offline use and the hub-unreachable fallback check the cache against (CachedSnapshots).
        new CachedSnapshots(_cache).Record(id, rev, folder, files, include);
        return new DownloadResult(folder, files.Count, files.Sum(f => f.Size), tracker.FetchedBytes, fromCache, files.Count(f => f.Sha256 is null));
    }

    /// <summary>Downloads one file into place; returns true when it was already in the cache.</summary>
    /// <param name="checkedFolders">The folders below <paramref name="folder"/> this download has made or found free of links (checked once each, by the first file to need it; the others wait for it).</param>
    private async Task<bool> DownloadFileAsync(ModelId id, string folder, PlannedFile planned, IReadOnlySet<string> listed, ConcurrentDictionary<string, Lazy<bool>> checkedFolders, DownloadProgressTracker tracker, BlobUrlPrefetch prefetch, CancellationToken cancellationToken)
    {
        var file = planned.File;
        var target = planned.Target;
        using var fileLock = await CrossProcessFileLock.AcquireAsync(_cache.LockFile(id, file.Path), cancellationToken).ConfigureAwait(false);
        // Every file of a folder waits for its one check (and gets its error, a link found there included): none writes
        // into a folder that another file is still making or has found to be a link.
        _ = checkedFolders.GetOrAdd(Path.GetDirectoryName(target)!, f => new Lazy<bool>(() =>
        {
            NoFollow.CreateFoldersBelow(folder, f);
            return true;
        })).Value;

        var partial = PartialFile.For(target, file.Path, listed);

        if (await IsCachedAsync(target, file, cancellationToken).ConfigureAwait(false))
        {
            partial.CleanUpBesideFinished();
            tracker.AddDone(file.Size);
            tracker.FileFinished(file.Path);
            return true;
        }

        var uri = planned.HubUri;
        var blobUri = await prefetch.BlobUriAsync(file.Path).ConfigureAwait(false);
        var stateOnDisk = false;
        for (var attempt = 0; ; attempt++)
        {
            (var handle, var state, stateOnDisk) = partial.Open(file.Sha256, file.Size);
            string? actual;
            using (handle)
            {
                var transfer = new FileTransfer(_fetcher, _options, file, uri, blobUri, handle, state, partial.StatePath, stateOnDisk, tracker);
                try
                {
                    actual = await transfer.RunAsync(cancellationToken).ConfigureAwait(false);
                    stateOnDisk = transfer.StateOnDisk;
                }
                catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.IntegrityFailure)
                {
                    // The host does not have the file the listing describes: nothing of it is worth keeping.
                    handle.Dispose();
                    partial.Discard();
                    throw;
                }
            }

            if (file.Sha256 is null || string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                break;
            }

            // Never leave a corrupt file that looks finished or resumable.
            partial.Discard();
            tracker.AddDone(-file.Size);
            if (attempt >= _options.IntegrityRetries)
            {
                throw new ModelIdeException(
                    ModelIdeErrorKind.IntegrityFailure,
                    $"'{file.Path}' of {id} failed its SHA-256 check {attempt + 1} times (expected {file.Sha256}, got {actual}). The partial file was removed; try again later or report it to the hub.");
            }
        }

        partial.Finish(stateOnDisk);
        tracker.FileFinished(file.Path);
        return false;
    }

    /// <summary>The target is a regular file of the listed size (the hash is not read here).</summary>
    private static bool LooksCached(string target, RepoFile file) =>
        NoFollow.Kind(target) == NoFollow.Entry.File && new FileInfo(target).Length == file.Size;

    /// <summary>The target is a regular file (never a link: that is replaced) of the listed size and hash.</summary>
    private static async Task<bool> IsCachedAsync(string target, RepoFile file, CancellationToken cancellationToken)
    {
        if (NoFollow.Kind(target) != NoFollow.Entry.File || new FileInfo(target).Length != file.Size)
        {
            return false;
        }

        if (file.Sha256 is null)
        {
            return true;
        }

        // Opened only when it is a regular file of the right, non-zero length (opening a FIFO for reading would wait forever).
        var actual = file.Size == 0 ? Convert.ToHexStringLower(SHA256.HashData(ReadOnlySpan<byte>.Empty)) : await HashFileAsync(target, cancellationToken).ConfigureAwait(false);
        return string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase);
    }

    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }
}
