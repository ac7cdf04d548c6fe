using Microsoft.EntityFrameworkCore;

namespace ModelIde.Hub.Oidc;

/// <summary>In-memory store for OpenIddict's applications, authorizations and tokens (one database per hub instance).</summary>
internal sealed class OidcDbContext(DbContextOptions<OidcDbContext> options) : DbContext(options);
