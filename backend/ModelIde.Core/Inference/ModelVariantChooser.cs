using System.Text.Json;

namespace ModelIde.Core.Inference;

/// <summary>What one runnable ONNX decoder in a model folder is: its file, precision, where it is meant to run, its size.</summary>
public sealed record ModelVariant(string ModelPath, string Precision, bool GpuOnly, long Bytes, string? GenaiConfigPath)
{
    /// <summary>The path relative to the folder the user gave, with forward slashes (what the UI and --json show).</summary>
    public string RelativeTo(string root) => Path.GetRelativePath(root, ModelPath).Replace('\\', '/');
}

/// <summary>The variant chosen to run, why, and the others that were there.</summary>
public sealed record ModelFolderChoice(ModelVariant Chosen, string Reason, IReadOnlyList<ModelVariant> Variants, string Root);

/// <summary>
/// Finds the ONNX decoders in a model folder laid out by any common exporter (optimum, the legacy merged decoder,
/// onnx-community's <c>onnx/model_*.onnx</c>, the GenAI builder's nested <c>cpu_and_mobile/cpu-int4-.../</c> folders) and
/// picks one for the device and the machine's memory: int4, then int8, then fp32 on CPU; fp16 first on a GPU.
/// </summary>
public static class ModelVariantChooser
{
    // Deep enough for any repository layout seen (builder variants sit 2 levels down, some repos nest them under
    // their own folders). Symbolic links cannot loop (each real folder is walked once), but a folder above many models,
    // or a hostile one, could still take minutes: the walk stops at these bounds.
    private const int MaxDepth = 8;
    private const int MaxFolders = 2000;
    private const int MaxVariants = 256;

    // Variants named in a reason or an error; the rest are counted.
    private const int MaxListed = 8;

    public static ModelFolderChoice Choose(string folder, string device, long availableBytes, string? requestedFile = null)
    {
        if (!Directory.Exists(folder))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Model folder not found: {folder}");
        }

        var root = Path.GetFullPath(folder);
        var variants = Find(root);
        if (requestedFile is not null)
        {
            var path = Path.GetFullPath(Path.IsPathRooted(requestedFile) ? requestedFile : Path.Combine(root, requestedFile));
            var asked = variants.FirstOrDefault(v => v.ModelPath == path || (v.GenaiConfigPath is { } g && Path.GetDirectoryName(g) == path))
                ?? (File.Exists(path) ? DescribeRequested(root, path, requestedFile) : throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                    $"The requested model file {requestedFile} is not in {root}. Files found: {List(variants, root)}."));
            return new ModelFolderChoice(asked, "chosen by the user", variants, root);
        }

        if (variants.Count == 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"No ONNX model (*.onnx) in {root} or the folders below it. A model to run locally is an ONNX export " +
                "(optimum, onnx-community or the ONNX Runtime GenAI builder); download the repository's ONNX files or pick another model.");
        }

        if (variants.Count == 1)
        {
            return new ModelFolderChoice(variants[0], "the only model in the folder", variants, root);
        }

        var (chosen, reason) = Pick(variants, device, availableBytes, root);
        return new ModelFolderChoice(chosen, reason, variants, root);
    }

    /// <summary>The variant for the device and the memory among several, and why (shared with the download plan).</summary>
    internal static (ModelVariant Chosen, string Reason) Pick(IReadOnlyList<ModelVariant> variants, string device, long availableBytes, string root)
    {
        var gpu = device is "gpu" or "npu";
        var usable = variants.Where(v => gpu || !v.GpuOnly).ToList();
        if (usable.Count == 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"Every model in {root} is built for a GPU ({List(variants, root)}), and this run is on {device}. " +
                "Download the repository's CPU variant (cpu_and_mobile/...) or run on a GPU.");
        }

        // A decoder needs its weights in memory plus working space; leave a margin rather than swap.
        var fitting = usable.Where(v => v.Bytes * 1.3 < availableBytes).ToList();
        var pool = fitting.Count > 0 ? fitting : usable;
        var chosen = pool.OrderBy(v => Rank(v, gpu)).ThenBy(v => v.Bytes).First();
        var why = gpu
            ? $"{chosen.Precision} is the preferred precision on a GPU"
            : $"{chosen.Precision} is the fastest precision ONNX Runtime runs on CPU among these";
        if (fitting.Count == 0)
        {
            why += $"; none fits comfortably in the {availableBytes / (1024 * 1024):N0} MB of memory available, so the smallest suitable one";
        }

        return (chosen, $"{why} ({variants.Count} variants: {List(variants, root)})");
    }

    /// <summary>
    /// A file named by a setting rather than typed at a prompt: it must be a relative path inside the model folder, so a
    /// setting cannot make the sidecar load an ONNX file from anywhere else.
    /// </summary>
    public static string RequireInside(string folder, string file)
    {
        var root = Path.GetFullPath(folder);
        if (!IsRelativeInside(root, root, file))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"The model file \"{file}\" must be a relative path inside the model folder {root}, such as onnx/model_q4.onnx.");
        }

        return file;
    }

    private static string List(IReadOnlyList<ModelVariant> variants, string root) =>
        string.Join(", ", variants.Take(MaxListed).Select(v => $"{v.RelativeTo(root)} [{v.Precision}{(v.GpuOnly ? ", GPU" : "")}, {v.Bytes / (1024.0 * 1024):0.#} MB]")) +
        (variants.Count > MaxListed ? $" and {variants.Count - MaxListed} more" : "");

    private static ModelVariant DescribeRequested(string root, string path, string requestedFile) =>
        SideFileReader.HasContent(path)
            ? Describe(root, path, null)
            : throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"The requested model file {requestedFile} is empty or not a regular file (a FIFO or a device); ONNX Runtime cannot load it.");

    private static int Rank(ModelVariant v, bool gpu) => gpu
        ? v.Precision switch { "fp16" => 0, "q4f16" => 1, "int4" => 2, "fp32" => 3, "int8" => 4, _ => 5 }
        : v.Precision switch { "int4" => 0, "int8" => 1, "fp32" => 2, "q4f16" => 3, "fp16" => 4, _ => 5 };

    /// <summary>Every decoder under the folder; a genai_config.json folder counts once, as the file it names.</summary>
    public static List<ModelVariant> Find(string root)
    {
        var walk = new FolderWalk(root, RealPath(root) ?? root);
        walk.Visit(root, walk.RealRoot, 0);
        return walk.Found.OrderBy(v => v.ModelPath, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The path with every symbolic link in it resolved, as realpath(3) gives it (a ".." after a link leaves the link's
    /// target, not the link's folder); null for a chain of links that does not end.
    /// </summary>
    internal static string? RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Parts(full[current.Length..]).Reverse());
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                current = next;
                continue;
            }

            if (++links > 40)
            {
                return null;
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(Path.GetFullPath(target))!;
                target = Path.GetFullPath(target)[current.Length..];
            }

            foreach (var p in Parts(target).Reverse())
            {
                pending.Push(p);
            }
        }

        return current;

        static IEnumerable<string> Parts(string path) =>
            path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
    }

    internal static bool IsInside(string root, string path) =>
        path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    // A file named relative to a folder (the user's --file, a genai_config.json's decoder filename) that stays inside root.
    private static bool IsRelativeInside(string root, string folder, string file) =>
        !Path.IsPathRooted(file) && IsInside(root, Path.GetFullPath(Path.Combine(folder, file)));

    private sealed class FolderWalk(string root, string realRoot)
    {
        // Real paths of the folders walked: a link to "." or to a parent is walked once, not once per path to it.
        private readonly HashSet<string> _visited = new(StringComparer.Ordinal);

        public string RealRoot { get; } = realRoot;

        public List<ModelVariant> Found { get; } = [];

        public void Visit(string dir, string realDir, int depth)
        {
            if (!_visited.Add(realDir))
            {
                return;
            }

            if (_visited.Count > MaxFolders || Found.Count > MaxVariants)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                    $"{root} holds more than {(_visited.Count > MaxFolders ? $"{MaxFolders:N0} folders" : $"{MaxVariants} ONNX models")}; " +
                    "give the model's own folder (its repository root, or the folder with its .onnx file).");
            }

            string[] subfolders;
            try
            {
                AddVariants(dir);
                subfolders = depth < MaxDepth ? Directory.GetDirectories(dir) : [];
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // A folder that cannot be listed holds no model this walk can use; the rest of the repository may.
                return;
            }

            foreach (var sub in subfolders)
            {
                var name = Path.GetFileName(sub);
                if (name.StartsWith('.') || name == "node_modules")
                {
                    continue;
                }

                // A linked folder is walked only where its real path stays inside the model folder's: a link must not
                // make a model (or the tokenizer beside it) load from elsewhere.
                var realSub = new DirectoryInfo(sub).LinkTarget is null ? Path.Combine(realDir, name) : RealPath(sub);
                if (realSub is not null && IsInside(RealRoot, realSub))
                {
                    Visit(sub, realSub, depth + 1);
                }
            }
        }

        private void AddVariants(string dir)
        {
            var genai = Path.Combine(dir, "genai_config.json");
            var named = File.Exists(genai) ? DecoderFileName(genai) : null;
            if (named is not null)
            {
                if (!IsRelativeInside(root, dir, named))
                {
                    throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                        $"{Path.GetRelativePath(root, genai).Replace('\\', '/')} names the model file \"{named}\" (model.decoder.filename), which is " +
                        "outside the model folder; it must be a file name relative to genai_config.json's folder, such as model.onnx.");
                }

                var model = Path.GetFullPath(Path.Combine(dir, named));
                if (File.Exists(model) && SideFileReader.HasContent(model))
                {
                    Found.Add(Describe(root, model, genai));
                    return;
                }
            }

            var onnx = Directory.GetFiles(dir, "*.onnx");
            var names = onnx.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
            foreach (var file in onnx)
            {
                var name = Path.GetFileName(file);
                // optimum writes the merged decoder beside the two halves it merges: the merged one is the model.
                if (names.Contains("decoder_model_merged.onnx") && name is "decoder_model.onnx" or "decoder_with_past_model.onnx")
                {
                    continue;
                }

                // An empty file is no model, and a FIFO or device (no size either) would block ONNX Runtime's open() forever.
                if (IsPart(name) || !SideFileReader.HasContent(file))
                {
                    continue;
                }

                Found.Add(Describe(root, Path.GetFullPath(file), null));
            }
        }
    }

    private static string? DecoderFileName(string genaiConfig)
    {
        try
        {
            using var doc = JsonDocument.Parse(SideFileReader.ReadText(genaiConfig, SideFileReader.JsonLimit));
            return DecoderModelConfig.Str(DecoderModelConfig.Get(DecoderModelConfig.Get(doc.RootElement, "model"), "decoder"), "filename");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Encoders, vision towers and embedders of multimodal repos are not decoders on their own.</summary>
    internal static bool IsPart(string fileName) =>
        fileName.Contains("encoder", StringComparison.OrdinalIgnoreCase) || fileName.Contains("vision", StringComparison.OrdinalIgnoreCase) ||
        fileName.StartsWith("embed", StringComparison.OrdinalIgnoreCase);

    private static ModelVariant Describe(string root, string modelPath, string? genaiConfig)
    {
        var dir = Path.GetDirectoryName(modelPath)!;
        var (precision, gpuOnly) = Classify(Path.GetRelativePath(root, modelPath), genaiConfig is not null);
        var bytes = new FileInfo(modelPath).Length;
        foreach (var data in Directory.GetFiles(dir, Path.GetFileName(modelPath) + "*"))
        {
            // External weights: model.onnx_data, model.onnx.data, model.onnx_data_1, ...
            if (data != modelPath)
            {
                bytes += new FileInfo(data).Length;
            }
        }

        return new ModelVariant(modelPath, precision, gpuOnly, bytes, genaiConfig);
    }

    /// <summary>
    /// Precision from the file name (or, for a GenAI builder folder, the folder's name too); GPU-only from the folders
    /// inside the model (<paramref name="relativePath"/> is relative to the model's root: a user's own /data/gpu/... says
    /// nothing about the export).
    /// </summary>
    internal static (string Precision, bool GpuOnly) Classify(string relativePath, bool inGenaiFolder)
    {
        var dir = Path.GetDirectoryName(relativePath) ?? "";
        var name = Path.GetFileNameWithoutExtension(relativePath).ToLowerInvariant();
        var where = !inGenaiFolder ? name : Path.GetFileName(dir).ToLowerInvariant() + "/" + name;
        var precision = where switch
        {
            _ when where.Contains("q4f16", StringComparison.Ordinal) => "q4f16",
            _ when where.Contains("int4", StringComparison.Ordinal) || where.Contains("q4", StringComparison.Ordinal) || where.Contains("bnb4", StringComparison.Ordinal) => "int4",
            _ when where.Contains("int8", StringComparison.Ordinal) || where.Contains("uint8", StringComparison.Ordinal) || where.Contains("quantized", StringComparison.Ordinal) => "int8",
            _ when where.Contains("fp16", StringComparison.Ordinal) || where.Contains("float16", StringComparison.Ordinal) => "fp16",
            _ when where.Contains("bf16", StringComparison.Ordinal) => "bf16",
            _ => "fp32",
        };
        var path = "/" + dir.Replace('\\', '/').ToLowerInvariant();
        var gpuOnly = path.Contains("/cuda", StringComparison.Ordinal) || path.Contains("/dml", StringComparison.Ordinal) ||
                      path.Contains("directml", StringComparison.Ordinal) || path.Contains("/gpu", StringComparison.Ordinal);
        return (precision, gpuOnly);
    }
}
