using System.Globalization;
using ModelIde.Core.Downloads;
using ModelIde.Core.Models;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide download OWNER/NAME</c>: resumable, verified download into the ModelScope cache.</summary>
public sealed class DownloadCommand : CliCommand
{
    public override string Name => "download";

    public override string Summary => "Download a model (or files matching --include) into the ModelScope cache.";

    public override string Usage => """
        Usage: modelide download OWNER/NAME [--revision R] [--include GLOB]... [--cache-dir DIR] [--quiet]

          --include GLOB   only files matching GLOB (repeatable; '*' matches across folders, as in the SDK)
          --cache-dir DIR  cache root (else MODELSCOPE_CACHE, else ~/.cache/modelscope)
          Common: --endpoint URL (else MODELSCOPE_ENDPOINT), --token T (else MODELSCOPE_API_TOKEN)
          Tuning (SDK variables): MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB (64), MODELSCOPE_DOWNLOAD_PART_SIZE_MB (16),
          MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS (parallel parts per file, 4).
        Progress goes to stderr; the local folder is printed last on stdout. Interrupted downloads resume.
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(args.RequirePositional(0, "OWNER/NAME"));
        var revision = args.Option("revision");
        var include = args.Options("include");
        var cacheDir = args.Option("cache-dir");
        var quiet = args.Flag("quiet");
        using var hub = await CliHubConnection.FromArgumentsAsync(args, cancellationToken).ConfigureAwait(false);
        args.EnsureNoUnknownOptions();

        var options = DownloadOptions.FromEnvironment();
        var downloader = new ModelDownloader(hub.Api, hub.Http, ModelCacheLayout.Resolve(cacheDir), options);
        var started = DateTime.UtcNow;
        var result = await downloader.DownloadAsync(id, revision, include, quiet ? null : p =>
        {
            var pct = p.BytesTotal == 0 ? 100 : 100.0 * p.BytesDone / p.BytesTotal;
            var eta = p.EtaSeconds is { } e ? $" ETA {TimeSpan.FromSeconds(Math.Ceiling(e)):g}" : string.Empty;
            console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{p.FilesDone}/{p.FilesTotal}] {pct,5:0.0}% {Mb(p.BytesDone)}/{Mb(p.BytesTotal)} MB {Mb((long)p.BytesPerSecond)} MB/s{eta}  {p.File}"));
        }, cancellationToken).ConfigureAwait(false);

        var seconds = Math.Max((DateTime.UtcNow - started).TotalSeconds, 0.001);
        console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Done: {result.Files} files, {Mb(result.Bytes)} MB ({result.FilesFromCache.Count} already cached); fetched {result.BytesFetched} bytes in {seconds:0.00} s ({result.BytesFetched / seconds / 1048576:0.0} MB/s)."));
        console.Out.WriteLine(result.LocalPath);
        return ExitCodes.Success;
    }

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
