using System.Net;
using System.Net.Sockets;

namespace ModelIde.Core.Tests;

/// <summary>Loopback ports for the tests' own servers.</summary>
public static class LoopbackPorts
{
    private const int Attempts = 20;

    /// <summary>A 127.0.0.1 port with nothing listening now (bound once by the kernel's choice, then released).</summary>
    public static int Unused()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>
    /// Starts an <see cref="HttpListener"/> on a free 127.0.0.1 port. HttpListener cannot bind port 0, so a port is
    /// probed first; with tests running in parallel, an outgoing connection or another server can take that port before
    /// the listener binds it ("Address already in use"), so a failed start probes a new port with a new listener.
    /// </summary>
    public static (HttpListener Listener, int Port) StartHttpListener()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Unused();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < Attempts)
            {
                listener.Close(); // the port was taken between probing and binding
            }
        }
    }
}
