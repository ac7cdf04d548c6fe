using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Downloads a model (or the files matching include globs) into the cache: files in parallel, large files in
/// parallel ranged parts, resumable from <c>.incomplete</c> + <see cref="DownloadResumeState"/>, retried with
/// backoff, SHA-256 checked before the file is moved into place, one cross-process lock per file.
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
    public async Task<IReadOnlyList<RepoFile>> PlanAsync(ModelId id, string revision, IReadOnlyList<string>? include, CancellationToken cancellationToken)
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

        return files;
    }

    public async Task<DownloadResult> DownloadAsync(ModelId id, string? revision, IReadOnlyList<string>? include, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var rev = ModelId.ValidateRevision(revision);
        var files = await PlanAsync(id, rev, include, cancellationToken).ConfigureAwait(false);
        var folder = _cache.ModelFolder(id, rev);
        Directory.CreateDirectory(folder);

        var tracker = new ProgressTracker(files.Count, files.Sum(f => f.Size), _options.ProgressInterval, progress);
        var fromCache = new List<string>();
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxParallelFiles));
        using var stopOthers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? firstFailure = null;
        var tasks = files.Select(async file =>
        {
            await gate.WaitAsync(stopOthers.Token).ConfigureAwait(false);
            try
            {
                if (await DownloadFileAsync(id, rev, folder, file, tracker, stopOthers.Token).ConfigureAwait(false))
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
        return new DownloadResult(folder, files.Count, files.Sum(f => f.Size), tracker.FetchedBytes, fromCache);
    }

    /// <summary>Downloads one file into place; returns true when it was already in the cache.</summary>
    private async Task<bool> DownloadFileAsync(ModelId id, string revision, string folder, RepoFile file, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        var target = RepoPathValidator.ResolveUnder(folder, file.Path);
        using var fileLock = await CrossProcessFileLock.AcquireAsync(_cache.LockFile(id, file.Path), cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);

        if (File.Exists(target) && await IsCachedAsync(target, file, cancellationToken).ConfigureAwait(false))
        {
            tracker.AddDone(file.Size);
            tracker.FileFinished(file.Path);
            return true;
        }

        var incomplete = target + ModelCacheLayout.IncompleteSuffix;
        var statePath = target + ModelCacheLayout.ResumeStateSuffix;
        var uri = _api.FileDownloadUri(id, revision, file.Path);
        for (var attempt = 0; ; attempt++)
        {
            var (counted, actual) = await TransferAsync(uri, file, incomplete, statePath, tracker, cancellationToken).ConfigureAwait(false);
            if (file.Sha256 is null || string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                break;
            }

            // Never leave a corrupt file that looks finished or resumable.
            File.Delete(incomplete);
            File.Delete(statePath);
            tracker.AddDone(-counted);
            if (attempt >= _options.IntegrityRetries)
            {
                throw new ModelIdeException(
                    ModelIdeErrorKind.IntegrityFailure,
                    $"'{file.Path}' of {id} failed its SHA-256 check {attempt + 1} times (expected {file.Sha256}, got {actual}). The partial file was removed; try again later or report it to the hub.");
            }
        }

        File.Move(incomplete, target, overwrite: true);
        File.Delete(statePath);
        tracker.FileFinished(file.Path);
        return false;
    }

    private static async Task<bool> IsCachedAsync(string target, RepoFile file, CancellationToken cancellationToken)
    {
        if (new FileInfo(target).Length != file.Size)
        {
            return false;
        }

        return file.Sha256 is null || string.Equals(await HashFileAsync(target, cancellationToken).ConfigureAwait(false), file.Sha256, StringComparison.OrdinalIgnoreCase);
    }

    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Fills <paramref name="incomplete"/> (resuming what the state says is there); returns the bytes counted as done and
    /// the file's SHA-256, computed while the bytes arrive (null when the listing has no hash to check).
    /// </summary>
    private async Task<(long Counted, string? Sha256)> TransferAsync(Uri uri, RepoFile file, string incomplete, string statePath, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        var parallel = file.Size > _options.ParallelThresholdBytes && _options.PartSizeBytes > 0;
        var partSize = parallel ? _options.PartSizeBytes : Math.Max(file.Size, 1);
        var state = File.Exists(incomplete) ? DownloadResumeState.TryLoad(statePath, file.Sha256, file.Size, partSize) : null;
        if (state is null)
        {
            state = DownloadResumeState.Create(file.Sha256, file.Size, partSize);
            // A partial file without our state (e.g. left by the Python SDK) is a plain prefix: keep it for one-part plans.
            var existing = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            if (!parallel && existing > 0 && existing <= file.Size)
            {
                state.SetDone(0, existing);
            }
            else if (File.Exists(incomplete))
            {
                File.Delete(incomplete);
            }
        }
        else if (new FileInfo(incomplete).Length < state.PartsDone.Select((d, i) => d == 0 ? 0 : state.PartStart(i) + d).Max())
        {
            // The file is shorter than the state claims (truncated by hand): start over.
            File.Delete(incomplete);
            state = DownloadResumeState.Create(file.Sha256, file.Size, partSize);
        }

        var already = state.BytesDone;
        tracker.AddDone(already);
        state.Save(statePath);
        using (var handle = File.OpenHandle(incomplete, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read))
        {
            using var hasher = file.Sha256 is null ? null : new StreamingSha256(handle, state);
            if (file.Size > 0)
            {
                using var partGate = new SemaphoreSlim(Math.Max(1, _options.MaxParallelParts));
                using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var parts = Enumerable.Range(0, state.PartCount).Where(p => state.PartsDone[p] < state.PartLength(p)).Select(async part =>
                {
                    await partGate.WaitAsync(failFast.Token).ConfigureAwait(false);
                    try
                    {
                        await FetchPartAsync(uri, file, handle, hasher, state, statePath, part, tracker, failFast.Token).ConfigureAwait(false);
                        // A finished part may have closed the gap before later parts' bytes: hash those now, while they are cached.
                        hasher?.CatchUp();
                    }
                    catch
                    {
                        await failFast.CancelAsync().ConfigureAwait(false);
                        throw;
                    }
                    finally
                    {
                        partGate.Release();
                    }
                }).ToArray();
                try
                {
                    await Task.WhenAll(parts).ConfigureAwait(false);
                }
                catch when (!cancellationToken.IsCancellationRequested && parts.Any(t => t.IsFaulted))
                {
                    var real = parts.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException);
                    throw real ?? parts.First(t => t.IsFaulted).Exception!.InnerExceptions[0];
                }
            }

            return (file.Size, hasher?.Finish(file.Size));
        }
    }

    private async Task FetchPartAsync(Uri uri, RepoFile file, Microsoft.Win32.SafeHandles.SafeFileHandle handle, StreamingSha256? hasher, DownloadResumeState state, string statePath, int part, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        var start = state.PartStart(part);
        var length = state.PartLength(part);
        var buffer = new byte[256 * 1024];
        for (var attempt = 1; ; attempt++)
        {
            var done = state.PartsDone[part];
            if (done >= length)
            {
                return;
            }

            var progressed = false;
            try
            {
                var single = state.PartCount == 1;
                using var response = await _fetcher.OpenAsync(uri, start + done, single && done == 0 ? null : start + length - 1, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK && start + done > 0)
                {
                    if (!single)
                    {
                        throw new ModelIdeException(ModelIdeErrorKind.ServerError, "The blob host ignored the Range header; cannot download in parts.");
                    }

                    // The host sent the whole file: start over from byte 0.
                    tracker.AddDone(-done);
                    done = 0;
                    state.SetDone(part, 0);
                    hasher?.Restart();
                }
                else if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { From: { } from } && from != start + done)
                {
                    throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"The blob host answered range {from}- for a request of {start + done}-.");
                }

                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var unsaved = 0L;
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                while (done < length)
                {
                    stall.CancelAfter(_options.StallTimeout);
                    var want = (int)Math.Min(buffer.Length, length - done);
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer.AsMemory(0, want), stall.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new ModelIdeException(ModelIdeErrorKind.Network, $"The download of '{file.Path}' stalled for {_options.StallTimeout.TotalSeconds:0} s.");
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                    {
                        // A cut connection; errors writing the local file are not caught here and are not retried.
                        throw new ModelIdeException(ModelIdeErrorKind.Network, $"The connection broke while downloading '{file.Path}': {ex.Message}", ex);
                    }

                    if (read == 0)
                    {
                        throw new ModelIdeException(ModelIdeErrorKind.Network, $"The connection closed early while downloading '{file.Path}'.");
                    }

                    await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), start + done, cancellationToken).ConfigureAwait(false);
                    state.SetDone(part, done + read);
                    hasher?.OnWritten(start + done, buffer.AsSpan(0, read));
                    done += read;
                    unsaved += read;
                    progressed = true;
                    tracker.AddFetched(read, file.Path);
                    if (unsaved >= _options.StateSaveInterval)
                    {
                        state.Save(statePath);
                        unsaved = 0;
                    }
                }

                state.Save(statePath);
                return;
            }
            catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
            {
                var wrapped = new ModelIdeException(ModelIdeErrorKind.Network, $"The connection broke while downloading '{file.Path}': {ex.Message}", ex);
                await WaitBeforeRetryAsync(wrapped, progressed ? 1 : attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (ModelIdeException ex) when (!cancellationToken.IsCancellationRequested)
            {
                await WaitBeforeRetryAsync(ex, progressed ? 1 : attempt, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (progressed)
                {
                    try
                    {
                        state.Save(statePath);
                    }
                    catch (IOException)
                    {
                        // Best effort: the next save or the re-fetch covers it.
                    }
                }
            }

            if (progressed)
            {
                attempt = 0;
            }
        }
    }

    private async Task WaitBeforeRetryAsync(ModelIdeException error, int attempt, CancellationToken cancellationToken)
    {
        if (!_options.Retry.ShouldRetry(error, attempt))
        {
            throw error;
        }

        await _options.Wait(_options.Retry.DelayFor(error, attempt), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Totals, speed over the last few seconds, and throttled callbacks.</summary>
    private sealed class ProgressTracker(int filesTotal, long bytesTotal, TimeSpan interval, Action<DownloadProgress>? callback)
    {
        private readonly Lock _gate = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Queue<(double At, long Fetched)> _samples = new();
        private long _done;
        private long _fetched;
        private int _filesDone;
        private double _lastReport = double.NegativeInfinity;

        public long FetchedBytes => Interlocked.Read(ref _fetched);

        /// <summary>Bytes of the download not yet on disk.</summary>
        public long BytesLeft => Math.Max(0, bytesTotal - Interlocked.Read(ref _done));

        public void AddDone(long bytes) => Interlocked.Add(ref _done, bytes);

        public void AddFetched(long bytes, string file)
        {
            Interlocked.Add(ref _done, bytes);
            Interlocked.Add(ref _fetched, bytes);
            Report(file, force: false);
        }

        public void FileFinished(string file)
        {
            Interlocked.Increment(ref _filesDone);
            Report(file, force: true);
        }

        public void Report(string? file, bool force)
        {
            if (callback is null)
            {
                return;
            }

            DownloadProgress snapshot;
            lock (_gate)
            {
                var now = _clock.Elapsed.TotalSeconds;
                if (!force && now - _lastReport < interval.TotalSeconds)
                {
                    return;
                }

                _lastReport = now;
                var fetched = Interlocked.Read(ref _fetched);
                _samples.Enqueue((now, fetched));
                while (_samples.Count > 2 && now - _samples.Peek().At > 3)
                {
                    _samples.Dequeue();
                }

                var (at0, fetched0) = _samples.Peek();
                var speed = now - at0 > 0.05 ? (fetched - fetched0) / (now - at0) : (now > 0.05 ? fetched / now : 0);
                var done = Interlocked.Read(ref _done);
                double? eta = speed > 0 ? Math.Max(0, bytesTotal - done) / speed : null;
                snapshot = new DownloadProgress(file, done, bytesTotal, Volatile.Read(ref _filesDone), filesTotal, speed, eta);
            }

            callback(snapshot);
        }
    }
}
