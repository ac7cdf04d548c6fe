using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelIde.Core.Jobs;

/// <summary>Where slurmrestd listens and who we are there (JWT from <c>scontrol token</c>).</summary>
public sealed record SlurmRestOptions(Uri BaseUri, string UserName, string Token, string ApiVersion = "v0.0.38")
{
    /// <summary>Whether the JWT (and the job's MODELSCOPE_API_TOKEN) may go to <see cref="BaseUri"/> over plain http.</summary>
    public Auth.PlainHttpPolicy PlainHttp { get; init; } = Auth.PlainHttpPolicy.FromEnvironment();
}

/// <summary>What slurmrestd says about a job.</summary>
public sealed record SlurmRestJobState(string State, string? Reason, int? ExitCode);

/// <summary>
/// slurmrestd (API v0.0.36–v0.0.38, Slurm 22.05) with JWT auth. slurmrestd 22.05 rejects
/// <c>application/json; charset=utf-8</c> and chunked bodies, so bodies go as fixed-length JSON with a bare media type.
/// Errors come as HTTP 500 with details in <c>errors[]</c>, so every answer's <c>errors</c> is read.
/// </summary>
public sealed class SlurmRestClient(HttpClient http, SlurmRestOptions options)
{
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Get, "ping", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits a batch script; <paramref name="environment"/> becomes the job's environment (mandatory in the API).</summary>
    public async Task<string> SubmitAsync(string script, JsonObject jobProperties, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var env = new JsonObject();
        foreach (var (k, v) in environment)
        {
            env[k] = v;
        }

        jobProperties["environment"] = env;
        var body = new JsonObject { ["script"] = script, ["job"] = jobProperties };
        using var doc = await SendAsync(HttpMethod.Post, "job/submit", body, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.TryGetProperty("job_id", out var id) && id.ValueKind == JsonValueKind.Number
            ? id.GetInt64().ToString(CultureInfo.InvariantCulture)
            : throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, "slurmrestd accepted the job but returned no job_id.");
    }

    public async Task<SlurmRestJobState> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        using var doc = await SendAsync(HttpMethod.Get, "job/" + Uri.EscapeDataString(jobId), null, cancellationToken).ConfigureAwait(false);
        if (!doc.RootElement.TryGetProperty("jobs", out var jobs) || jobs.ValueKind != JsonValueKind.Array || jobs.GetArrayLength() == 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"slurmrestd does not know job {jobId}.");
        }

        var j = jobs[0];
        var state = j.TryGetProperty("job_state", out var s) ? s.GetString() ?? "UNKNOWN" : "UNKNOWN";
        var reason = j.TryGetProperty("state_reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        int? exit = j.TryGetProperty("exit_code", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : null;
        return new SlurmRestJobState(state, reason, exit);
    }

    public async Task CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Delete, "job/" + Uri.EscapeDataString(jobId), null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var uri = new Uri(options.BaseUri, $"slurm/{options.ApiVersion}/{path}");
        options.PlainHttp.EnsureMaySendCredentials(uri, "the Slurm token");
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Add("X-SLURM-USER-NAME", options.UserName);
        request.Headers.Add("X-SLURM-USER-TOKEN", options.Token);
        if (body is not null)
        {
            var content = new StringContent(body.ToJsonString());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Content = content;
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new ModelIdeException(ModelIdeErrorKind.Network, $"Cannot reach slurmrestd at {options.BaseUri}: {ex.Message}", ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
            {
                throw new ModelIdeException(ModelIdeErrorKind.PermissionDenied, $"slurmrestd refused the token of {options.UserName} (401).") { ServerCode = "401" };
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
                throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"slurmrestd answered {(int)response.StatusCode}: {Diagnostics.SecretRedactor.Redact(text.Trim())}") { ServerCode = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) };
            }

            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                var message = first.TryGetProperty("error", out var m) ? m.GetString() : first.ToString();
                var code = first.TryGetProperty("error_number", out var n) ? n.ToString() : first.TryGetProperty("error_code", out var c) ? c.ToString() : null;
                doc.Dispose();
                throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"slurmrestd: {message}{(code is null ? "" : " (" + code + ")")}") { ServerCode = code };
            }

            if (!response.IsSuccessStatusCode)
            {
                doc.Dispose();
                throw new ModelIdeException(ModelIdeErrorKind.RemoteFailure, $"slurmrestd answered {(int)response.StatusCode}: {Diagnostics.SecretRedactor.Redact(text.Trim())}") { ServerCode = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) };
            }

            return doc;
        }
    }
}
