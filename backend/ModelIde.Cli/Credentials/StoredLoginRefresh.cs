using ModelIde.Core;
using ModelIde.Core.Auth;
using ModelIde.Protocol;

namespace ModelIde.Cli.Credentials;

/// <summary>
/// A browser login's access token lives an hour or so; its refresh token much longer. Before a command uses a stored
/// browser login that is near expiry, it is refreshed and the new tokens are stored, so scripts keep working.
/// </summary>
internal static class StoredLoginRefresh
{
    public static async Task<StoredLogin> EnsureFreshAsync(CliCredentialStore store, StoredLogin login, CancellationToken cancellationToken)
    {
        var session = login.ToSession();
        if (login.RefreshToken is null || !SessionRefresher.NeedsRefresh(session, DateTimeOffset.UtcNow))
        {
            return login;
        }

        AuthSession fresh;
        try
        {
            fresh = await new OidcBrowserSignIn().RefreshAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.AuthenticationRequired)
        {
            throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired,
                $"{ex.Message.TrimEnd('.')}. Run 'modelide login --browser --endpoint {login.Endpoint}'.", ex);
        }

        var updated = StoredLogin.From(fresh);
        store.Save(updated);
        return updated;
    }
}
