namespace ModelIde.ProtocolGen;

/// <summary>What the generator writes: path relative to the repository root, and the full content.</summary>
public static class GeneratedFiles
{
    public static IReadOnlyList<(string Path, string Content)> For(ProtocolModel model, string root)
    {
        var doc = File.ReadAllText(Path.Combine(root, MarkdownWriter.RelativePath));
        return
        [
            (TypeScriptWriter.RelativePath, TypeScriptWriter.Write(model)),
            (MarkdownWriter.RelativePath, MarkdownWriter.Fill(doc, model)),
        ];
    }
}
