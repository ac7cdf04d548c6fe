namespace ModelIde.Hub;

public sealed record LocalHubOptions
{
    public const string DefaultDemoToken = "ms-demo-0000000000";
    public const string DefaultDemoPassword = "demo-password";

    /// <summary>API port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Port of the blob host (downloads are redirected there); 0 picks a free port.</summary>
    public int BlobPort { get; init; }

    /// <summary>State folder (git repositories, hash cache); null = a fresh temp folder.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Folder of models to serve (each sub-folder becomes <c>modelide/NAME</c>); null = the repository's models/.</summary>
    public string? ModelsDirectory { get; init; }

    /// <summary>SDK access token of the seeded user <c>demo</c>.</summary>
    public string DemoToken { get; init; } = DefaultDemoToken;

    /// <summary>Password of <c>demo</c> on the OAuth login page.</summary>
    public string DemoPassword { get; init; } = DefaultDemoPassword;

    /// <summary>Generated metadata-only models for search and paging.</summary>
    public int CatalogueSize { get; init; } = 10_000;

    /// <summary>Lifetime of OAuth access tokens (short in tests so refresh can be exercised).</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Lifetime of OAuth refresh tokens.</summary>
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(14);

    /// <summary>How long a signed blob URL stays valid.</summary>
    public TimeSpan BlobUrlLifetime { get; init; } = TimeSpan.FromHours(1);
}
