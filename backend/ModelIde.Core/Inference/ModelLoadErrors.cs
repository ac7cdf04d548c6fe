using Microsoft.ML.OnnxRuntime;

namespace ModelIde.Core.Inference;

/// <summary>
/// Turns ONNX Runtime's failures into what a user can act on: which file, what is wrong with it, and what would fix it.
/// The runtime's own words stay at the end, for a bug report.
/// </summary>
internal static class ModelLoadErrors
{
    public static ModelIdeException Explain(ModelFolderChoice folder, OnnxRuntimeException e)
    {
        var file = folder.Chosen.RelativeTo(folder.Root);
        var detail = FirstLine(e.Message);
        var message = e.Message switch
        {
            var m when m.Contains("Could not find an implementation for", StringComparison.Ordinal) =>
                $"{file} uses an operator ({Between(m, "implementation for ", " node")}) that ONNX Runtime's CPU build does not implement; " +
                "it is probably exported for a GPU (CUDA/DirectML). Pick the repository's CPU variant (cpu_and_mobile/..., model_q4.onnx or model.onnx).",
            var m when m.Contains("external data", StringComparison.OrdinalIgnoreCase) || m.Contains("onnx_data", StringComparison.Ordinal) ||
                       m.Contains(".data", StringComparison.Ordinal) && m.Contains("open", StringComparison.OrdinalIgnoreCase) =>
                $"{file} keeps its weights in a separate file that is missing or incomplete. Download the whole variant: the .onnx file and its " +
                ".onnx_data / .onnx.data files, from the same revision.",
            var m when m.Contains("Protobuf parsing failed", StringComparison.Ordinal) || m.Contains("INVALID_PROTOBUF", StringComparison.Ordinal) =>
                $"{file} is not a complete ONNX model (truncated download, or a Git LFS pointer instead of the file). Download it again.",
            var m when m.Contains("opset", StringComparison.OrdinalIgnoreCase) || m.Contains("IR version", StringComparison.OrdinalIgnoreCase) =>
                $"{file} was exported for a newer ONNX Runtime than the one built in (1.31). Export it with an older opset, or pick another variant.",
            _ => $"ONNX Runtime could not load {file}. Check that the download is complete, or pick another variant of the model.",
        };
        return new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"{message} (ONNX Runtime: {detail})", e);
    }

    public static ModelIdeException ExplainRun(ModelFolderChoice folder, OnnxRuntimeException e) =>
        new(ModelIdeErrorKind.InvalidInput,
            $"{folder.Chosen.RelativeTo(folder.Root)} loaded but failed while generating: its inputs or outputs are not laid out as a " +
            $"decoder with a KV cache expects. Pick another variant, or report the model. (ONNX Runtime: {FirstLine(e.Message)})", e);

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "...";
    }

    private static string Between(string text, string start, string end)
    {
        var i = text.IndexOf(start, StringComparison.Ordinal);
        if (i < 0)
        {
            return "?";
        }

        i += start.Length;
        var j = text.IndexOf(end, i, StringComparison.Ordinal);
        return j < 0 ? text[i..] : text[i..j];
    }
}
