using System.Runtime.InteropServices;

#pragma warning disable CA1050 // The runtime finds a startup hook by this exact name, in no namespace.

/// <summary>
/// Loaded into a real sidecar by DOTNET_STARTUP_HOOKS (SidecarProcessTests): plays a library that writes to the
/// console. Once the file named by MODELIDE_TEST_CONSOLE_NOISE exists (the test creates it when the sidecar answers),
/// it writes through Console.Out and through file descriptor 1 itself (as native code would), every few milliseconds.
/// </summary>
public static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable("MODELIDE_TEST_CONSOLE_NOISE") is not { Length: > 0 } signal)
        {
            return;
        }

        new Thread(() =>
        {
            while (!File.Exists(signal))
            {
                Thread.Sleep(1);
            }

            var native = "native noise on fd 1\n"u8.ToArray();
            for (var i = 0; ; i++)
            {
                Console.WriteLine($"console noise {i}");
                Console.Out.Flush();
                _ = Write(1, native, native.Length);
                Thread.Sleep(2);
            }
        })
        { IsBackground = true, Name = "console noise" }.Start();
    }

    [DllImport("libc", EntryPoint = "write")]
    private static extern nint Write(int fd, byte[] buffer, nint count);
}
