namespace ModelIde.Sidecar.Tests.Inference;

/// <summary>Finds the repository's bundled model by walking up from the test binaries.</summary>
internal static class BundledModel
{
    public static string TinyModelDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "tiny-stdlib-coder");
            if (File.Exists(Path.Combine(candidate, "model.onnx")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("models/tiny-stdlib-coder not found");
    }
}
