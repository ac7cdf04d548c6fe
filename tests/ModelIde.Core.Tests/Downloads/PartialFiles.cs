using ModelIde.Core.Downloads;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>What a download left for a file: <c>&lt;file&gt;.modelide-partial</c>, with its state in <c>.json</c> beside it when it may have gaps.</summary>
internal static class PartialFiles
{
    public const string Suffix = ".modelide-partial";

    /// <summary>What a resumed download will trust: the state where there is one, else the partial file's length (a plain prefix).</summary>
    public static long Persisted(string target)
    {
        var state = target + Suffix + ".json";
        if (File.Exists(state))
        {
            return System.Text.Json.JsonSerializer.Deserialize<DownloadResumeState>(File.ReadAllText(state))!.BytesDone;
        }

        var partial = new FileInfo(target + Suffix);
        return partial.Exists ? partial.Length : 0;
    }
}
