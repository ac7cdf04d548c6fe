using System.Globalization;
using System.Text;

namespace ModelIde.Hub.Git;

/// <summary>
/// Which files a served repository keeps in git LFS, and the text git holds in their place. The rule is the
/// <c>.gitattributes</c> the hub writes: the SDK's LFS suffixes (modelscope_hub constants.py MODEL_LFS_SUFFIX, the
/// list a new repository starts with), plus any other file over 1 MiB by name.
/// </summary>
internal static class GitLfs
{
    public const string AttributesPath = ".gitattributes";
    public const long SizeThreshold = 1024 * 1024;

    private static readonly string[] s_suffixes =
    [
        ".7z", ".arrow", ".bin", ".bz2", ".ckpt", ".ftz", ".gz", ".h5", ".joblib", ".mlmodel", ".model", ".msgpack", ".npy",
        ".npz", ".onnx", ".ot", ".parquet", ".pb", ".pickle", ".pkl", ".pt", ".pth", ".rar", ".safetensors", ".tar",
        ".tflite", ".tgz", ".wasm", ".xz", ".zip", ".zst",
    ];

    public static bool IsLfs(string path, long size) =>
        path != AttributesPath && (size > SizeThreshold || s_suffixes.Any(s => path.EndsWith(s, StringComparison.Ordinal)));

    /// <summary>The pointer file git-lfs commits for content with this SHA-256 and size (git-lfs spec v1).</summary>
    public static byte[] Pointer(string sha256, long size) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"));

    /// <summary>The <c>.gitattributes</c> for these files, or null when none is LFS.</summary>
    public static byte[]? Attributes(IEnumerable<(string Path, long Size)> files)
    {
        var list = files.ToList();
        if (!list.Any(f => IsLfs(f.Path, f.Size)))
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var suffix in s_suffixes)
        {
            text.Append('*').Append(suffix).Append(" filter=lfs diff=lfs merge=lfs -text\n");
        }

        foreach (var (path, _) in list.Where(f => IsLfs(f.Path, f.Size) && !s_suffixes.Any(s => f.Path.EndsWith(s, StringComparison.Ordinal))).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            // A path with spaces would need quoting in .gitattributes; the served folders have none that big.
            text.Append(path.Replace(" ", "[[:space:]]", StringComparison.Ordinal)).Append(" filter=lfs diff=lfs merge=lfs -text\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
