namespace ModelIde.Core.Inference;

/// <summary>One runnable variant in a repository listing: its ONNX file and every file that belongs to it only.</summary>
public sealed record ListedVariant(string File, string Precision, bool GpuOnly, long Bytes, IReadOnlyList<string> Files);

/// <summary>
/// What to download to run one variant of a repository that holds several: the variant's own files plus the shared ones
/// (config, tokenizer, chat template, README), without the other variants, weights in other formats or dot-files.
/// </summary>
public sealed record VariantDownloadPlan(ListedVariant? Chosen, string Reason, IReadOnlyList<ListedVariant> Variants, IReadOnlyList<string> Files, long Bytes, long AllBytes);

/// <summary>Plans a download from the hub's file listing, choosing the variant the way <see cref="ModelVariantChooser"/> would on disk.</summary>
public static class VariantDownloadPlanner
{
    // Weights of other runtimes (PyTorch, safetensors, GGUF, TensorFlow, Flax): not read by the ONNX runtime.
    private static readonly string[] OtherWeights = [".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack", ".ckpt", ".tflite", ".ot"];

    /// <param name="files">Every file of the repository (path relative to its root, size in bytes); folders left out.</param>
    public static VariantDownloadPlan Plan(IReadOnlyList<(string Path, long Size)> files, string device, long availableBytes)
    {
        var size = files.GroupBy(f => f.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Size, StringComparer.Ordinal);
        var allBytes = size.Values.Sum();
        var owned = new HashSet<string>(StringComparer.Ordinal);
        var variants = new List<ListedVariant>();

        // A GenAI builder folder (genai_config.json beside the model) is one variant with everything in it.
        var genaiFolders = size.Keys.Where(p => Name(p) == "genai_config.json").Select(Folder).ToHashSet(StringComparer.Ordinal);
        foreach (var folder in genaiFolders.Order(StringComparer.Ordinal))
        {
            var inFolder = size.Keys.Where(p => Folder(p) == folder).Order(StringComparer.Ordinal).ToList();
            var model = inFolder.FirstOrDefault(p => Name(p) == "model.onnx") ?? inFolder.FirstOrDefault(p => p.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
            if (model is null || folder.Length == 0 && inFolder.Count(p => p.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) > 1)
            {
                continue; // a root genai_config.json beside several models: those are told apart below
            }

            var (precision, gpuOnly) = ModelVariantChooser.Classify(model, inGenaiFolder: folder.Length > 0);
            // At the root the folder's files are the shared files too; a nested folder's belong to it alone.
            var own = folder.Length == 0 ? [model, .. ExternalData(model, size.Keys)] : inFolder;
            variants.Add(new ListedVariant(model, precision, gpuOnly, own.Sum(p => size[p]), own));
            owned.UnionWith(own);
        }

        foreach (var group in size.Keys.Where(p => !owned.Contains(p) && p.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)).GroupBy(Folder))
        {
            var names = group.Select(Name).ToHashSet(StringComparer.Ordinal);
            foreach (var model in group.Order(StringComparer.Ordinal))
            {
                var name = Name(model);
                var own = new List<string> { model };
                own.AddRange(ExternalData(model, size.Keys));
                owned.UnionWith(own);
                // optimum's two halves are not needed beside the merged decoder; multimodal parts are not decoders.
                if ((names.Contains("decoder_model_merged.onnx") && name is "decoder_model.onnx" or "decoder_with_past_model.onnx") || ModelVariantChooser.IsPart(name))
                {
                    if (ModelVariantChooser.IsPart(name))
                    {
                        owned.ExceptWith(own); // kept as shared: a multimodal model may need it
                    }

                    continue;
                }

                var (precision, gpuOnly) = ModelVariantChooser.Classify(model, inGenaiFolder: false);
                variants.Add(new ListedVariant(model, precision, gpuOnly, own.Sum(p => size[p]), own));
            }
        }

        variants.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        // Repository metadata (.gitattributes) is not the model's: downloads skip it anyway.
        var shared = size.Keys.Where(p => !owned.Contains(p) && !Name(p).StartsWith('.') && !OtherWeights.Any(e => p.EndsWith(e, StringComparison.OrdinalIgnoreCase))).ToList();
        if (variants.Count == 0)
        {
            return new VariantDownloadPlan(null, "no ONNX model in the repository", variants, size.Keys.Order(StringComparer.Ordinal).ToList(), allBytes, allBytes);
        }

        // The chooser's ranking works on paths: give it the listing's, under a root that exists nowhere.
        var root = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "listing"));
        var asVariants = variants.Select(v => new ModelVariant(Path.Combine(root, v.File), v.Precision, v.GpuOnly, v.Bytes, null)).ToList();
        ModelVariant chosen;
        string reason;
        try
        {
            (chosen, reason) = variants.Count == 1
                ? (asVariants[0], "the only model in the repository")
                : ModelVariantChooser.Pick(asVariants, device, availableBytes, root);
        }
        catch (ModelIdeException e)
        {
            // Nothing here runs on this device (GPU-only builds on a CPU): no choice to offer, the whole repository.
            return new VariantDownloadPlan(null, e.Message.Replace(root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal).Replace(root, "the repository", StringComparison.Ordinal),
                variants, size.Keys.Order(StringComparer.Ordinal).ToList(), allBytes, allBytes);
        }

        var pick = variants[asVariants.IndexOf(chosen)];
        var plan = shared.Concat(pick.Files).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new VariantDownloadPlan(pick, reason, variants, plan, plan.Sum(p => size[p]), allBytes);
    }

    /// <summary>model.onnx_data, model.onnx.data, model.onnx_data_1, ... beside the model.</summary>
    private static IEnumerable<string> ExternalData(string model, IEnumerable<string> paths) =>
        paths.Where(p => p != model && Folder(p) == Folder(model) &&
            (Name(p).StartsWith(Name(model) + "_data", StringComparison.Ordinal) || Name(p).StartsWith(Name(model) + ".data", StringComparison.Ordinal)));

    private static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static string Folder(string path) => path.LastIndexOf('/') is var i and >= 0 ? path[..i] : "";
}
