using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>
/// A loopback port in front of the test sshd that a test can cut and restore, so that a job's host "goes away" for
/// that test only (the shared sshd keeps serving everyone else). Stopped, the port refuses connections and every
/// relayed connection is closed; started again, it listens on the same port. Silenced, it forwards nothing either way
/// but keeps every connection open and accepts new ones, as a dropped VPN or a pulled cable looks to a client (no
/// reset, no answer); resumed, what was held flows on, as TCP would deliver it once the link is back.
/// </summary>
internal sealed class TcpRelay : IDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _cts;
    private volatile TaskCompletionSource _flowing = Flowing();

    public TcpRelay(string targetHost, int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Parse(targetHost), targetPort);
        Start();
        Port = ((IPEndPoint)_listener!.LocalEndpoint).Port;
    }

    public int Port { get; private set; }

    public void Start()
    {
        if (_listener is not null)
        {
            return;
        }

        var listener = new TcpListener(IPAddress.Loopback, Port);
        // The port comes back while the connections cut by Stop are still in TIME_WAIT.
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _cts = new CancellationTokenSource();
        _ = AcceptLoopAsync(listener, _cts.Token);
    }

    public void Stop()
    {
        _cts?.Cancel();
        _listener?.Stop();
        _listener = null;
        foreach (var s in _open.Keys)
        {
            Close(s);
        }
    }

    public void Silence() => _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Resume() => _flowing.TrySetResult();

    public void Dispose()
    {
        Resume();
        Stop();
        _cts?.Dispose();
    }

    /// <summary>A loopback port with nothing listening.</summary>
    public static int ClosedPort() => LoopbackPorts.Unused();

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken ct)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(_target, ct);
            using var a = new NetworkStream(client, ownsSocket: false);
            using var b = new NetworkStream(server, ownsSocket: false);
            await Task.WhenAny(PumpAsync(a, b, ct), PumpAsync(b, a, ct));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            Close(client);
            Close(server);
        }
    }

    private async Task PumpAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, ct)) > 0)
        {
            await _flowing.Task.WaitAsync(ct);
            await to.WriteAsync(buffer.AsMemory(0, n), ct);
        }
    }

    private static TaskCompletionSource Flowing()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }

    private void Close(Socket s)
    {
        _open.TryRemove(s, out _);
        try
        {
            // An abortive close (RST): the SSH client sees the connection end at once.
            s.LingerState = new LingerOption(true, 0);
            s.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
