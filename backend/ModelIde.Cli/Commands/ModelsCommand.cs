using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.Models;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide models list|files</c>: browse the hub.</summary>
public sealed class ModelsCommand() : CliCommand("models", "List/search models on the hub, or list a model's files.")
{
    private readonly ListCommand _list = new();
    private readonly FilesCommand _files = new();

    private sealed class ListCommand() : CliCommand("list", "List or search models (a table on a terminal; one line per model otherwise).")
    {
        private readonly Argument<string?> _query = CliOptions.Optional("QUERY", "search text (the same as --search)");
        private readonly Option<string?> _search = CliOptions.Text("--search", "Q", "search text");
        private readonly Option<string?> _owner = CliOptions.Text("--owner", "O", "only models of this owner");
        private readonly Option<string?> _sort = CliOptions.Text("--sort", "ORDER", "default, downloads, likes or last_modified").Suggest("default", "downloads", "likes", "last_modified");
        private readonly Option<string?> _task = CliOptions.Text("--task", "T", "only models for this task (e.g. text-generation)");
        private readonly Option<string?> _license = CliOptions.Text("--license", "L", "only models under this license");
        private readonly Option<int?> _page = CliOptions.Int("--page", "N", "page number (default 1)", min: 1);
        private readonly Option<int?> _pageSize = CliOptions.Int("--page-size", "M", "models per page, 1 to 50 (default 20)", min: 1, max: 50);
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print the page as JSON");
        private readonly HubConnectionOptions _hub = new();

        public override IReadOnlyList<string> Aliases => ["search"];

        public override string Notes => """
            The hub serves the first 3000 results of a query (page x page-size <= 3000).
            Plain output: one line per model on stdout (id, downloads, likes, tasks); "FIRST-LAST of TOTAL (page N)" on stderr.
            """;

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var query = new ModelSearchQuery
            {
                Search = parse.GetValue(_search) ?? parse.GetValue(_query),
                Owner = parse.GetValue(_owner),
                Sort = ParseSort(parse.GetValue(_sort)),
                Task = parse.GetValue(_task),
                License = parse.GetValue(_license),
                PageNumber = parse.GetValue(_page) ?? 1,
                PageSize = parse.GetValue(_pageSize) ?? 20,
            };
            using var hub = await _hub.ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
            var page = await hub.Api.SearchModelsAsync(query, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(page, CliJson.Hub));
                return ExitCodes.Success;
            }

            CliTable.Write(console, page.Models, ["model", "downloads", "likes", "tasks"],
                m => [m.Id, m.Downloads.ToString("N0", CultureInfo.InvariantCulture), m.Likes.ToString("N0", CultureInfo.InvariantCulture), string.Join(",", m.Tasks) + Flags(m)],
                m => string.Create(CultureInfo.InvariantCulture, $"{TerminalText.Escape(m.Id),-50} {m.Downloads,10:N0} downloads {m.Likes,7:N0} likes  {TerminalText.Escape(string.Join(",", m.Tasks))}{Flags(m)}"));
            var first = ((long)page.PageNumber - 1) * page.PageSize + 1;
            console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(page.Models.Count == 0 ? 0 : first)}-{first + page.Models.Count - 1} of {page.TotalCount} (page {page.PageNumber})"));
            return ExitCodes.Success;
        }

        private static string Flags(ModelSummary m) => (m.Private ? " [private]" : string.Empty) + (m.Gated ? " [gated]" : string.Empty);

        private static ModelSortKind ParseSort(string? sort) => sort switch
        {
            null or "default" => ModelSortKind.Default,
            "downloads" => ModelSortKind.Downloads,
            "likes" => ModelSortKind.Likes,
            "last_modified" or "lastModified" => ModelSortKind.LastModified,
            _ => throw new CliUsageException($"--sort must be default, downloads, likes or last_modified, not '{sort}'."),
        };
    }

    private sealed class FilesCommand() : CliCommand("files", "List the files of a model (size, SHA-256, path).")
    {
        private readonly Argument<string> _model = CliOptions.Required("OWNER/NAME", "the model, e.g. modelide/tiny-stdlib-coder");
        private readonly Option<string?> _revision = CliOptions.Text("--revision", "R", "branch, tag or commit (default master)");
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print the listing as JSON");
        private readonly HubConnectionOptions _hub = new();

        public override string Notes => "Plain output: one line per file on stdout: size in bytes, SHA-256 (or -), path.";

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var id = ModelId.Parse(parse.GetValue(_model));
            using var hub = await _hub.ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
            var files = await hub.Api.ListModelFilesAsync(id, parse.GetValue(_revision), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(files, CliJson.Hub));
                return ExitCodes.Success;
            }

            CliTable.Write(console, files.Where(f => !f.IsDirectory), ["size", "sha256", "path"],
                f => [f.Size.ToString("N0", CultureInfo.InvariantCulture), f.Sha256 ?? "-", f.Path],
                f => string.Create(CultureInfo.InvariantCulture, $"{f.Size,14:N0}  {TerminalText.Escape(f.Sha256 ?? "-"),-64}  {TerminalText.Escape(f.Path)}"));
            return ExitCodes.Success;
        }
    }
}
