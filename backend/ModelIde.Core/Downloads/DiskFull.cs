using System.Globalization;

namespace ModelIde.Core.Downloads;

/// <summary>Recognises "no space left" from the file system and turns it into a <see cref="ModelIdeErrorKind.DiskFull"/> error.</summary>
internal static class DiskFull
{
    // .NET puts the raw errno in HResult on Unix (ENOSPC 28; EDQUOT 122 on Linux, 69 on macOS) and the Win32 HRESULT on Windows.
    private const int Enospc = 28;
    private const int EdquotLinux = 122;
    private const int EdquotMac = 69;
    private const int WinDiskFull = unchecked((int)0x80070070);
    private const int WinHandleDiskFull = unchecked((int)0x80070027);

    public static bool Is(Exception ex) => ex is IOException io && (OperatingSystem.IsWindows()
        ? io.HResult is WinDiskFull or WinHandleDiskFull
        : io.HResult == Enospc || (OperatingSystem.IsLinux() && io.HResult == EdquotLinux) || (OperatingSystem.IsMacOS() && io.HResult == EdquotMac));

    public static ModelIdeException Error(string file, string folder, long bytesLeft, IOException ex)
    {
        var free = FreeBytes(folder) is { } bytes ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MB free, ") : "";
        var left = string.Create(CultureInfo.InvariantCulture, $"{bytesLeft / 1048576.0:0.0} MB of the download still to come");
        return new ModelIdeException(
            ModelIdeErrorKind.DiskFull,
            $"The disk is full: no space left to write '{file}' into {folder} ({free}{left}). Free some space (or choose another cache folder) and download again; it resumes from the bytes already on disk.",
            ex);
    }

    private static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
