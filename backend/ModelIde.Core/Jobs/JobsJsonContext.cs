using System.Text.Json.Serialization;

namespace ModelIde.Core.Jobs;

/// <summary>
/// Compile-time JSON metadata for what the job store and the CLI write about jobs, so the native (AOT) CLI needs no
/// reflection. <see cref="JobStore.JsonOptions"/> resolves through this alone: a type missing here fails every test that
/// writes it, not only the native build.
/// </summary>
[JsonSerializable(typeof(List<JobInfo>))]
[JsonSerializable(typeof(IReadOnlyList<JobInfo>))]
[JsonSerializable(typeof(JobInfo))]
[JsonSerializable(typeof(IReadOnlyList<JobPreset>))]
[JsonSerializable(typeof(JobPreviewResult))]
[JsonSerializable(typeof(Dictionary<string, JobHostEnvironment>))]
internal sealed partial class JobsJsonContext : JsonSerializerContext;
