using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelIde.Cli.Tests.Output;

/// <summary>
/// A fake hub on 127.0.0.1 whose model ids, tasks, file paths, hashes and error messages carry terminal escapes: clear
/// screen (ESC[2J), OSC 52 clipboard writes and window titles, a C1 CSI, bidi overrides and a line break.
/// </summary>
public sealed class HostileHub : IAsyncDisposable
{
    public const string ClearScreen = "\u001b[2J\u001b[3J\u001b[H";
    public const string ClipboardWrite = "\u001b]52;c;ZWNobyBwd25lZA==\u0007";
    public const string WindowTitle = "\u001b]0;pwned\u001b\\";
    public const string C1Csi = "\u009b31m";
    public const string RightToLeftOverride = "\u202e";

    /// <summary>Model ids of the search page; the last one tries to forge a second output line.</summary>
    public static readonly string[] ModelIds =
    [
        "evil/clear" + ClearScreen,
        "evil/clip" + ClipboardWrite,
        "evil/red" + C1Csi,
        "evil/report" + RightToLeftOverride + "gnp.exe",
        "evil/a\nfake/model" + new string(' ', 40) + "999,999 downloads",
    ];

    /// <summary>Paths (and a hash) of the listing of evil/files.</summary>
    public static readonly string[] FilePaths = [ClearScreen + "wipe.bin", "docs/" + RightToLeftOverride + "fdp.exe", "title" + WindowTitle + ".txt"];

    private readonly WebApplication _app;

    private HostileHub(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public static async Task<HostileHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/openapi/v1/models", () => Results.Text(JsonSerializer.Serialize(new
        {
            success = true,
            data = new
            {
                models = ModelIds.Select(id => new { id, downloads = 7, likes = 1, tasks = new[] { "text" + WindowTitle } }),
                total_count = ModelIds.Length,
                page_number = 1,
                page_size = 20,
            },
        }), "application/json"));
        app.MapGet("/api/v1/models/evil/files/repo/files", () => Results.Text(JsonSerializer.Serialize(new
        {
            Code = 200,
            Success = true,
            Data = new
            {
                Files = FilePaths.Select((path, i) => new { Path = path, Name = path, Type = "blob", Size = 10 + i, Sha256 = i == 0 ? "ab" + ClipboardWrite : null }),
            },
        }), "application/json"));
        app.MapGet("/api/v1/models/evil/missing/repo/files", () => Results.Text(JsonSerializer.Serialize(new
        {
            Code = 10010205001,
            Success = false,
            Message = "no such model" + ClipboardWrite + ClearScreen + C1Csi,
        }), "application/json", statusCode: 404));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new HostileHub(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
