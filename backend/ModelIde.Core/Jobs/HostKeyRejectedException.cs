namespace ModelIde.Core.Jobs;

/// <summary>
/// An SSH host key that is not trusted: unknown (<see cref="SshConnection.UnknownHostKeyCode"/>) or different from the
/// trusted one (<see cref="SshConnection.HostKeyMismatchCode"/>). Carries what the user must compare before trusting it.
/// </summary>
public sealed class HostKeyRejectedException(string message, string host, int port, string fingerprint, Exception? inner = null)
    : ModelIdeException(ModelIdeErrorKind.RemoteFailure, message, inner)
{
    public string Host { get; } = host;

    public int Port { get; } = port;

    /// <summary><c>SHA256:...</c>, as ssh-keygen -l prints it.</summary>
    public string Fingerprint { get; } = fingerprint;
}
