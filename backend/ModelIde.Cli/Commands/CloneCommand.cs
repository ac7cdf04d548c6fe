using ModelIde.Core;
using ModelIde.Core.Git;
using ModelIde.Core.Models;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide clone OWNER/NAME DIR</c>: git clone without putting the token in the URL or .git/config.</summary>
public sealed class CloneCommand : CliCommand
{
    public override string Name => "clone";

    public override string Summary => "git clone a model repository (token via GIT_ASKPASS, never stored in .git).";

    public override string Usage => """
        Usage: modelide clone OWNER/NAME DIR [--revision R]

          Common: --endpoint URL (else MODELSCOPE_ENDPOINT), --token T (else MODELSCOPE_API_TOKEN)
          With a token, the git token comes from POST /api/v1/login (the SDK token is used when that fails).
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(args.RequirePositional(0, "OWNER/NAME"));
        var dir = args.RequirePositional(1, "the target folder DIR");
        var revision = args.Option("revision");
        using var hub = await CliHubConnection.FromArgumentsAsync(args, cancellationToken).ConfigureAwait(false);
        args.EnsureNoUnknownOptions();

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

        var last = -1;
        var path = await new GitCloner().CloneAsync(hub.Session.Endpoint, id, dir, revision, token, p =>
        {
            if (p.Percent != last)
            {
                last = p.Percent;
                console.Error.WriteLine($"{p.Phase}: {p.Percent}%");
            }
        }, cancellationToken).ConfigureAwait(false);
        console.Out.WriteLine(path);
        return ExitCodes.Success;
    }
}
