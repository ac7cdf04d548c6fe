using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.Win32.SafeHandles;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Fills one partial file from the blob host and hashes it on the way. One connection reads the whole range in a single
/// request (on loopback, or any link one stream fills, that is the fastest and cheapest way); more connections are
/// added only where they pay off, as against a CDN that throttles each connection: see <see cref="ControlAsync"/>.
/// A connection owns a range of the file; a new one takes the back half of the largest range still being read, and
/// the owner stops where the taker starts. Each connection writes its bytes at their offset (pwrite, no shared
/// stream) and hashes them on its own thread when they extend the hashed prefix.
/// </summary>
internal sealed class FileTransfer
{
    // 256 KiB, not 1 MiB: a socket read returns what has arrived (over loopback about 210 KB a read for one stream, 45 KB
    // in a folder of small files), so most of a 1 MiB buffer was never filled, yet each buffer's pages fault in when first
    // touched, and there is one per connection plus those queued for hashing: a 2 GiB file took 6,300 page faults with
    // 1 MiB buffers and 2,650 with these; a 200-file folder 3,450 (and a full GC, for the large buffers) and 2,700.
    private const int BufferBytes = 256 << 10;

    // A file smaller than a part reads about 45 KB at a time in a folder of small files: a quarter of the buffer, and a
    // quarter of the pages to fault in for each connection's first buffer.
    private const int SmallFileBufferBytes = 64 << 10;
    private static readonly TimeSpan s_window = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_settleMax = TimeSpan.FromSeconds(3);

    private readonly Lock _gate = new();
    private readonly BlobRangeFetcher _fetcher;
    private readonly DownloadOptions _options;
    private readonly Models.RepoFile _file;
    private readonly Uri _hubUri;
    private readonly SafeFileHandle _handle;
    private readonly DownloadResumeState _state;
    private readonly string _statePath;
    private readonly DownloadProgressTracker _tracker;
    private StreamingSha256? _hasher;
    private readonly long _saveEvery;
    private readonly long _minSplit;
    private readonly List<Slot> _slots = [];
    private readonly List<(long Start, long End)> _unassigned = [];
    private readonly List<Task> _workers = [];
    private Uri? _blobUri;
    private long _received;
    private long _waitTicks;
    private long _unsaved;
    private bool _parallelPaysOff;
    private long _tailSplit;
    private bool _wholeFileOnly;
    private bool _stateOnDisk;

    /// <param name="stateOnDisk">
    /// Whether <paramref name="statePath"/> holds the state (a resumed file with gaps). Without it the partial file's
    /// length says what is written, as long as one connection writes it from the front; the state goes to disk before a
    /// second connection writes anything out of order, and is kept up to date from then on.
    /// </param>
    /// <param name="blobUri">Where the hub was found to redirect this file (see <see cref="BlobUrlPrefetch"/>), or null to ask it.</param>
    public FileTransfer(BlobRangeFetcher fetcher, DownloadOptions options, Models.RepoFile file, Uri hubUri, Uri? blobUri, SafeFileHandle handle, DownloadResumeState state, string statePath, bool stateOnDisk, DownloadProgressTracker tracker)
    {
        _blobUri = blobUri;
        _fetcher = fetcher;
        _options = options;
        _file = file;
        _hubUri = hubUri;
        _handle = handle;
        _state = state;
        _statePath = statePath;
        _stateOnDisk = stateOnDisk;
        _tracker = tracker;
        _minSplit = Math.Max(1 << 20, options.PartSizeBytes);
        _tailSplit = _minSplit;
        _saveEvery = Math.Max(64 << 10, Math.Min(options.StateSaveInterval, _minSplit));
    }

    /// <summary>Whether the resume state is on disk (it was found there, or a second connection or a resend put it there).</summary>
    public bool StateOnDisk => Volatile.Read(ref _stateOnDisk);

    /// <summary>Connections this file may use at once.</summary>
    private int MaxConnections => _file.Size >= _options.ParallelThresholdBytes && !_wholeFileOnly ? Math.Max(1, _options.MaxParallelParts) : 1;

    /// <summary>Fetches every byte the state does not count as written; returns the file's SHA-256 (null when none was listed).</summary>
    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            _tracker.AddDone(_state.BytesDone);
            while (true)
            {
                // A new hasher per pass: it starts from byte 0 and reads back whatever a resumed file already holds.
                // A file smaller than a part is hashed on the thread that reads it: hashing it takes less than handing
                // its buffers to another thread would.
                _hasher = _file.Sha256 is null ? null : new StreamingSha256(_handle, _state, inline: _file.Size < _minSplit);
                try
                {
                    await RunConnectionsAsync(cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RangesIgnoredException) when (!_wholeFileOnly)
                {
                    // The host answers ranges with the whole file: forget the ranges, take the file from byte 0 on one connection.
                    _wholeFileOnly = true;
                    _tracker.AddDone(-_state.BytesDone);
                    _state.Clear();
                    // The file still holds the old bytes: its length no longer says what is written.
                    EnsureStateOnDisk();
                    if (_hasher is not null)
                    {
                        await _hasher.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }

            if (_state.BytesDone != _file.Size)
            {
                throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"The download of '{_file.Path}' ended with {_state.BytesDone:N0} of {_file.Size:N0} bytes.");
            }

            return _hasher is null ? null : await _hasher.FinishAsync(_file.Size).ConfigureAwait(false);
        }
        finally
        {
            if (_hasher is not null)
            {
                await _hasher.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                SaveState();
            }
            catch (IOException)
            {
                // Best effort (a full disk): the state on disk is an older, still true snapshot.
            }
        }
    }

    private async Task RunConnectionsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _slots.Clear();
            _workers.Clear();
            _unassigned.Clear();
            _unassigned.AddRange(_state.Missing());
            _parallelPaysOff = false;
        }

        if (_unassigned.Count == 0)
        {
            return;
        }

        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopControl = CancellationTokenSource.CreateLinkedTokenSource(failFast.Token);
        AddConnection(steal: false, failFast);
        var control = MaxConnections > 1 ? ControlAsync(stopControl.Token, failFast) : Task.CompletedTask;
        try
        {
            while (true)
            {
                Task[] running;
                lock (_gate)
                {
                    running = [.. _workers];
                }

                try
                {
                    await Task.WhenAll(running).ConfigureAwait(false);
                }
                catch when (running.Any(t => t.IsFaulted))
                {
                    await failFast.CancelAsync().ConfigureAwait(false);
                    await SettleAsync(running).ConfigureAwait(false);
                    // The first real failure, not the cancellations it caused.
                    var real = running.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException);
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(real ?? running.First(t => t.IsFaulted).Exception!.InnerExceptions[0]);
                }

                lock (_gate)
                {
                    if (_workers.Count == running.Length)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            await stopControl.CancelAsync().ConfigureAwait(false);
            try
            {
                await control.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Waits until every task has ended, whatever the outcome (their failures are reported by the caller).</summary>
    private static async Task SettleAsync(Task[] tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ModelIdeException or IOException or HttpRequestException or RangesIgnoredException)
        {
            // Reported by the caller from the tasks themselves.
        }
    }

    /// <summary>
    /// Adds connections while they pay off. Only when the connections spend most of a window waiting for bytes: when
    /// their reads find the bytes already there, the limit is this machine (CPU, disk), as over loopback, and more
    /// streams gain nothing and cost read-back hashing. That is asked of this file's own reads, not of the process's
    /// CPU, which other work in the process (a generation, other downloads) or on the machine would skew either way.
    /// Doubles the connections (straight to the limit once a step scaled almost linearly, as against per-connection
    /// throttling), measures the rate over a window, keeps them when the rate rose by at least half of what they could
    /// add, else hands their ranges back.
    /// </summary>
    private async Task ControlAsync(CancellationToken cancellationToken, CancellationTokenSource failFast)
    {
        while (Interlocked.Read(ref _received) == 0)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var connections = 1;
        var linear = false;
        var (rate, waiting) = await MeasureAsync(connections, cancellationToken).ConfigureAwait(false);
        while (connections < MaxConnections && HasSplittableRange())
        {
            if (waiting < 0.5)
            {
                // The bytes are there before they are asked for: this side is the limit. Look again in a moment.
                (rate, waiting) = await MeasureAsync(connections, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var target = linear ? MaxConnections : Math.Min(2 * connections, MaxConnections);
            EnsureStateOnDisk();
            var fresh = new List<Slot>();
            while (connections + fresh.Count < target && AddConnection(steal: true, failFast) is { } slot)
            {
                fresh.Add(slot);
            }

            if (fresh.Count == 0)
            {
                return;
            }

            // Measure once every new connection is receiving (a slow handshake must not count against it).
            var settled = System.Diagnostics.Stopwatch.StartNew();
            while (settled.Elapsed < s_settleMax && fresh.Any(s => !s.Started))
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(s_settle, cancellationToken).ConfigureAwait(false);
            var (after, waitingAfter) = await MeasureAsync(connections + fresh.Count, cancellationToken).ConfigureAwait(false);
            var ideal = (double)(connections + fresh.Count) / connections;
            if (after < rate * (1 + ((ideal - 1) / 2)))
            {
                lock (_gate)
                {
                    foreach (var slot in fresh)
                    {
                        slot.Retire = true;
                    }
                }

                return;
            }

            lock (_gate)
            {
                _parallelPaysOff = true;
                // Idle connections may split ranges down to about a quarter second of one connection's rate, so the
                // last ranges do not leave most connections waiting for one.
                _tailSplit = Math.Clamp((long)(after / (connections + fresh.Count) / 4), 1L << 20, _minSplit);
            }

            linear = after >= rate * (1 + (0.8 * (ideal - 1)));
            connections += fresh.Count;
            (rate, waiting) = (after, waitingAfter);
        }
    }

    /// <summary>
    /// Bytes per second received over one window, and the share of it the <paramref name="connections"/> spent waiting
    /// for bytes (reads that found none ready), from 0 (never) to 1 (all the time).
    /// </summary>
    private async Task<(double Rate, double Waiting)> MeasureAsync(int connections, CancellationToken cancellationToken)
    {
        var since = System.Diagnostics.Stopwatch.GetTimestamp();
        var bytes0 = Interlocked.Read(ref _received);
        var wait0 = Interlocked.Read(ref _waitTicks);
        await Task.Delay(s_window, cancellationToken).ConfigureAwait(false);
        var ticks = (double)(System.Diagnostics.Stopwatch.GetTimestamp() - since);
        var seconds = ticks / System.Diagnostics.Stopwatch.Frequency;
        return ((Interlocked.Read(ref _received) - bytes0) / seconds, Math.Min(1, (Interlocked.Read(ref _waitTicks) - wait0) / (ticks * connections)));
    }

    private bool HasSplittableRange()
    {
        lock (_gate)
        {
            return _slots.Any(s => s.End - s.Pos >= 2 * _minSplit);
        }
    }

    /// <summary>Starts a connection on a range: an unassigned gap, else (when <paramref name="steal"/>) the back half of the largest range being read.</summary>
    private Slot? AddConnection(bool steal, CancellationTokenSource failFast)
    {
        lock (_gate)
        {
            var slot = Claim(steal);
            if (slot is not null)
            {
                _workers.Add(Task.Run(() => ConnectionAsync(slot, failFast.Token)));
            }

            return slot;
        }
    }

    private Slot? Claim(bool steal)
    {
        lock (_gate)
        {
            if (_unassigned.Count > 0)
            {
                var (start, end) = _unassigned[0];
                _unassigned.RemoveAt(0);
                var slot = new Slot(start, end);
                _slots.Add(slot);
                return slot;
            }

            if (!steal)
            {
                return null;
            }

            // A new connection takes at least a part; once parallel paid off, an idle one may take less (see ControlAsync).
            var least = _parallelPaysOff ? Math.Min(_tailSplit, _minSplit) : _minSplit;
            var victim = _slots.Where(s => !s.Retire).MaxBy(s => s.End - s.Pos);
            if (victim is null || victim.End - victim.Pos < 2 * least)
            {
                return null;
            }

            // Page-aligned, so the two connections never write into the same page.
            var mid = victim.Pos + (((victim.End - victim.Pos) / 2) & ~4095L);
            var taken = new Slot(mid, victim.End);
            victim.End = mid;
            _slots.Add(taken);
            return taken;
        }
    }

    /// <summary>One connection: reads its range, then more work while there is some (a gap, or a steal once parallel paid off).</summary>
    private async Task ConnectionAsync(Slot slot, CancellationToken cancellationToken)
    {
        var buffer = new ReadBuffer(_file.Size < _minSplit ? SmallFileBufferBytes : BufferBytes);
        try
        {
            for (var current = slot; current is not null;)
            {
                await FetchAsync(current, buffer, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    _slots.Remove(current);
                    current = current.Retire ? null : Claim(steal: _parallelPaysOff);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer.Bytes);
        }
    }

    /// <summary>Reads one slot to its end (which another connection may move closer), retrying a broken connection from the last byte written.</summary>
    private async Task FetchAsync(Slot slot, ReadBuffer buffer, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            long pos, end;
            lock (_gate)
            {
                (pos, end) = (slot.Pos, slot.End);
            }

            if (pos >= end)
            {
                return;
            }

            var progressed = false;
            try
            {
                using var response = await OpenAsync(pos, end, cancellationToken).ConfigureAwait(false);
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var lengthKnown = response.Content.Headers.ContentLength is not null;
                while (true)
                {
                    lock (_gate)
                    {
                        end = slot.End;
                    }

                    if (pos >= end)
                    {
                        return;
                    }

                    stall.CancelAfter(_options.StallTimeout);
                    var want = (int)Math.Min(buffer.Bytes.Length, end - pos);
                    int read;
                    try
                    {
                        // Whatever the socket has (up to the buffer): written at once, so a kill loses no more than is in flight.
                        // A read that has to wait counts toward the controller's "waiting for the link".
                        var reading = body.ReadAsync(buffer.Bytes.AsMemory(0, want), stall.Token);
                        var waitedSince = reading.IsCompleted ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
                        read = await reading.ConfigureAwait(false);
                        if (waitedSince != 0)
                        {
                            Interlocked.Add(ref _waitTicks, System.Diagnostics.Stopwatch.GetTimestamp() - waitedSince);
                        }
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new ModelIdeException(ModelIdeErrorKind.Network, $"The download of '{_file.Path}' stalled for {_options.StallTimeout.TotalSeconds:0} s.");
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                    {
                        // A cut connection; errors writing the local file are not caught here and are not retried.
                        throw new ModelIdeException(ModelIdeErrorKind.Network, $"The connection broke while downloading '{_file.Path}': {ex.Message}", ex);
                    }

                    if (read > 0)
                    {
                        var (next, kept) = Store(slot, buffer.Bytes, pos, read);
                        if (kept > 0 && _hasher is not null && await _hasher.OfferAsync(pos, buffer.Bytes, kept, cancellationToken).ConfigureAwait(false))
                        {
                            // The hasher took this buffer; read on into a fresh one.
                            buffer.Bytes = ArrayPool<byte>.Shared.Rent(buffer.Size);
                        }

                        pos = next;
                        progressed = true;
                    }
                    else
                    {
                        lock (_gate)
                        {
                            end = slot.End;
                        }

                        if (pos >= end)
                        {
                            return;
                        }

                        // A clean end of the body before the range's end: with a length header HttpClient would have
                        // thrown, so the host says this is all there is.
                        throw lengthKnown
                            ? new ModelIdeException(ModelIdeErrorKind.Network, $"The connection closed early while downloading '{_file.Path}'.")
                            : SizeMismatch(pos);
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or ModelIdeException { Kind: not ModelIdeErrorKind.IntegrityFailure } && !cancellationToken.IsCancellationRequested)
            {
                var error = ex as ModelIdeException ?? new ModelIdeException(ModelIdeErrorKind.Network, $"The connection broke while downloading '{_file.Path}': {ex.Message}", ex);
                if (_blobUri is not null && error.Kind is ModelIdeErrorKind.PermissionDenied or ModelIdeErrorKind.NotFound or ModelIdeErrorKind.AuthenticationRequired)
                {
                    // The signed blob URL we reused (or resolved ahead) may have expired: ask the hub for a fresh one, once.
                    _blobUri = null;
                    if (attempt == 1)
                    {
                        continue;
                    }
                }

                if (!_options.Retry.ShouldRetry(error, progressed ? 1 : attempt))
                {
                    throw error;
                }

                await _options.Wait(_options.Retry.DelayFor(error, progressed ? 1 : attempt), cancellationToken).ConfigureAwait(false);
            }

            if (progressed)
            {
                attempt = 0;
            }
        }
    }

    /// <summary>Writes what was read at its offset and counts it; returns the new position and how many bytes were kept.</summary>
    private (long Pos, int Kept) Store(Slot slot, byte[] buffer, long pos, int read)
    {
        int keep;
        lock (_gate)
        {
            // Another connection may have taken the end of this range while the read was in flight.
            keep = (int)Math.Min(read, slot.End - pos);
        }

        if (keep <= 0)
        {
            return (pos, 0);
        }

        RandomAccess.Write(_handle, buffer.AsSpan(0, keep), pos);
        _state.MarkWritten(pos, pos + keep);
        var next = pos + keep;
        lock (_gate)
        {
            slot.Pos = next;
            slot.Started = true;
            if (slot.Retire && _slots.Count(s => !s.Retire) > 0 && next < slot.End)
            {
                // Retired by the controller: hand the rest back to the connections that stay.
                _unassigned.Add((next, slot.End));
                _unassigned.Sort();
                slot.End = next;
            }
        }

        Interlocked.Add(ref _received, keep);
        _tracker.AddFetched(keep, _file.Path);
        if (Volatile.Read(ref _stateOnDisk) && Interlocked.Add(ref _unsaved, keep) >= _saveEvery)
        {
            Interlocked.Exchange(ref _unsaved, 0);
            _state.Save(_statePath);
        }

        return (next, keep);
    }

    /// <summary>Requests [<paramref name="pos"/>, <paramref name="end"/>) and checks the answer fits the listing before a byte is kept.</summary>
    private async Task<HttpResponseMessage> OpenAsync(long pos, long end, CancellationToken cancellationToken)
    {
        var whole = pos == 0 && end == _file.Size;
        var response = await _fetcher.OpenAsync(_blobUri ?? _hubUri, pos, whole ? null : end - 1, cancellationToken).ConfigureAwait(false);
        try
        {
            var headers = response.Content.Headers;
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                throw headers.ContentRange?.Length is { } real && real != _file.Size
                    ? SizeMismatch(real)
                    : new ModelIdeException(ModelIdeErrorKind.IntegrityFailure, $"The blob host refused the range {pos}-{end - 1} of '{_file.Path}' ({_file.Size:N0} bytes listed).");
            }

            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                if (headers.ContentRange is not { From: { } from } range)
                {
                    throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"The blob host answered a range of '{_file.Path}' without saying which (no Content-Range).");
                }

                if (range.Length is { } total && total != _file.Size)
                {
                    throw SizeMismatch(total);
                }

                if (from != pos)
                {
                    throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"The blob host answered range {from}- for a request of {pos}-.");
                }
            }
            else if (headers.ContentLength is { } length && length != _file.Size)
            {
                throw SizeMismatch(length);
            }
            else if (!whole)
            {
                throw new RangesIgnoredException();
            }

            var final = response.RequestMessage?.RequestUri;
            if (final is not null && (final.Host != _hubUri.Host || final.Port != _hubUri.Port))
            {
                // Later connections go straight to the blob URL the hub signed (no redirect round trip, no token).
                _blobUri = final;
            }

            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private ModelIdeException SizeMismatch(long real) => new(
        ModelIdeErrorKind.IntegrityFailure,
        string.Create(CultureInfo.InvariantCulture, $"The hub lists '{_file.Path}' as {_file.Size:N0} bytes, but the blob host has {real:N0} bytes. Nothing of it was kept; try again later or report it to the hub."));

    private void SaveState()
    {
        if (Volatile.Read(ref _stateOnDisk))
        {
            _state.Save(_statePath);
        }
    }

    /// <summary>Puts the state on disk (once), before anything is written out of order.</summary>
    private void EnsureStateOnDisk()
    {
        if (!Volatile.Read(ref _stateOnDisk))
        {
            _state.Save(_statePath);
            Volatile.Write(ref _stateOnDisk, true);
        }
    }

    /// <summary>A range one connection reads: [<see cref="Pos"/>, <see cref="End"/>); End only moves down (another connection took the rest).</summary>
    private sealed class Slot(long start, long end)
    {
        public long Pos { get; set; } = start;

        public long End { get; set; } = end;

        /// <summary>Set by the controller: stop after the current read and hand the rest back.</summary>
        public bool Retire { get; set; }

        /// <summary>The first bytes of this range have arrived.</summary>
        public bool Started { get; set; }
    }

    private sealed class RangesIgnoredException() : Exception("The blob host ignored a Range header.");

    /// <summary>A connection's read buffer; replaced when the hasher takes the filled one.</summary>
    /// <param name="size">
    /// One of two sizes, not each file's own: the pool then hands the same few buffers back, already faulted in (sized to
    /// each file, a folder of small files asked it for a fresh buffer of each size, whose pages faulted on first read).
    /// </param>
    private sealed class ReadBuffer(int size)
    {
        public int Size => size;

        public byte[] Bytes { get; set; } = ArrayPool<byte>.Shared.Rent(size);
    }
}
