using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ModelIde.Sidecar.Tests.Inference;

/// <summary>
/// Issue 13's acceptance run: <c>./modelide infer --model &lt;repository root&gt; --json</c>, the real CLI process, on every
/// generated export layout (tests/tools/decoder_fixtures/generate.py), gives the expected greedy ids and names the file
/// it ran.
/// </summary>
public sealed class InferFixturesCliTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int NewTokens = 16;
    private static readonly Lock GenerateLock = new();

    private static string Repo() => Path.GetDirectoryName(Path.GetDirectoryName(ModelIde.TestSupport.RepoPaths.TinyModelDir()))!;

    /// <summary>The generated fixtures, made on first use (the same generator and stamp as the Core tests use).</summary>
    internal static string FixturesRoot()
    {
        var root = Path.Combine(Repo(), ".build", "fixtures", "decoders");
        var script = Path.Combine(Repo(), "tests", "tools", "decoder_fixtures", "generate.py");
        var version = Regex.Match(File.ReadAllText(script), "GENERATOR_VERSION = \"(\\d+)\"").Groups[1].Value;
        lock (GenerateLock)
        {
            var stamp = Path.Combine(root, "VERSION");
            if (!File.Exists(stamp) || File.ReadAllText(stamp).Trim() != version)
            {
                var (code, stdout, stderr) = Run("/usr/bin/python3", [script, root]);
                Assert.True(code == 0, $"the fixture generator failed (python3-onnx installed? scripts/setup/40-inference-oracles.sh):\n{stdout}\n{stderr}");
            }
        }

        return root;
    }

    private static (int Code, string Stdout, string Stderr) Run(string exe, IEnumerable<string> args)
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
        return (p.ExitCode, stdout.Result, stderr);
    }

    public static TheoryData<string> Fixtures()
    {
        var script = File.ReadAllText(Path.Combine(Repo(), "tests", "tools", "decoder_fixtures", "generate.py"));
        return new(Regex.Matches(script, "^        \"([a-z0-9-]+)\": \\(", RegexOptions.Multiline).Select(m => m.Groups[1].Value));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Infer_json_on_the_repository_root_gives_the_expected_ids_and_names_the_file(string name)
    {
        var root = FixturesRoot();
        using var listing = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "fixtures.json")));
        var expectedKey = listing.RootElement.GetProperty(name).GetProperty("expected").GetString()!;
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelIde.TestSupport.RepoPaths.TinyModelDir(), "reference.json")));
        var prompt = reference.RootElement.GetProperty("generation")[0];
        int[] expected;
        if (expectedKey == "reference")
        {
            expected = prompt.GetProperty("greedy_ids_onnxruntime").EnumerateArray().Take(NewTokens).Select(x => x.GetInt32()).ToArray();
        }
        else
        {
            using var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo(), "tests", "tools", "decoder_fixtures", "expected-ids.json")));
            expected = recorded.RootElement.GetProperty(expectedKey).GetProperty("ids")[0].EnumerateArray().Take(NewTokens).Select(x => x.GetInt32()).ToArray();
        }

        // Through ./modelide, what a user runs: the native CLI where the launcher could build it (scripts/test.d/10-dotnet.sh
        // builds it before the tests), else the .NET build.
        var (code, stdout, stderr) = Run(Path.Combine(Repo(), "modelide"), ["infer", "--model", Path.Combine(root, name),
            "--prompt", prompt.GetProperty("prompt").GetString()!, "--max-new-tokens", NewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--device", "cpu", "--threads", "1", "--json"]);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        output.WriteLine($"{name}: {doc.RootElement.GetProperty("file").GetString()} ({doc.RootElement.GetProperty("file_reason").GetString()})");
        Assert.Equal(expected, doc.RootElement.GetProperty("token_ids").EnumerateArray().Select(x => x.GetInt32()));
        Assert.EndsWith(".onnx", doc.RootElement.GetProperty("file").GetString(), StringComparison.Ordinal);
    }
}
