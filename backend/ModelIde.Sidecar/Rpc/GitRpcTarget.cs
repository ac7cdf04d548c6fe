using System.Diagnostics;
using ModelIde.Core.Git;
using ModelIde.Core.Models;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary><c>git/*</c>: clones with the session's git token (sent only to the hub, never in the URL or .git/config).</summary>
public sealed class GitRpcTarget(SidecarContext context) : IRpcTarget
{
    [JsonRpcMethod(GitMethods.Clone, UseSingleObjectParameterDeserialization = true)]
    public async Task<GitCloneResult> CloneAsync(GitCloneParams p, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(p.ModelId);
        if (string.IsNullOrWhiteSpace(p.TargetDir))
        {
            throw new Core.ModelIdeException(ModelIdeErrorKind.InvalidInput, "targetDir is required.");
        }

        var clock = Stopwatch.StartNew();
        var lastMs = double.NegativeInfinity;
        var token = context.Session.GitToken ?? context.Session.AccessToken;
        var clone = new GitCloner { SkipLfs = p.SkipLfs }.CloneAsync(context.Session.Endpoint, id, p.TargetDir, p.Revision, token, progress =>
        {
            // About 5 notifications per second at most.
            if (clock.Elapsed.TotalMilliseconds - lastMs < 200 && progress.Percent < 100)
            {
                return;
            }

            lastMs = clock.Elapsed.TotalMilliseconds;
            _ = context.Notifier.NotifyAsync(GitMethods.Progress, new GitProgressParams(
                p.ModelId, progress.Phase, progress.Percent, progress.Done, progress.Total));
        }, cancellationToken);
        try
        {
            return new GitCloneResult(await clone.ConfigureAwait(false));
        }
        catch (Core.ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.AuthenticationRequired)
        {
            // git refused the session's own credentials: the session is over, as after a 401 on an API call.
            context.Session.ReportRejected(token, ex.Message);
            throw;
        }
    }
}
