namespace ModelIde.TestSupport;

/// <summary>Places in the checkout the tests were built from, found by walking up from the test binaries.</summary>
public static class RepoPaths
{
    /// <summary>The folder that holds ModelIde.sln (for scripts/ and the ./modelide launcher).</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelIde.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (ModelIde.sln) above " + AppContext.BaseDirectory);
    }

    /// <summary>models/tiny-stdlib-coder, the bundled model the local hub serves.</summary>
    public static string TinyModelDir()
    {
        var dir = Path.Combine(Root(), "models", "tiny-stdlib-coder");
        return File.Exists(Path.Combine(dir, "model.onnx")) ? dir : throw new DirectoryNotFoundException(dir + " (with model.onnx)");
    }
}
