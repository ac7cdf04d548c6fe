using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace ModelIde.Core.Jobs;

public sealed record RemoteCommandResult(int ExitStatus, string Stdout, string Stderr);

/// <summary>
/// One SSH session (exec + SFTP) to a job host, with host-key checking against <see cref="KnownHostsFile"/> and
/// key authentication. An unknown host is refused with <c>ServerCode = "UnknownHostKey"</c> and the fingerprint in the
/// message, so the UI can ask the user and call trust. Reconnects when the session dropped.
/// </summary>
public sealed class SshConnection : IDisposable
{
    public const string UnknownHostKeyCode = "UnknownHostKey";
    public const string HostKeyMismatchCode = "HostKeyMismatch";

    private readonly JobBackendAddress _address;
    private readonly string? _identityFile;
    private readonly KnownHostsFile _knownHosts;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private SshClient? _ssh;
    private SftpClient? _sftp;
    private string? _rejectedFingerprint;
    private HostKeyStatus _rejectedStatus;
    private bool _disposed;

    public SshConnection(JobBackendAddress address, string? identityFile, KnownHostsFile knownHosts)
    {
        _address = address;
        _identityFile = identityFile;
        _knownHosts = knownHosts;
    }

    /// <summary>Default connect timeout: $MODELIDE_SSH_CONNECT_TIMEOUT_SECONDS, else 20 s.</summary>
    public static TimeSpan DefaultConnectTimeout =>
        int.TryParse(Environment.GetEnvironmentVariable("MODELIDE_SSH_CONNECT_TIMEOUT_SECONDS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) && s is > 0 and <= 600
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.FromSeconds(20);

    public JobBackendAddress Address => _address;

    /// <summary>Longest wait for a connection: name lookup, TCP connect, the server's greeting, key exchange and login together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public async Task<RemoteCommandResult> RunAsync(string command, string? stdin, CancellationToken cancellationToken)
    {
        var ssh = await GetSshAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = ssh.CreateCommand(command);
        cmd.CommandTimeout = CommandTimeout;
        Task? execution = null;
        try
        {
            // Opening the channel and sending the request wait for the server's reply up to the connect timeout, inside
            // ExecuteAsync and before it returns: a host gone silent (a dropped VPN, a suspended laptop) ends there.
            execution = cmd.ExecuteAsync(cancellationToken);
            if (stdin is not null)
            {
                // Only commands that read stdin get one: a command that already finished has no input stream to open.
                using var input = cmd.CreateInputStream();
                await input.WriteAsync(Encoding.UTF8.GetBytes(stdin), cancellationToken).ConfigureAwait(false);
            }

            await execution.ConfigureAwait(false);
            return new RemoteCommandResult(cmd.ExitStatus ?? -1, cmd.Result, cmd.Error);
        }
        catch (SshOperationTimeoutException ex)
        {
            // Either way the session may be dead: the next call connects again rather than waiting on it.
            Drop(ref _ssh, ssh);
            throw execution is null
                ? StoppedAnswering(ex)
                : new ModelIdeException(ModelIdeErrorKind.Network, $"A command on {_address.Host} timed out after {CommandTimeout.TotalSeconds:0} s.", ex) { ServerCode = "CommandTimeout" };
        }
        catch (Exception ex) when (IsSessionLost(ex))
        {
            Drop(ref _ssh, ssh);
            throw Lost(ex);
        }
    }

    private static bool IsSessionLost(Exception ex) => ex is SshConnectionException or SocketException or SshException && ex is not SshAuthenticationException;

    private ModelIdeException Lost(Exception ex) =>
        new(ModelIdeErrorKind.Network, $"The SSH connection to {_address.Host}:{_address.Port} was lost: {ex.Message}", ex) { ServerCode = "ConnectionLost" };

    private ModelIdeException StoppedAnswering(Exception ex)
    {
        var seconds = ConnectTimeout.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        return new(ModelIdeErrorKind.Network, $"The SSH connection to {_address.Host}:{_address.Port} stopped answering: the server did not reply within {seconds} s.", ex) { ServerCode = "SessionTimeout" };
    }

    /// <summary>
    /// Runs SFTP work (an upload, a folder download) on this host's SFTP session. Each request waits for its reply up to
    /// the connect timeout (SSH.NET's default is forever: a fetch over a dropped VPN would never end); a silent or cut
    /// link ends as a network error naming the host, and the next call connects again. Path and permission errors
    /// from the server pass through as they are.
    /// </summary>
    public async Task<T> SftpAsync<T>(Func<SftpClient, Task<T>> work, CancellationToken cancellationToken)
    {
        var sftp = await GetSftpAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(sftp).ConfigureAwait(false);
        }
        catch (SshOperationTimeoutException ex)
        {
            Drop(ref _sftp, sftp);
            throw StoppedAnswering(ex);
        }
        catch (Exception ex) when (ex is SshConnectionException or SocketException)
        {
            Drop(ref _sftp, sftp);
            throw Lost(ex);
        }
    }

    public Task SftpAsync(Func<SftpClient, Task> work, CancellationToken cancellationToken) =>
        SftpAsync(async sftp =>
        {
            await work(sftp).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private async Task<SftpClient> GetSftpAsync(CancellationToken cancellationToken)
    {
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sftp is { IsConnected: true })
            {
                return _sftp;
            }

            _sftp?.Dispose();
            _sftp = new SftpClient(CreateConnectionInfo()) { OperationTimeout = ConnectTimeout };
            _sftp.HostKeyReceived += OnHostKeyReceived;
            await ConnectAsync(_sftp, cancellationToken).ConfigureAwait(false);
            return _sftp;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Connects once to learn the host key's fingerprint (for a trust prompt), without trusting it.</summary>
    public static async Task<(string KeyType, string Fingerprint)> ProbeHostKeyAsync(string host, int port, CancellationToken cancellationToken, TimeSpan? connectTimeout = null)
    {
        string? type = null, fp = null;
        var timeout = connectTimeout ?? DefaultConnectTimeout;
        using var probe = new SshClient(new ConnectionInfo(host, port, "probe", new NoneAuthenticationMethod("probe")) { Timeout = timeout });
        probe.HostKeyReceived += (_, e) =>
        {
            type = e.HostKeyName;
            fp = "SHA256:" + e.FingerPrintSHA256;
            e.CanTrust = false;
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await probe.ConnectAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SshException || IsUnreachable(ex, cancellationToken))
        {
            // Refusing the key ends the handshake: with a fingerprint, that is the expected end.
            if (fp is null)
            {
                throw Unreachable(host, port, timeout, ex);
            }
        }

        return (type ?? "ssh-key", fp ?? throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"{host}:{port} sent no host key."));
    }

    public void Dispose()
    {
        _disposed = true;
        Drop(ref _ssh, _ssh);
        Drop(ref _sftp, _sftp);
        _connectGate.Dispose();
    }

    private async Task<SshClient> GetSshAsync(CancellationToken cancellationToken)
    {
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_ssh is { IsConnected: true })
            {
                return _ssh;
            }

            _ssh?.Dispose();
            _ssh = new SshClient(CreateConnectionInfo());
            _ssh.HostKeyReceived += OnHostKeyReceived;
            _ssh.KeepAliveInterval = TimeSpan.FromSeconds(30);
            await ConnectAsync(_ssh, cancellationToken).ConfigureAwait(false);
            return _ssh;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task ConnectAsync(BaseClient client, CancellationToken cancellationToken)
    {
        _rejectedFingerprint = null;
        // SSH.NET's own timeout covers each step; this deadline bounds the whole connect (DNS included).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectTimeout);
        try
        {
            await client.ConnectAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (SshConnectionException ex) when (_rejectedFingerprint is not null)
        {
            var target = $"{_address.Host}:{_address.Port}";
            throw _rejectedStatus == HostKeyStatus.Mismatch
                ? new HostKeyRejectedException(
                    $"The host key of {target} ({_rejectedFingerprint}) does not match the one trusted before. It may have been reinstalled, or someone is intercepting the connection; check with the server's administrator before trusting it again.", _address.Host, _address.Port, _rejectedFingerprint, ex)
                { ServerCode = HostKeyMismatchCode }
                : new HostKeyRejectedException(
                    $"Unknown SSH host {target}: its host key fingerprint is {_rejectedFingerprint}. Compare it with the server's ('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' there) and trust it to continue (VS Code asks; CLI: modelide jobs trust-host {_address.Host}:{_address.Port} --fingerprint {_rejectedFingerprint}).", _address.Host, _address.Port, _rejectedFingerprint, ex)
                { ServerCode = UnknownHostKeyCode };
        }
        catch (SshAuthenticationException ex)
        {
            throw new ModelIdeException(ModelIdeErrorKind.PermissionDenied,
                $"SSH key authentication as {_address.User}@{_address.Host}:{_address.Port} failed ({ex.Message}). Check the identity file and the server's authorized_keys.", ex);
        }
        catch (Exception ex) when (IsUnreachable(ex, cancellationToken))
        {
            throw Unreachable(_address.Host, _address.Port, ConnectTimeout, ex);
        }
    }

    /// <summary>A connect failure that says the host cannot be reached now (as opposed to a refused key or login).</summary>
    private static bool IsUnreachable(Exception ex, CancellationToken callerToken) =>
        ex is SocketException or SshConnectionException or SshOperationTimeoutException or TimeoutException
        || (ex is OperationCanceledException && !callerToken.IsCancellationRequested);

    /// <summary>"Cannot connect to host:port: &lt;cause&gt;." with the cause in words (refused, timed out, not resolved, ...).</summary>
    internal static ModelIdeException Unreachable(string host, int port, TimeSpan timeout, Exception ex)
    {
        var seconds = timeout.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        var socket = ex as SocketException ?? ex.InnerException as SocketException;
        var (code, cause) = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => ("ConnectionRefused", "connection refused (nothing listens on that port, or the SSH server is down)"),
            SocketError.HostNotFound or SocketError.NoData => ("HostNotFound", "the host name could not be resolved (check its spelling and your DNS or VPN)"),
            SocketError.TryAgain => ("HostNotFound", "the host name could not be resolved right now (DNS did not answer)"),
            SocketError.TimedOut => ("ConnectTimeout", $"timed out after {seconds} s (no answer from the host)"),
            SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => ("HostUnreachable", $"no route to the host ({socket.Message})"),
            SocketError.ConnectionReset or SocketError.ConnectionAborted => ("ConnectionReset", "the connection was closed by the other side during the SSH handshake"),
            not null => ("NetworkError", socket.Message),
            null => ex switch
            {
                SshOperationTimeoutException or TimeoutException or OperationCanceledException =>
                    ("ConnectTimeout", $"timed out after {seconds} s without an SSH greeting (the host, a firewall or a non-SSH service on that port does not answer)"),
                SshConnectionException => ("ConnectionReset", $"the connection was closed during the SSH handshake ({ex.Message})"),
                _ => ("NetworkError", ex.Message),
            },
        };
        return new ModelIdeException(ModelIdeErrorKind.Network, $"Cannot connect to {host}:{port}: {cause}.", ex) { ServerCode = code };
    }

    private void OnHostKeyReceived(object? sender, HostKeyEventArgs e)
    {
        var fp = "SHA256:" + e.FingerPrintSHA256;
        var status = _knownHosts.Check(_address.Host, _address.Port, fp);
        e.CanTrust = status == HostKeyStatus.Trusted;
        if (!e.CanTrust)
        {
            _rejectedFingerprint = fp;
            _rejectedStatus = status;
        }
    }

    private ConnectionInfo CreateConnectionInfo()
    {
        var keyPath = _identityFile ?? DefaultIdentityFile()
            ?? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "No SSH identity file: pass one (identityFile / --identity) or create ~/.ssh/id_ed25519.");
        if (!File.Exists(keyPath))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"SSH identity file '{keyPath}' does not exist.");
        }

        PrivateKeyFile key;
        try
        {
            key = new PrivateKeyFile(keyPath);
        }
        catch (Exception ex) when (ex is SshException or InvalidOperationException or ArgumentException)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Cannot read SSH identity file '{keyPath}' (a passphrase-protected key needs ssh-agent, which is not supported yet): {ex.Message}", ex);
        }

        return new ConnectionInfo(_address.Host, _address.Port, _address.User, new PrivateKeyAuthenticationMethod(_address.User, key))
        {
            Timeout = ConnectTimeout,
        };
    }

    private static string? DefaultIdentityFile()
    {
        var ssh = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
        return new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(ssh, n)).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Disposes a client that failed, and forgets it unless another call has already put a fresh one in its place.
    /// The exec and SFTP sessions are separate connections: one failing leaves the other to fail on its own.
    /// </summary>
    private static void Drop<T>(ref T? field, T? failed)
        where T : BaseClient
    {
        if (failed is null)
        {
            return;
        }

        Interlocked.CompareExchange(ref field, null, failed);
        try
        {
            failed.Dispose();
        }
        catch (Exception ex) when (ex is SshException or ObjectDisposedException or SocketException)
        {
        }
    }
}
