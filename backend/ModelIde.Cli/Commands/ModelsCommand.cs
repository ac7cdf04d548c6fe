using System.Globalization;
using System.Text.Json;
using ModelIde.Core.Models;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide models list|files</c>: browse the hub.</summary>
public sealed class ModelsCommand : CliCommand
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public override string Name => "models";

    public override string Summary => "List/search models on the hub, or list a model's files.";

    public override string Usage => """
        Usage: modelide models list [--search Q] [--owner O] [--sort default|downloads|likes|last_modified]
                                    [--task T] [--license L] [--page N] [--page-size M] [--json]
               modelide models files OWNER/NAME [--revision R] [--json]

          Common: --endpoint URL (else MODELSCOPE_ENDPOINT), --token T (else MODELSCOPE_API_TOKEN)
          The hub serves the first 3000 results of a query (page x page-size <= 3000); page-size is 1..50.
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var verb = args.RequirePositional(0, "a subcommand (list or files)");
        using var hub = await CliHubConnection.FromArgumentsAsync(args, cancellationToken).ConfigureAwait(false);
        var json = args.Flag("json");
        switch (verb)
        {
            case "list":
            case "search":
            {
                var query = new ModelSearchQuery
                {
                    Search = args.Option("search") ?? args.Positional(1),
                    Owner = args.Option("owner"),
                    Sort = ParseSort(args.Option("sort")),
                    Task = args.Option("task"),
                    License = args.Option("license"),
                    PageNumber = args.IntOption("page", 1) ?? 1,
                    PageSize = args.IntOption("page-size", 1, 50) ?? 20,
                };
                args.EnsureNoUnknownOptions();
                var page = await hub.Api.SearchModelsAsync(query, cancellationToken).ConfigureAwait(false);
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(page, s_json));
                    return ExitCodes.Success;
                }

                foreach (var m in page.Models)
                {
                    var flags = (m.Private ? " [private]" : string.Empty) + (m.Gated ? " [gated]" : string.Empty);
                    console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Id,-50} {m.Downloads,10:N0} downloads {m.Likes,7:N0} likes  {string.Join(",", m.Tasks)}{flags}"));
                }

                var first = ((long)page.PageNumber - 1) * page.PageSize + 1;
                console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(page.Models.Count == 0 ? 0 : first)}-{first + page.Models.Count - 1} of {page.TotalCount} (page {page.PageNumber})"));
                return ExitCodes.Success;
            }

            case "files":
            {
                var id = ModelId.Parse(args.RequirePositional(1, "OWNER/NAME"));
                var revision = args.Option("revision");
                args.EnsureNoUnknownOptions();
                var files = await hub.Api.ListModelFilesAsync(id, revision, cancellationToken).ConfigureAwait(false);
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(files, s_json));
                    return ExitCodes.Success;
                }

                foreach (var f in files.Where(f => !f.IsDirectory))
                {
                    console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{f.Size,14:N0}  {f.Sha256 ?? "-",-64}  {f.Path}"));
                }

                return ExitCodes.Success;
            }

            default:
                throw new CliUsageException($"Unknown subcommand '{verb}'.");
        }
    }

    private static ModelSort ParseSort(string? sort) => sort switch
    {
        null or "default" => ModelSort.Default,
        "downloads" => ModelSort.Downloads,
        "likes" => ModelSort.Likes,
        "last_modified" or "lastModified" => ModelSort.LastModified,
        _ => throw new CliUsageException($"--sort must be default, downloads, likes or last_modified, not '{sort}'."),
    };
}
