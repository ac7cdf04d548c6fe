namespace ModelIde.Core.Downloads;

/// <summary>
/// An exclusive lock on a <c>.lock</c> file (FileShare.None), held across processes: two downloads of the same file
/// (two CLI runs, the CLI and the sidecar) take turns instead of writing the same <c>.incomplete</c> file.
/// </summary>
public sealed class CrossProcessFileLock : IDisposable
{
    private readonly FileStream _stream;

    private CrossProcessFileLock(FileStream stream)
    {
        _stream = stream;
    }

    public static CrossProcessFileLock? TryAcquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            return new CrossProcessFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits (polling) until the lock is free; a killed holder releases it with its process.</summary>
    public static async Task<CrossProcessFileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (TryAcquire(path) is { } acquired)
            {
                return acquired;
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    public void Dispose() => _stream.Dispose();
}
