using System.Text;

namespace ModelIde.Core.Inference;

/// <summary>
/// Reads the small files that describe a model (tokenizer.json, genai_config.json, chat_template.jinja, ...). A model
/// folder is downloaded, so untrusted: a file may be sparse and gigabytes long, unreadable, or a FIFO or device that
/// blocks in open() forever. Each is refused with its name and what is wrong, before anything is read.
/// </summary>
internal static class SideFileReader
{
    /// <summary>Configuration JSON (genai_config.json, config.json, tokenizer_config.json, ...): real ones are a few KB.</summary>
    public const long JsonLimit = 64L << 20;

    /// <summary>tokenizer.json and tokenizer.model: Qwen's is about 7 MB, Gemma's about 33 MB.</summary>
    public const long TokenizerLimit = 256L << 20;

    /// <summary>chat_template.jinja: real templates are a few KB.</summary>
    public const long ChatTemplateLimit = 1L << 20;

    public static string ReadText(string path, long limit) => Encoding.UTF8.GetString(ReadBytes(path, limit));

    public static byte[] ReadBytes(string path, long limit)
    {
        var name = Path.GetFileName(path);
        try
        {
            var info = Target(path);
            if (info.Length > limit)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                    $"{name} is {Megabytes(info.Length)}, more than the {Megabytes(limit)} such a file may be; it is damaged or not a real {name}. Download it again.");
            }

            // A FIFO or a device reports no size and would block in open() or never end; an empty regular file has no
            // content to read either, so none of them is opened.
            if (info.Length == 0)
            {
                return [];
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            var bytes = new byte[info.Length];
            var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            return read == bytes.Length ? bytes : bytes[..read];
        }
        catch (UnauthorizedAccessException)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Cannot read {name}: permission denied.");
        }
        catch (IOException e)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Cannot read {name}: {e.Message}", e);
        }
    }

    /// <summary>Whether an .onnx file is worth handing to ONNX Runtime: empty, a FIFO or a device (size 0) is not.</summary>
    public static bool HasContent(string path)
    {
        try
        {
            return Target(path).Length > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // The file a path names, through any symbolic links: a link's own size is the length of the path it holds (an HF-style
    // cache links every file of a snapshot to its blob).
    private static FileInfo Target(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
    }

    private static string Megabytes(long bytes) => bytes >= 1L << 20
        ? $"{bytes / (1024.0 * 1024):N0} MB"
        : $"{bytes:N0} bytes";
}
