using Microsoft.ML.OnnxRuntime;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>
/// ONNX Runtime's own log, taken through its logging callback instead of the colour-coded lines it would write to
/// stderr: warnings and errors still go to stderr (the sidecar's log), plainly, and the recent errors are kept so a
/// failure can be explained by what ONNX Runtime said (the managed exception for a CUDA provider that did not load
/// says only "Failed to load shared library"; the log line names the missing library or symbol).
/// </summary>
public static class OnnxRuntimeLog
{
    private static readonly Lock Gate = new();
    private static readonly List<string> Errors = [];
    private static readonly DOrtLoggingFunction Callback = Write;
    private static bool _installed;

    /// <summary>Creates the process's OrtEnv with the callback; a no-op when an OrtEnv already exists.</summary>
    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (_installed)
            {
                return;
            }

            _installed = true;
        }

        try
        {
            var options = new EnvironmentCreationOptions
            {
                logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
                loggingFunction = Callback,
            };
            OrtEnv.CreateInstanceWithOptions(ref options);
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidOperationException)
        {
            // An OrtEnv exists already (someone used ONNX Runtime first): its default logging stays.
        }
    }

    /// <summary>How many errors were logged so far; pass it to <see cref="ErrorsSince"/> after an attempt.</summary>
    public static int Mark()
    {
        lock (Gate)
        {
            return Errors.Count;
        }
    }

    public static IReadOnlyList<string> ErrorsSince(int mark)
    {
        lock (Gate)
        {
            return Errors.Skip(mark).ToArray();
        }
    }

    private static void Write(IntPtr param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        if (severity >= OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR)
        {
            lock (Gate)
            {
                Errors.Add(message);
                if (Errors.Count > 200)
                {
                    Errors.RemoveRange(0, 100);
                }
            }
        }

        Console.Error.WriteLine($"onnxruntime {(severity >= OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR ? "error" : "warning")}: {message}");
    }
}
