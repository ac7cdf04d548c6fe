namespace ModelIde.Core.Downloads;

/// <summary>
/// Asks the hub where each file of a download lives (its redirect to the blob host) a few files ahead of the files being
/// fetched, so a file's own turn costs one round trip (to the blob host) instead of two. For a folder of many small
/// files on a real network the redirect round trip is about half of each file's time. At most <c>lookahead</c> files are
/// resolved and not yet finished (signed URLs expire; one that has is asked for again by <see cref="FileTransfer"/>).
/// A file whose look-up has not started when its turn comes asks the hub itself (so no file ever waits for a slot that
/// other files hold), and a failed look-up only means the same: the GET to the hub then reports the error.
/// </summary>
internal sealed class BlobUrlPrefetch : IAsyncDisposable
{
    private const int Pending = 0;
    private const int Resolving = 1;
    private const int AskedByFile = 2;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _ahead;
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _workers;

    /// <param name="files">The files to fetch, in the order they are fetched.</param>
    public BlobUrlPrefetch(BlobRangeFetcher fetcher, IReadOnlyList<PlannedFile> files, int lookahead, int workers, CancellationToken cancellationToken)
    {
        _ahead = new SemaphoreSlim(Math.Max(1, lookahead));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var order = files.Select(f => (File: f, Entry: _entries[f.File.Path] = new Entry())).ToArray();
        var next = -1;
        var stop = _stop.Token;

        async Task WorkerAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < order.Length && !stop.IsCancellationRequested; i = Interlocked.Increment(ref next))
            {
                var (file, entry) = order[i];
                try
                {
                    await _ahead.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (Interlocked.CompareExchange(ref entry.State, Resolving, Pending) != Pending)
                {
                    // Its turn came first: the file asked the hub itself.
                    _ahead.Release();
                    continue;
                }

                Uri? uri = null;
                try
                {
                    uri = await fetcher.ResolveAsync(file.HubUri, stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or ModelIdeException or UriFormatException)
                {
                    // The file asks the hub itself (and reports what goes wrong).
                }

                entry.Source.TrySetResult(uri);
            }
        }

        _workers = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => Task.Run(WorkerAsync)).ToArray();
    }

    /// <summary>
    /// The blob URL for <paramref name="path"/>: the look-up's answer when it has started (waiting for it), else null and
    /// the file asks the hub itself.
    /// </summary>
    public async Task<Uri?> BlobUriAsync(string path)
    {
        if (!_entries.TryGetValue(path, out var entry) || Interlocked.CompareExchange(ref entry.State, AskedByFile, Pending) == Pending)
        {
            return null;
        }

#pragma warning disable VSTHRD003 // completed by this object's own look-up workers, which never wait for a caller.
        return await entry.Source.Task.ConfigureAwait(false);
#pragma warning restore VSTHRD003
    }

    /// <summary>The file at <paramref name="path"/> has finished (or failed): if it was resolved ahead, another may be.</summary>
    public void Done(string path)
    {
        if (_entries.TryGetValue(path, out var entry) && Volatile.Read(ref entry.State) == Resolving)
        {
            _ahead.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
#pragma warning disable VSTHRD003 // the workers started in the constructor
        await Task.WhenAll(_workers).ConfigureAwait(false);
#pragma warning restore VSTHRD003
        _stop.Dispose();
        _ahead.Dispose();
    }

    private sealed class Entry
    {
        public int State;

        public TaskCompletionSource<Uri?> Source { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
