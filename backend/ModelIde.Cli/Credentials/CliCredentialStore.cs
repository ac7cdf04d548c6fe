using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Globalization;
using ModelIde.Core;
using ModelIde.Core.Auth;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Protocol;

namespace ModelIde.Cli.Credentials;

/// <summary>A login the CLI remembers for one endpoint; browser logins also keep what refreshing needs.</summary>
public sealed record StoredLogin(Uri Endpoint, string UserName, string AccessToken, string? GitToken)
{
    public string? RefreshToken { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public DateTimeOffset? ObtainedAt { get; init; }

    public string? ClientId { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = [];

    public static StoredLogin From(AuthSession session) => new(session.Endpoint, session.UserName, session.AccessToken, session.GitToken)
    {
        RefreshToken = session.RefreshToken,
        ExpiresAt = session.ExpiresAt,
        ObtainedAt = session.ObtainedAt,
        ClientId = session.ClientId,
        Scopes = session.Scopes,
    };

    public AuthSession ToSession() => new()
    {
        Endpoint = Endpoint,
        UserName = UserName,
        AccessToken = AccessToken,
        GitToken = GitToken,
        RefreshToken = RefreshToken,
        ExpiresAt = ExpiresAt,
        ObtainedAt = ObtainedAt ?? DateTimeOffset.UtcNow,
        ClientId = ClientId,
        Scopes = Scopes,
        Kind = RefreshToken is null ? AuthSessionKind.AccessToken : AuthSessionKind.OAuth,
    };

    public override string ToString() => $"StoredLogin({UserName} at {Endpoint})";
}

/// <summary>
/// The CLI's logins, per endpoint. Tokens go to the OS keyring (<c>secret-tool</c>, when it is installed and a Secret
/// Service answers on D-Bus), else to <c>$XDG_CONFIG_HOME/modelide/credentials.json</c> (mode 0600, folder 0700).
/// Without a keyring the same file holds the tokens; with one it holds only the user name, the default endpoint and
/// (for browser logins) the expiry, client id and scopes.
/// </summary>
public sealed class CliCredentialStore
{
    private const string KeyringService = "modelide";
    private readonly string _file;
    private readonly SecretToolKeyring? _keyring;

    private CliCredentialStore(string file, SecretToolKeyring? keyring)
    {
        _file = file;
        _keyring = keyring;
    }

    /// <summary>"the OS keyring (secret-tool)" or the file path; said on login.</summary>
    public string Location => _keyring is not null ? "the OS keyring (Secret Service via secret-tool)" : $"{_file} (file, mode 0600)";

    public string FilePath => _file;

    /// <summary>MODELIDE_CREDENTIAL_STORE=file forces the file store (tests, headless machines).</summary>
    public static CliCredentialStore Open()
    {
        var mode = Environment.GetEnvironmentVariable("MODELIDE_CREDENTIAL_STORE");
        var keyring = string.Equals(mode, "file", StringComparison.OrdinalIgnoreCase) ? null : SecretToolKeyring.TryOpen();
        return new CliCredentialStore(DefaultFile(), keyring);
    }

    public static string DefaultFile()
    {
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrWhiteSpace(config) || !Path.IsPathRooted(config))
        {
            config = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }

        return Path.Combine(config, "modelide", "credentials.json");
    }

    /// <summary>The endpoint of the last login, used when no --endpoint or MODELSCOPE_ENDPOINT is given.</summary>
    public Uri? DefaultEndpoint =>
        Read()["defaultEndpoint"]?.GetValue<string>() is { } s && Uri.TryCreate(s, UriKind.Absolute, out var u) ? u : null;

    public StoredLogin? Load(Uri endpoint)
    {
        var key = Key(endpoint);
        if (Read()["endpoints"]?[key] is not JsonObject entry)
        {
            return null;
        }

        var user = entry["userName"]?.GetValue<string>();
        var token = entry["storage"]?.GetValue<string>() == "keyring"
            ? _keyring?.Lookup(KeyringService, key, "access")
            : entry["accessToken"]?.GetValue<string>();
        var git = entry["storage"]?.GetValue<string>() == "keyring"
            ? _keyring?.Lookup(KeyringService, key, "git")
            : entry["gitToken"]?.GetValue<string>();
        var refresh = entry["refresh"]?.GetValue<bool>() != true ? null
            : entry["storage"]?.GetValue<string>() == "keyring" ? _keyring?.Lookup(KeyringService, key, "refresh") : entry["refreshToken"]?.GetValue<string>();
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(token))
        {
            return null;
        }

        SecretRedactor.AddKnownSecret(token);
        SecretRedactor.AddKnownSecret(git);
        SecretRedactor.AddKnownSecret(refresh);
        return new StoredLogin(HubEndpoints.Normalize(endpoint), user, token, git)
        {
            RefreshToken = string.IsNullOrEmpty(refresh) ? null : refresh,
            ExpiresAt = Time(entry["expiresAt"]),
            ObtainedAt = Time(entry["obtainedAt"]),
            ClientId = entry["clientId"]?.GetValue<string>(),
            Scopes = entry["scopes"]?.GetValue<string>()?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [],
        };
    }

    private static DateTimeOffset? Time(JsonNode? node) =>
        DateTimeOffset.TryParse(node?.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;

    public void Save(StoredLogin login)
    {
        var key = Key(login.Endpoint);
        var root = Read();
        var endpoints = root["endpoints"] as JsonObject ?? new JsonObject();
        root["endpoints"] = endpoints;
        var entry = new JsonObject { ["userName"] = login.UserName };
        if (_keyring is not null)
        {
            _keyring.Store(KeyringService, key, "access", login.AccessToken);
            if (login.GitToken is not null)
            {
                _keyring.Store(KeyringService, key, "git", login.GitToken);
            }

            if (login.RefreshToken is not null)
            {
                _keyring.Store(KeyringService, key, "refresh", login.RefreshToken);
            }
            else
            {
                _keyring.Clear(KeyringService, key, "refresh");
            }

            entry["storage"] = "keyring";
        }
        else
        {
            entry["storage"] = "file";
            entry["accessToken"] = login.AccessToken;
            if (login.GitToken is not null)
            {
                entry["gitToken"] = login.GitToken;
            }

            if (login.RefreshToken is not null)
            {
                entry["refreshToken"] = login.RefreshToken;
            }
        }

        // Not secrets: what refreshing a browser login needs besides the refresh token.
        if (login.RefreshToken is not null)
        {
            entry["refresh"] = true;
            entry["clientId"] = login.ClientId;
            entry["scopes"] = string.Join(' ', login.Scopes);
        }

        if (login.ExpiresAt is { } expires)
        {
            entry["expiresAt"] = expires.ToString("O", CultureInfo.InvariantCulture);
            entry["obtainedAt"] = (login.ObtainedAt ?? DateTimeOffset.UtcNow).ToString("O", CultureInfo.InvariantCulture);
        }

        endpoints[key] = entry;
        root["defaultEndpoint"] = key;
        Write(root);
    }

    /// <summary>Forgets the login for <paramref name="endpoint"/>; true when there was one.</summary>
    public bool Remove(Uri endpoint)
    {
        var key = Key(endpoint);
        var root = Read();
        if (root["endpoints"] is not JsonObject endpoints || !endpoints.ContainsKey(key))
        {
            return false;
        }

        endpoints.Remove(key);
        _keyring?.Clear(KeyringService, key, "access");
        _keyring?.Clear(KeyringService, key, "git");
        _keyring?.Clear(KeyringService, key, "refresh");
        if (root["defaultEndpoint"]?.GetValue<string>() == key)
        {
            root.Remove("defaultEndpoint");
        }

        Write(root);
        return true;
    }

    private static string Key(Uri endpoint) => HubEndpoints.Normalize(endpoint).AbsoluteUri;

    private JsonObject Read()
    {
        try
        {
            return File.Exists(_file) ? JsonNode.Parse(File.ReadAllText(_file)) as JsonObject ?? new JsonObject() : new JsonObject();
        }
        catch (JsonException)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"{_file} is not valid JSON; delete it and log in again.");
        }
    }

    private void Write(JsonObject root)
    {
        var folder = Path.GetDirectoryName(_file)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Write a 0600 temp file, then rename: the token is never in a file others can read, even briefly.
        var temp = _file + "." + Environment.ProcessId + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, _file, overwrite: true);
    }
}

/// <summary>
/// libsecret's <c>secret-tool</c>: secrets go in on stdin and come out on stdout, never on a command line.
/// Used only when the tool exists and a Secret Service answers within a couple of seconds.
/// </summary>
internal sealed class SecretToolKeyring
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(3);
    private readonly string _tool;

    private SecretToolKeyring(string tool) => _tool = tool;

    public static SecretToolKeyring? TryOpen()
    {
        if (!OperatingSystem.IsLinux() || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS")))
        {
            return null;
        }

        var tool = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "secret-tool")).FirstOrDefault(File.Exists);
        if (tool is null)
        {
            return null;
        }

        var keyring = new SecretToolKeyring(tool);
        // `search` talks to the Secret Service: exit 0 (even with no match) means it answered; an unreachable
        // service, a locked keyring that would prompt, or a hang (killed after 3 s) means "use the file".
        var (code, _) = keyring.Run(["search", "service", KeyringProbe], stdin: null);
        return code == 0 ? keyring : null;
    }

    private const string KeyringProbe = "modelide-probe";

    public void Store(string service, string endpoint, string kind, string secret)
    {
        var (code, _) = Run(["store", "--label", $"modelide {kind} token for {endpoint}", "service", service, "endpoint", endpoint, "kind", kind], secret);
        if (code != 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.Unknown, "The OS keyring refused to store the token (secret-tool failed).");
        }
    }

    public string? Lookup(string service, string endpoint, string kind)
    {
        var (code, output) = Run(["lookup", "service", service, "endpoint", endpoint, "kind", kind], stdin: null);
        return code == 0 && !string.IsNullOrWhiteSpace(output) ? output.Trim() : null;
    }

    public void Clear(string service, string endpoint, string kind) =>
        Run(["clear", "service", service, "endpoint", endpoint, "kind", kind], stdin: null);

    private (int Code, string Output) Run(string[] args, string? stdin)
    {
        var psi = new ProcessStartInfo(_tool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi);
            if (p is null)
            {
                return (-1, string.Empty);
            }

            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
            }

            p.StandardInput.Close();
            // Outputs are a token or nothing: they fit in the pipe, so reading after exit cannot block.
            if (!p.WaitForExit(s_probeTimeout))
            {
                p.Kill(entireProcessTree: true);
                return (-1, string.Empty);
            }

            return (p.ExitCode, p.StandardOutput.ReadToEnd());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, string.Empty);
        }
    }
}
