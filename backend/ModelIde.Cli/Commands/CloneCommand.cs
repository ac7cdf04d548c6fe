using System.CommandLine;
using ModelIde.Core;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.Git;
using ModelIde.Core.Models;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide clone OWNER/NAME DIR</c>: git clone without putting the token in the URL or .git/config.</summary>
public sealed class CloneCommand() : CliCommand("clone", "git clone a model repository with its LFS files (the token goes only to the hub, never into .git).")
{
    private readonly Argument<string> _model = CliOptions.Required("OWNER/NAME", "the model repository");
    private readonly Argument<string> _dir = CliOptions.Required("DIR", "the folder to clone into");
    private readonly Option<string?> _revision = CliOptions.Text("--revision", "R", "branch or tag to check out (default master)");
    private readonly Option<bool> _noLfs = CliOptions.Flag("--no-lfs", "leave LFS files (weights) as pointers instead of downloading them");
    private readonly HubConnectionOptions _hub = new();

    public override string Notes => """
        With a token, the git token comes from POST /api/v1/login (the SDK token is used when that fails). git gets it
        from a credential helper that answers only the hub's own address, and follows no redirect. LFS files are fetched
        with git-lfs from the hub only (a repository whose .lfsconfig names another host keeps its pointers, and the
        clone fails saying so).
        Progress goes to stderr ("PHASE: N%" lines, bars on a terminal); the clone's folder is printed on stdout.
        """;

    public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(parse.GetValue(_model));
        var dir = parse.GetValue(_dir)!;
        using var hub = await _hub.ConnectAsync(parse, cancellationToken).ConfigureAwait(false);

        var token = hub.Session.AccessToken;
        if (token is not null)
        {
            try
            {
                token = (await hub.Api.LoginAsync(token, cancellationToken).ConfigureAwait(false)).GitToken;
            }
            catch (ModelIdeException ex) when (ex.Kind is not ModelIdeErrorKind.AuthenticationRequired)
            {
                // Hubs without the login call accept the SDK token for git.
            }
        }

        var path = await CliProgress.RunAsync(console, bytes: false, report =>
        {
            var last = -1;
            return new GitCloner { SkipLfs = parse.GetValue(_noLfs) }.CloneAsync(hub.Session.Endpoint, id, dir, parse.GetValue(_revision), token, p =>
            {
                if (p.Percent != last)
                {
                    last = p.Percent;
                    report(new CliProgressUpdate(p.Phase, p.Phase, p.Percent, 100, $"{TerminalText.Escape(p.Phase)}: {p.Percent}%"));
                }
            }, cancellationToken);
        }).ConfigureAwait(false);
        console.Out.WriteLine(path);
        return ExitCodes.Success;
    }
}
