using System.Diagnostics;
using System.Globalization;
using GenAi = Microsoft.ML.OnnxRuntimeGenAI;

namespace ModelIde.Bench.Inference;

/// <summary>
/// ONNX Runtime GenAI 0.18 as a peer: its own C++ greedy decode loop over the same file, in this process (it runs on the
/// libonnxruntime ModelIde already loaded), with the model folder's genai_config.json (shared KV buffer where it says so)
/// and the same intra-op thread count. A bench- and test-only dependency; the shipped sidecar does not carry it.
/// </summary>
internal sealed class GenAiWorker : IDisposable
{
    private readonly GenAi.Model _model;
    private readonly GenAi.Tokenizer _tokenizer;

    private GenAiWorker(GenAi.Model model, double loadMs)
    {
        _model = model;
        _tokenizer = new GenAi.Tokenizer(model);
        LoadMs = loadMs;
    }

    /// <summary>Like ModelIde's loop, which streams text to the playground, the peer turns each new token into text.</summary>
    public string Runtime => "ONNX Runtime GenAI 0.18.0 (C# in-process, same libonnxruntime; text streamed by its TokenizerStream)";

    public double LoadMs { get; }

    public static GenAiWorker Start(string modelDir, int threads)
    {
        var clock = Stopwatch.StartNew();
        using var config = new GenAi.Config(modelDir);
        var sessionOptions = new System.Text.Json.Nodes.JsonObject { ["intra_op_num_threads"] = threads, ["inter_op_num_threads"] = 1 };
        config.Overlay(new System.Text.Json.Nodes.JsonObject { ["model"] = new System.Text.Json.Nodes.JsonObject { ["decoder"] = new System.Text.Json.Nodes.JsonObject { ["session_options"] = sessionOptions } } }.ToJsonString());
        var model = new GenAi.Model(config);
        return new GenAiWorker(model, clock.Elapsed.TotalMilliseconds);
    }

    public Sample Generate(int[] prompt, int newTokens, int[] stopIds)
    {
        using var parameters = new GenAi.GeneratorParams(_model);
        parameters.SetSearchOption("max_length", prompt.Length + newTokens);
        parameters.SetSearchOption("do_sample", false);
        var ids = new List<int>(newTokens);
        var t0 = Stopwatch.GetTimestamp();
        var ttft = 0.0;
        var steps = 0;
        using var text = _tokenizer.CreateStream();
        using (var generator = new GenAi.Generator(_model, parameters))
        {
            generator.AppendTokens(prompt);
            while (ids.Count < newTokens && !generator.IsDone())
            {
                generator.GenerateNextToken();
                var id = generator.GetNextTokens()[0];
                if (ids.Count == 0 && ttft == 0)
                {
                    ttft = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                else
                {
                    steps++;
                }

                if (stopIds.Contains(id))
                {
                    break;
                }

                ids.Add(id);
                text.Decode(id);
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var decode = steps == 0 ? 0 : steps / ((elapsed - ttft) / 1000);
        // GenAI's loop is native: no per-step split between Run() and the rest is visible from C#.
        return new Sample(ids, prompt.Length, ttft, decode, double.NaN);
    }

    public void Dispose()
    {
        _tokenizer.Dispose();
        _model.Dispose();
    }
}

/// <summary>
/// The peak resident memory of a process while it generates: `modelide infer` (the CLI on the same Core as the sidecar)
/// run as its own process, its /proc/PID/status VmHWM polled until it exits.
/// </summary>
internal static class PeakMemory
{
    public static (long PeakBytes, string Command) OfModelideInfer(string root, string modelDir, string prompt, int newTokens, int threads)
    {
        var launcher = Path.Combine(root, "modelide");
        var args = new[] { "infer", "--model", modelDir, "--prompt", prompt, "--max-new-tokens", newTokens.ToString(CultureInfo.InvariantCulture),
            "--device", "cpu", "--threads", threads.ToString(CultureInfo.InvariantCulture), "--json" };
        Run(launcher, ["--help"]); // builds the CLI first when its sources changed, outside the measurement
        var psi = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var peak = 0L;
        while (!p.HasExited)
        {
            // The launcher execs dotnet in the same process: this PID is the CLI itself.
            peak = Math.Max(peak, VmHwm(p.Id) ?? 0);
            Thread.Sleep(5);
        }

        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"modelide infer failed ({p.ExitCode}): {stderr.Result}");
        }

        _ = stdout.Result;
        return (peak, "modelide " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Contains('\n', StringComparison.Ordinal) ? "'…'" : a)));
    }

    /// <summary>VmHWM (peak resident set) in bytes, or null when the process is gone.</summary>
    public static long? VmHwm(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static void Run(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
    }
}
