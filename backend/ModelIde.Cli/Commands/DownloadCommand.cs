using System.CommandLine;
using System.Globalization;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.Downloads;
using ModelIde.Core.Models;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide download OWNER/NAME</c>: resumable, verified download into the ModelScope cache.</summary>
public sealed class DownloadCommand() : CliCommand("download", "Download a model (or files matching --include) into the ModelScope cache.")
{
    private readonly Argument<string> _model = CliOptions.Required("OWNER/NAME", "the model, e.g. modelide/tiny-stdlib-coder");
    private readonly Option<string?> _revision = CliOptions.Text("--revision", "R", "branch, tag or commit (default master)");
    private readonly Option<string[]> _include = CliOptions.Repeatable("--include", "GLOB", "only files matching GLOB (repeatable; '*' matches across folders, as in the SDK)");
    private readonly Option<string?> _cacheDir = CliOptions.Text("--cache-dir", "DIR", "cache root (else MODELSCOPE_CACHE, else ~/.cache/modelscope)");
    private readonly Option<bool> _quiet = CliOptions.Flag("--quiet", "no progress, only the summary");
    private readonly Option<bool> _offline = CliOptions.Flag("--offline", $"serve the cached snapshot without asking the hub (also {CachedSnapshots.OfflineVariable}=1)");
    private readonly HubConnectionOptions _hub = new();

    public override string Notes => """
        Files go to <cache>/models/OWNER--NAME/snapshots/REVISION/, where the ModelScope SDK looks for the same
        revision; without --revision that is master, for one file (--include PATH) and a whole model alike, as
        snapshot_download and `modelscope download` use.
        Progress goes to stderr (bars on a terminal, one line per update otherwise), then a "Done: ..." summary; the
        local folder is printed last on stdout. Interrupted downloads resume. Folders the ModelScope SDK wrote (old and new
        layouts) are reused. When the hub cannot be reached and the cached snapshot is complete, it is used (and said so).
        Tuning (SDK variables): MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB (64), MODELSCOPE_DOWNLOAD_PART_SIZE_MB (16),
        MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS (the most connections to one file, 8; more than one only where they pay off).
        """;

    public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(parse.GetValue(_model));
        var revision = parse.GetValue(_revision);
        var include = parse.GetValue(_include) ?? [];
        var cache = ModelCacheLayout.Resolve(parse.GetValue(_cacheDir));
        var snapshots = new CachedSnapshots(cache);
        void Notice(string text) => console.Error.WriteLine(TerminalText.Escape(text));
        var started = DateTime.UtcNow;
        DownloadResult result;
        if (parse.GetValue(_offline) || CachedSnapshots.IsOfflineRequested())
        {
            // Offline asks nobody, not even to sign in.
            result = snapshots.ServeOffline(id, revision, include, Notice);
        }
        else
        {
            using var hub = await _hub.ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
            var downloader = new ModelDownloader(hub.Api, hub.Http, cache, DownloadOptions.FromEnvironment());
            result = parse.GetValue(_quiet)
                ? await snapshots.DownloadOrUseCacheAsync(downloader, id, revision, include, null, Notice, cancellationToken).ConfigureAwait(false)
                : await CliProgress.RunAsync(console, bytes: true, report => snapshots.DownloadOrUseCacheAsync(downloader, id, revision, include, p => report(Update(p)), Notice, cancellationToken)).ConfigureAwait(false);
        }

        var seconds = Math.Max((DateTime.UtcNow - started).TotalSeconds, 0.001);
        console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Done: {result.Files} files, {Mb(result.Bytes)} MB ({result.FilesFromCache.Count} already cached); fetched {result.BytesFetched} bytes in {seconds:0.00} s ({result.BytesFetched / seconds / 1048576:0.0} MB/s)."));
        if (result.FilesWithoutSha256 > 0)
        {
            console.Error.WriteLine(UnhashedNotice(result.FilesWithoutSha256, result.Files));
        }

        console.Out.WriteLine(result.LocalPath);
        return ExitCodes.Success;
    }

    private static CliProgressUpdate Update(DownloadProgress p)
    {
        var pct = p.BytesTotal == 0 ? 100 : 100.0 * p.BytesDone / p.BytesTotal;
        var eta = p.EtaSeconds is { } e ? $" ETA {TimeSpan.FromSeconds(Math.Ceiling(e)):g}" : string.Empty;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{p.FilesDone}/{p.FilesTotal}] {pct,5:0.0}% {Mb(p.BytesDone)}/{Mb(p.BytesTotal)} MB {Mb((long)p.BytesPerSecond)} MB/s{eta}  {TerminalText.Escape(p.File)}");
        return new CliProgressUpdate("download", $"[{p.FilesDone}/{p.FilesTotal}] {p.File}", p.BytesDone, p.BytesTotal, line);
    }

    /// <summary>Said after the summary: a file the hub lists without a SHA-256 is checked by its size only.</summary>
    internal static string UnhashedNotice(int unhashed, int files) => unhashed == files
        ? "The hub listed no SHA-256 for these files: only their sizes were checked."
        : string.Create(CultureInfo.InvariantCulture, $"The hub listed {unhashed} of the {files} files without a SHA-256: only their sizes were checked.");

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
