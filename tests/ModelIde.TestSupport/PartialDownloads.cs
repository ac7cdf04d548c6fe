using ModelIde.Core.Downloads;

namespace ModelIde.TestSupport;

/// <summary>Reading what an interrupted download left on disk: the partial file and its resume state.</summary>
public static class PartialDownloads
{
    public static long Persisted(string target)
    {
        var statePath = target + ".modelide-partial.json";
        if (File.Exists(statePath))
        {
            return ReadDone(statePath);
        }

        var partial = new FileInfo(target + ".modelide-partial");
        return partial.Exists ? partial.Length : 0;
    }

    public static int ReadRanges(string statePath)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return System.Text.Json.JsonSerializer.Deserialize<DownloadResumeState>(File.ReadAllText(statePath))?.RangeCount ?? 0;
            }
            catch (Exception ex) when (i < 5 && ex is IOException or System.Text.Json.JsonException)
            {
                Thread.Sleep(10);
            }
        }
    }

    public static long ReadDone(string statePath)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                var state = System.Text.Json.JsonSerializer.Deserialize<DownloadResumeState>(File.ReadAllText(statePath));
                return state?.BytesDone ?? 0;
            }
            catch (Exception ex) when (i < 5 && ex is IOException or System.Text.Json.JsonException)
            {
                Thread.Sleep(10);
            }
        }
    }
}
