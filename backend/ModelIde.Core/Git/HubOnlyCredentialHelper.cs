namespace ModelIde.Core.Git;

/// <summary>
/// A git credential helper, written for one clone into a private temp folder, that answers git's <c>get</c> only for
/// the hub's own origin (scheme, host and port of the endpoint) and answers nothing for any other host: a redirect, a
/// repository's <c>.lfsconfig</c> or a user's <c>insteadOf</c> rule cannot get the token sent elsewhere. git-lfs asks
/// through <c>git credential fill</c> and so gets the same answers. The token is in one environment variable of the git
/// processes (<see cref="TokenVariable"/>): never on disk (a killed clone leaves nothing behind), on a command line, in
/// the remote URL or in <c>.git/config</c>.
/// </summary>
internal sealed class HubOnlyCredentialHelper : IDisposable
{
    public const string UserName = "oauth2";
    public const string TokenVariable = "MODELIDE_GIT_CREDENTIAL_TOKEN";
    private readonly DirectoryInfo _folder;

    public HubOnlyCredentialHelper(Uri hubOrigin, string token)
    {
        Token = token;
        _folder = Directory.CreateTempSubdirectory("modelide-git-credentials-");
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(_folder.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            WritePrivate("origin", $"{Protocol(hubOrigin)}\n{Host(hubOrigin)}\n");
            ScriptPath = Path.Combine(_folder.FullName, "credential-helper.sh");
            // git runs "!<snippet> get|store|erase" through sh (Git for Windows ships sh too); the request is key=value
            // lines up to a blank line. Only protocol and host are compared; path is not sent (credential.useHttpPath).
            // Shell built-ins only, so PATH does not matter.
            WritePrivate("credential-helper.sh", """
                #!/bin/sh
                # ModelIde: answers git only for the hub's own origin.
                [ "$1" = get ] || exit 0
                { IFS= read -r want_protocol; IFS= read -r want_host; } < "${0%/*}/origin"
                protocol=
                host=
                while IFS= read -r line; do
                  case $line in
                    protocol=*) protocol=${line#protocol=} ;;
                    host=*) host=${line#host=} ;;
                    '') break ;;
                  esac
                done
                [ "$protocol" = "$want_protocol" ] && [ "$host" = "$want_host" ] || exit 0
                printf 'username=oauth2\npassword=%s\n' "$MODELIDE_GIT_CREDENTIAL_TOKEN"

                """.Replace("\r\n", "\n", StringComparison.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(ScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch
        {
            _folder.Delete(recursive: true);
            throw;
        }
    }

    public string ScriptPath { get; } = string.Empty;

    /// <summary>Set as <see cref="TokenVariable"/> on the git process; the script prints it for the hub's origin only.</summary>
    public string Token { get; }

    /// <summary>The <c>credential.helper</c> value: a shell snippet that runs the script (path quoted for sh).</summary>
    public string HelperConfigValue => "!'" + ScriptPath.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>What git sends as <c>protocol</c> for a URL.</summary>
    public static string Protocol(Uri uri) => uri.Scheme.ToLowerInvariant();

    /// <summary>What git sends as <c>host</c>: the host, with the port only when it is not the scheme's default.</summary>
    public static string Host(Uri uri)
    {
        // git copies the URL's host as written (IPv6 in brackets); System.Uri has already lower-cased it.
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        return uri.IsDefaultPort ? host : $"{host}:{uri.Port}";
    }

    /// <summary>Whether <paramref name="other"/> has the same scheme, host and port as <paramref name="hub"/>.</summary>
    public static bool SameOrigin(Uri hub, Uri other) =>
        Protocol(hub) == Protocol(other) && Host(hub) == Host(other);

    private void WritePrivate(string name, string content)
    {
        var path = Path.Combine(_folder.FullName, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
        writer.Write(content);
    }

    public void Dispose()
    {
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
