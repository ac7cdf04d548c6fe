using System.Diagnostics;

namespace ModelIde.Core.Downloads;

/// <summary>Totals, speed over the last few seconds, and throttled callbacks (a finished file too: a folder of small
/// files would otherwise send one per file, hundreds a second through the sidecar to the extension; the downloader
/// reports the final totals unthrottled).</summary>
internal sealed class DownloadProgressTracker(int filesTotal, long bytesTotal, TimeSpan interval, Action<DownloadProgress>? callback)
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
        Report(file, force: false);
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
