namespace ModelIde.Core.Downloads;

/// <summary>
/// An exclusive lock on a <c>.lock</c> file (FileShare.None: flock LOCK_EX, as the SDK's filelock takes it), held
/// across processes: two downloads of the same file (two CLI runs, the CLI and the sidecar, the SDK) take turns instead
/// of writing the same partial file.
/// </summary>
public sealed class CrossProcessFileLock : IDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;

    private CrossProcessFileLock(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        _handle = handle;
    }

    public static CrossProcessFileLock? TryAcquire(string path)
    {
        // A plain handle (no stream to position), and the folder made only when it is missing: one lock per file of a
        // download, so a folder of many small files pays for each extra system call.
        try
        {
            return new CrossProcessFileLock(Open(path));
        }
        catch (DirectoryNotFoundException)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (IOException)
        {
            return null;
        }

        try
        {
            return new CrossProcessFileLock(Open(path));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle Open(string path) =>
        File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

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

    public void Dispose() => _handle.Dispose();
}
