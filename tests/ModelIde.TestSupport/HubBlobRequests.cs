using System.Globalization;
using ModelIde.Hub;

namespace ModelIde.TestSupport;

/// <summary>Reading the local hub's blob request log.</summary>
public static class HubBlobRequests
{
    /// <summary>
    /// What loopback socket buffers can hold between the hub and a killed process that had stopped reading (a starved
    /// CPU): sent by the hub, lost with the process. The same for any client that streams, curl included.
    /// </summary>
    public const long SocketBuffers = 2 << 20;

    /// <summary>Bytes the blob host was asked for (an upper bound on what it served): a range's length, else the whole file.</summary>
    public static long RequestedBytes(HubRequest r, long size)
    {
        if (r.Range is null)
        {
            return size;
        }

        var spec = r.Range["bytes=".Length..].Split('-');
        var start = long.Parse(spec[0], CultureInfo.InvariantCulture);
        var end = spec[1].Length == 0 ? size - 1 : long.Parse(spec[1], CultureInfo.InvariantCulture);
        return end - start + 1;
    }
}
