namespace ModelIde.Protocol;

/// <summary><c>git/*</c>: clone a model repository (docs/protocol.md).</summary>
public static class GitMethods
{
    /// <summary>git clone with the session's git token passed through GIT_ASKPASS (never in the URL, argv or <c>.git/config</c>).</summary>
    [RpcRequest(typeof(GitCloneParams), typeof(GitCloneResult), IsLong = true)]
    public const string Clone = "git/clone";

    /// <summary>git's own <c>--progress</c> lines, at most about 5 per second per clone.</summary>
    [RpcNotification(typeof(GitProgressParams))]
    public const string Progress = "git/progress";
}

public sealed record GitCloneParams(string ModelId, string TargetDir, string? Revision = null);

public sealed record GitCloneResult(string Path);

/// <param name="Phase">git's own name of the step ("Receiving objects").</param>
public sealed record GitProgressParams(string ModelId, string Phase, int Percent, long? Done, long? Total);
