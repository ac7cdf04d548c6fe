namespace ModelIde.TestSupport;

/// <summary>Hostile hub answers (issue 19 cases 11 and 12) served by <see cref="RecordingHttpServer"/> to the CLI and the sidecar.</summary>
public static class HostileAnswers
{
    /// <summary>A models/search page whose dates are out of range or unreadable (five) and fine (the last).</summary>
    public const string PageWithHostileDates = """
        {"success":true,"data":{"total_count":6,"models":[
          {"id":"a/epoch-ms-too-big","last_modified":9000000000000000000},
          {"id":"a/exponent","last_modified":9e18},
          {"id":"a/negative","last_modified":-9000000000000000000},
          {"id":"a/text","last_modified":"9e18"},
          {"id":"a/huge-double","last_modified":1e300},
          {"id":"a/fine","last_modified":1700000000}
        ]}}
        """;

    /// <summary>The product's cap on an API answer (ModelScopeApiClient.MaxResponseBytes).</summary>
    public const long Cap = 64L << 20;

    /// <summary>What the kernel's socket buffers can hold beyond what the client read (loopback autotuning reaches a few MB).</summary>
    public const long SocketSlack = 32L << 20;

    /// <summary>A 1.5 GB models/search answer (1,473.4 MiB): a JSON page that never seems to end.</summary>
    public static FakeAnswer HugePage(bool declareLength) => new(
        200,
        "{\"success\":true,\"data\":{\"models\":[",
        Unit: "{\"id\":\"a/b\",\"description\":\"" + new string('x', 1000) + "\"},",
        UnitRepeats: 1_500_000,
        Tail: "{\"id\":\"a/c\"}]}}",
        DeclareLength: declareLength);
}
