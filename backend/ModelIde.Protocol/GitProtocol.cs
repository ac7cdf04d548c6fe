namespace ModelIde.Protocol;

/// <summary><c>git/*</c>: clone a model repository (docs/protocol.md).</summary>
public static class GitMethods
{
    /// <summary>git clone with its LFS files; the session's git token goes only to the hub's own address (a credential helper; never in the URL, argv or <c>.git/config</c>).</summary>
    [RpcRequest(typeof(GitCloneParams), typeof(GitCloneResult), IsLong = true)]
    public const string Clone = "git/clone";

    /// <summary>git's own <c>--progress</c> lines, at most about 5 per second per clone.</summary>
    [RpcNotification(typeof(GitProgressParams))]
    public const string Progress = "git/progress";
}

/// <param name="SkipLfs">Leave LFS files (weights) as pointers instead of downloading them.</param>
public sealed record GitCloneParams(string ModelId, string TargetDir, string? Revision = null, bool SkipLfs = false);

public sealed record GitCloneResult(string Path);

/// <param name="Phase">git's own name of the step ("Receiving objects").</param>
public sealed record GitProgressParams(string ModelId, string Phase, int Percent, long? Done, long? Total);
