using System.Diagnostics;
using System.Text.Json;

namespace ModelIde.Core.Tests.Inference;

/// <summary>
/// The generated model folders of every export layout and dtype (tests/tools/decoder_fixtures/generate.py, from
/// tiny-stdlib-coder's weights), made on first use under .build/fixtures/decoders and reused while the generator's
/// version matches.
/// </summary>
public sealed class DecoderFixtures
{
    private static readonly Lock GenerateLock = new();

    public DecoderFixtures()
    {
        var repo = Path.GetDirectoryName(Path.GetDirectoryName(TinyModel.Locate()))!;
        Root = Path.Combine(repo, ".build", "fixtures", "decoders");
        var script = Path.Combine(repo, "tests", "tools", "decoder_fixtures", "generate.py");
        var version = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(script), "GENERATOR_VERSION = \"(\\d+)\"").Groups[1].Value;
        lock (GenerateLock)
        {
            var stamp = Path.Combine(Root, "VERSION");
            if (!File.Exists(stamp) || File.ReadAllText(stamp).Trim() != version)
            {
                Run("/usr/bin/python3", script, Root);
            }
        }

        using var listing = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures.json")));
        Names = listing.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Expected = listing.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("expected").GetString()!);
        ExpectedIdsPath = Path.Combine(repo, "tests", "tools", "decoder_fixtures", "expected-ids.json");
    }

    public string Root { get; }

    public IReadOnlyList<string> Names { get; }

    /// <summary>"reference" (reference.json's ids) or the key of the fixture's ids in expected-ids.json.</summary>
    public IReadOnlyDictionary<string, string> Expected { get; }

    public string ExpectedIdsPath { get; }

    public string Folder(string name) => Path.Combine(Root, name);

    private static void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}). Is python3-onnx installed " +
                $"(scripts/setup/40-inference-oracles.sh)?\n{stdout.Result}\n{stderr}");
        }
    }

    public static IEnumerable<string> FixtureNames()
    {
        var repo = Path.GetDirectoryName(Path.GetDirectoryName(TinyModel.Locate()))!;
        var script = File.ReadAllText(Path.Combine(repo, "tests", "tools", "decoder_fixtures", "generate.py"));
        return System.Text.RegularExpressions.Regex.Matches(script, "^        \"([a-z0-9-]+)\": \\(", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value);
    }
}

[CollectionDefinition(Name)]
public sealed class DecoderFixturesCollection : ICollectionFixture<DecoderFixtures>, ICollectionFixture<TinyModel>
{
    public const string Name = "decoder fixtures";
}
