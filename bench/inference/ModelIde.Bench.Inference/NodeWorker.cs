using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ModelIde.Bench.Inference;

/// <summary>One generation's figures, from either loop.</summary>
internal sealed record Sample(
    IReadOnlyList<int> Ids, int PromptTokens, double TtftMs, double DecodeTokensPerSecond, double RunShare,
    double BytesPerStep = double.NaN, double BytesPerToken = double.NaN);

/// <summary>
/// The onnxruntime-node baseline (bench/inference/node/bench.mjs) as a long-lived process with its session loaded,
/// asked for one generation at a time, so its runs can alternate with ModelIde's.
/// </summary>
internal sealed class NodeWorker : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private NodeWorker(Process process, StringBuilder stderr, string runtime, double loadMs)
    {
        _process = process;
        _stderr = stderr;
        Runtime = runtime;
        LoadMs = loadMs;
    }

    public string Runtime { get; }

    /// <summary>The node process, for its peak resident memory.</summary>
    public int ProcessId => _process.Id;

    public double LoadMs { get; }

    public static NodeWorker? Start(string root, string modelDir, int threads)
    {
        var nodeDir = Path.Combine(root, "bench", "inference", "node");
        if (!Directory.Exists(Path.Combine(nodeDir, "node_modules", "onnxruntime-node")))
        {
            Console.WriteLine("node baseline skipped: bench/inference/run.sh installs onnxruntime-node");
            return null;
        }

        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = nodeDir,
        };
        foreach (var a in new[] { Path.Combine(nodeDir, "bench.mjs"), modelDir, threads.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        var ready = ReadLine(process, stderr);
        return new NodeWorker(process, stderr, (string)ready["runtime"]!, (double)ready["loadMs"]!);
    }

    public Sample Generate(int[] prompt, int newTokens, int[] stopIds)
    {
        var request = new JsonObject
        {
            ["prompt"] = new JsonArray(prompt.Select(x => (JsonNode)x).ToArray()),
            ["newTokens"] = newTokens,
            ["stopIds"] = new JsonArray(stopIds.Select(x => (JsonNode)x).ToArray()),
        };
        _process.StandardInput.WriteLine(request.ToJsonString());
        _process.StandardInput.Flush();
        var r = ReadLine(_process, _stderr);
        var ids = r["ids"]!.AsArray().Select(x => (int)x!).ToArray();
        var ttft = (double)r["ttftMs"]!;
        var elapsed = (double)r["elapsedMs"]!;
        var steps = (int)r["decodeSteps"]!;
        var decode = steps == 0 ? 0 : steps / ((elapsed - ttft) / 1000);
        return new Sample(ids, (int)r["promptTokens"]!, ttft, decode, (double)r["runMs"]! / elapsed);
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static JsonObject ReadLine(Process process, StringBuilder stderr)
    {
        var line = process.StandardOutput.ReadLine();
        if (line is null)
        {
            process.WaitForExit(5_000);
            lock (stderr)
            {
                throw new InvalidOperationException($"node baseline exited: {stderr}");
            }
        }

        return JsonNode.Parse(line)!.AsObject();
    }
}
