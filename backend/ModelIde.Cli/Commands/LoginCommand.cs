using System.CommandLine;
using System.Diagnostics;
using System.Text;
using ModelIde.Cli.Credentials;
using ModelIde.Core;
using ModelIde.Core.Auth;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide login</c>: validates a token (or signs in in the browser) and remembers it per endpoint.</summary>
public sealed class LoginCommand() : CliCommand("login", "Sign in to a ModelScope hub with an access token or in the browser.")
{
    private readonly Option<string?> _endpoint = CliOptions.Text("--endpoint", "URL", "hub to sign in to (default: MODELSCOPE_ENDPOINT, else https://modelscope.cn)");
    private readonly PlainHttpOptions _plainHttp = new();
    private readonly Option<string?> _token = CliOptions.Text("--token", "TOKEN", "access token (ms-...); '-' reads it from stdin (keeps it off the command line)");
    private readonly Option<bool> _browser = CliOptions.Flag("--browser", "OAuth sign-in in the browser (authorization code + PKCE, redirect to 127.0.0.1)");
    private readonly Option<string?> _clientId = CliOptions.Text("--client-id", "ID", $"OAuth client id for --browser (default {OidcSignInOptions.DefaultClientId})");
    private readonly Option<string?> _scopes = CliOptions.Text("--scopes", "\"openid profile ...\"", "OAuth scopes for --browser, separated by spaces");

    public override string Notes => """
        With neither --token nor --browser: MODELSCOPE_API_TOKEN or the ModelScope SDK's saved login if present, else a
        hidden prompt. The token is stored in the OS keyring when one is reachable, else in a mode-0600 file. A browser
        login also stores its refresh token: later commands refresh the session before it expires.
        """;

    public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var endpointText = parse.GetValue(_endpoint);
        var token = parse.GetValue(_token);
        var browser = parse.GetValue(_browser);
        var clientId = parse.GetValue(_clientId) ?? OidcSignInOptions.DefaultClientId;
        var scopes = parse.GetValue(_scopes)?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [.. OidcSignInOptions.DefaultScopes];
        if (browser && token is not null)
        {
            throw new CliUsageException("Use either --token or --browser, not both.");
        }

        var endpoint = CliEndpoint.Resolve(endpointText, store: null);
        var store = CliCredentialStore.Open();
        using var http = ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(60));
        AuthSession session;
        if (browser)
        {
            session = await new OidcBrowserSignIn().SignInAsync(
                new OidcSignInOptions { Endpoint = endpoint, ClientId = clientId, Scopes = scopes },
                (url, _) => OpenBrowserAsync(url, console),
                cancellationToken).ConfigureAwait(false);

        }
        else
        {
            token = ResolveToken(token, endpoint, console, out var origin);
            SecretRedactor.AddKnownSecret(token);
            if (origin is not null)
            {
                console.Error.WriteLine(TerminalText.Escape(origin));
            }

            session = await new AccessTokenSignIn(http).ValidateAsync(endpoint, token, cancellationToken).ConfigureAwait(false);
        }

        store.Save(StoredLogin.From(session));
        console.Error.WriteLine($"Signed in to {session.Endpoint} as {TerminalText.Escape(session.UserName)}.");
        console.Error.WriteLine($"Token stored in {store.Location}.");
        if (session.RefreshToken is not null)
        {
            console.Error.WriteLine("The session is refreshed automatically before it expires (the refresh token is stored with it).");
        }
        return ExitCodes.Success;
    }

    private static string ResolveToken(string? token, Uri endpoint, CliConsole console, out string? origin)
    {
        origin = null;
        if (token == "-")
        {
            return Console.In.ReadLine()?.Trim() is { Length: > 0 } fromStdin
                ? fromStdin
                : throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "--token - expects the token on stdin, but stdin was empty.");
        }

        if (!string.IsNullOrWhiteSpace(token))
        {
            return token.Trim();
        }

        var search = LocalCredentialDiscovery.Search(preferHost: endpoint.Host);
        if (search.Found is { } found)
        {
            origin = found.Source == LocalCredentialSource.Environment
                ? "Using the token from MODELSCOPE_API_TOKEN."
                : $"Using the ModelScope SDK's saved login ({found.Origin}{(found.UserName is null ? "" : ", user " + found.UserName)}).";
            if (found.IssuedFor is { } host && !string.Equals(host, endpoint.Host, StringComparison.OrdinalIgnoreCase))
            {
                origin += $" The SDK saved it for {host}, not {endpoint.Host}.";
            }

            return found.AccessToken;
        }

        // Say why a saved login that is there was not used (expired, unreadable).
        foreach (var note in search.Notes)
        {
            console.Error.WriteLine(TerminalText.Escape(note));
        }

        if (Console.IsInputRedirected)
        {
            throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired,
                "No token given and stdin is not a terminal: pass --token TOKEN, --token - (token on stdin), --browser, or set MODELSCOPE_API_TOKEN.");
        }

        console.Error.Write("Access token (input hidden): ");
        var typed = ReadHidden();
        console.Error.WriteLine();
        return string.IsNullOrWhiteSpace(typed)
            ? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "No token entered.")
            : typed.Trim();
    }

    private static string ReadHidden()
    {
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }

    private static Task OpenBrowserAsync(Uri url, CliConsole console)
    {
        console.Error.WriteLine($"Open this URL to sign in (waiting for the browser):{Environment.NewLine}  {url.AbsoluteUri}");
        var opener = OperatingSystem.IsMacOS() ? "open" : "xdg-open";
        var hasDisplay = OperatingSystem.IsMacOS() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY"));
        if (hasDisplay)
        {
            try
            {
                var psi = new ProcessStartInfo(opener) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                psi.ArgumentList.Add(url.AbsoluteUri);
                using var _ = Process.Start(psi);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // No opener: the printed URL is enough.
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>Endpoint for auth commands: --endpoint, else MODELSCOPE_ENDPOINT/DOMAIN, else the last login's, else modelscope.cn.</summary>
internal static class CliEndpoint
{
    public static Uri Resolve(string? explicitEndpoint, CliCredentialStore? store)
    {
        try
        {
            if (!string.IsNullOrWhiteSpace(explicitEndpoint)
                || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("MODELSCOPE_ENDPOINT"))
                || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("MODELSCOPE_DOMAIN")))
            {
                return HubEndpoints.Resolve(explicitEndpoint);
            }
        }
        catch (UriFormatException ex)
        {
            throw new CliUsageException($"--endpoint / MODELSCOPE_ENDPOINT is not a URL: {ex.Message}");
        }

        return store?.DefaultEndpoint is { } last ? HubEndpoints.Normalize(last) : HubEndpoints.Resolve(null);
    }
}
