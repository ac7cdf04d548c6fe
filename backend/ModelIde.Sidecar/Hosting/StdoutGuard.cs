using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ModelIde.Sidecar.Hosting;

/// <summary>
/// Keeps the sidecar's stdout for JSON-RPC alone. Hands out a stream on the real stdout, then points Console.Out and,
/// on Linux and macOS, file descriptor 1 itself at stderr: a library's <c>Console.WriteLine</c> or a native
/// <c>printf</c> lands in the log instead of breaking the message framing (Roslyn's host does the managed half).
/// </summary>
public static partial class StdoutGuard
{
    public static Stream TakeStdout()
    {
        Stream rpc;
        if (OperatingSystem.IsWindows())
        {
            rpc = Console.OpenStandardOutput();
        }
        else
        {
            var fd = Dup(1);
            if (fd < 0 || Dup2(2, 1) < 0)
            {
                throw new IOException($"Cannot move stdout aside for JSON-RPC (errno {Marshal.GetLastPInvokeError()}).");
            }

            rpc = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        }

        Console.SetOut(Console.Error);
        return rpc;
    }

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int fd, int target);
}
