using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelIde.Core.Jobs;

/// <summary>
/// The job list, persisted as <c>jobs.json</c> in ModelIde's state folder so jobs survive restarts of the editor,
/// the sidecar and the CLI. Holds no secret. Every change re-reads the file, so the CLI and the sidecar can share it.
/// </summary>
public sealed class JobStore(string directory)
{
    private static readonly Lock s_gate = new();

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = JobsJsonContext.Default,
    };

    public string Directory { get; } = directory;

    public string FilePath => Path.Combine(Directory, "jobs.json");

    /// <summary>Default: $MODELIDE_JOBS_STATE_DIR, else $XDG_STATE_HOME/modelide, else ~/.local/state/modelide.</summary>
    public static string DefaultDirectory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("MODELIDE_JOBS_STATE_DIR");
        if (!string.IsNullOrWhiteSpace(explicitDir))
        {
            return explicitDir;
        }

        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "ModelIde");
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        return !string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(xdg, "modelide")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "modelide");
    }

    public IReadOnlyList<JobInfo> List()
    {
        lock (s_gate)
        {
            return Read();
        }
    }

    public JobInfo? Find(string jobId) => List().FirstOrDefault(j => j.JobId == jobId);

    public JobInfo Get(string jobId) =>
        Find(jobId) ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"No job '{jobId}' in {FilePath}.");

    public void Save(JobInfo job)
    {
        lock (s_gate)
        {
            System.IO.Directory.CreateDirectory(Directory);
            // The CLI and the sidecar may save at once: read-modify-write under an exclusive lock file.
            using var fileLock = AcquireFileLock();
            var jobs = Read().ToList();
            var i = jobs.FindIndex(j => j.JobId == job.JobId);
            if (i >= 0)
            {
                jobs[i] = job;
            }
            else
            {
                jobs.Add(job);
            }

            System.IO.Directory.CreateDirectory(Directory);
            var tmp = FilePath + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(jobs, JsonOptions));
            File.Move(tmp, FilePath, overwrite: true);
        }
    }

    private FileStream AcquireFileLock()
    {
        var path = Path.Combine(Directory, "jobs.lock");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 100)
            {
                Thread.Sleep(50);
            }
        }
    }

    private List<JobInfo> Read()
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<JobInfo>>(File.ReadAllText(FilePath), JsonOptions) ?? [];
        }
        catch (JsonException ex)
        {
            throw new ModelIdeException(ModelIdeErrorKind.IntegrityFailure, $"The job list {FilePath} is corrupt: {ex.Message}", ex);
        }
    }
}
