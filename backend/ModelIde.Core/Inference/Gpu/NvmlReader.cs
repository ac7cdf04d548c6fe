using System.Runtime.InteropServices;
using System.Text;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>
/// Reads GPUs through NVML, the management library every NVIDIA driver installs (libnvidia-ml.so.1 / nvml.dll).
/// Loaded with <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>, so its absence is an answer, not a crash.
/// Signatures as in nvml.h (cross-checked with the bindings in Debian's librust-nvml-wrapper-sys-dev 0.7.0).
/// </summary>
internal static class NvmlReader
{
    private const int Success = 0;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int NoArgs();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetString(byte[] buffer, uint length);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetInt(out int value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetUInt(out uint value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetHandle(uint index, out IntPtr device);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int DeviceString(IntPtr device, byte[] buffer, uint length);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int DeviceMemory(IntPtr device, out NvmlMemory memory);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int DeviceCapability(IntPtr device, out int major, out int minor);

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    /// <summary>The report, or null with a note saying why NVML did not answer.</summary>
    public static NvidiaDriverReport? TryRead(IReadOnlyList<string> candidates, out string? note)
    {
        IntPtr handle = IntPtr.Zero;
        string? loaded = null;
        foreach (var name in candidates)
        {
            if (NativeLibrary.TryLoad(name, out handle))
            {
                loaded = name;
                break;
            }
        }

        if (loaded is null)
        {
            note = $"NVML ({candidates.FirstOrDefault()}) not found";
            return null;
        }

        try
        {
            var init = Export<NoArgs>(handle, "nvmlInit_v2");
            var shutdown = Export<NoArgs>(handle, "nvmlShutdown");
            if (init is null || shutdown is null)
            {
                note = $"{loaded} has no nvmlInit_v2";
                return null;
            }

            var rc = init();
            if (rc != Success)
            {
                // 9 = NVML_ERROR_DRIVER_NOT_LOADED, 18 = NVML_ERROR_LIB_RM_VERSION_MISMATCH (driver updated, not rebooted).
                note = rc switch
                {
                    9 => "NVML: the NVIDIA kernel driver is not loaded",
                    18 => "NVML: the NVIDIA driver and its user-space libraries differ in version (reboot after a driver update?)",
                    _ => $"NVML could not start (nvmlInit_v2 returned {rc})",
                };
                return null;
            }

            try
            {
                note = null;
                return ReadDevices(handle, loaded);
            }
            finally
            {
                shutdown();
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or MarshalDirectiveException or AccessViolationException)
        {
            note = $"NVML failed: {e.Message}";
            return null;
        }
        finally
        {
            NativeLibrary.Free(handle);
        }
    }

    private static NvidiaDriverReport ReadDevices(IntPtr handle, string source)
    {
        string? driver = null;
        if (Export<GetString>(handle, "nvmlSystemGetDriverVersion") is { } getDriver)
        {
            var buffer = new byte[80];
            if (getDriver(buffer, (uint)buffer.Length) == Success)
            {
                driver = CString(buffer);
            }
        }

        int? cuda = null;
        if (Export<GetInt>(handle, "nvmlSystemGetCudaDriverVersion_v2") is { } getCuda && getCuda(out var cudaVersion) == Success)
        {
            cuda = cudaVersion;
        }

        var gpus = new List<NvidiaGpu>();
        var count = Export<GetUInt>(handle, "nvmlDeviceGetCount_v2");
        var byIndex = Export<GetHandle>(handle, "nvmlDeviceGetHandleByIndex_v2");
        if (count is null || byIndex is null || count(out var n) != Success)
        {
            return new NvidiaDriverReport(gpus, driver, cuda, source, null);
        }

        var getName = Export<DeviceString>(handle, "nvmlDeviceGetName");
        var getMemory = Export<DeviceMemory>(handle, "nvmlDeviceGetMemoryInfo");
        var getCapability = Export<DeviceCapability>(handle, "nvmlDeviceGetCudaComputeCapability");
        for (var i = 0u; i < n; i++)
        {
            if (byIndex(i, out var device) != Success)
            {
                continue;
            }

            var name = "NVIDIA GPU";
            var nameBuffer = new byte[96];
            if (getName is not null && getName(device, nameBuffer, (uint)nameBuffer.Length) == Success)
            {
                name = CString(nameBuffer);
            }

            long? total = null;
            long? free = null;
            if (getMemory is not null && getMemory(device, out var memory) == Success)
            {
                total = (long)memory.Total;
                free = (long)memory.Free;
            }

            string? capability = null;
            if (getCapability is not null && getCapability(device, out var major, out var minor) == Success)
            {
                capability = $"{major}.{minor}";
            }

            gpus.Add(new NvidiaGpu(name, total, free, capability, null));
        }

        return new NvidiaDriverReport(gpus, driver, cuda, source, null);
    }

    private static T? Export<T>(IntPtr handle, string name) where T : Delegate =>
        NativeLibrary.TryGetExport(handle, name, out var address) ? Marshal.GetDelegateForFunctionPointer<T>(address) : null;

    private static string CString(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end).Trim();
    }
}
