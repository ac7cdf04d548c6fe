namespace ModelIde.Protocol;

/// <summary><c>git/*</c>: clone a model repository (docs/protocol.md).</summary>
public static class GitMethods
{
    /// <summary>Request (long). git clone with the session's git token passed through GIT_ASKPASS; cancel with <c>$/cancelRequest</c>.</summary>
    public const string Clone = "git/clone";

    /// <summary>Notification, sidecar → client, at most about 5 per second per clone.</summary>
    public const string Progress = "git/progress";
}

public sealed record GitCloneParams(string ModelId, string TargetDir, string? Revision = null);

public sealed record GitCloneResult(string Path);

/// <summary>One of git's <c>--progress</c> lines: <paramref name="Phase"/> is git's own ("Receiving objects").</summary>
public sealed record GitProgressParams(string ModelId, string Phase, int Percent, long? Done, long? Total);
