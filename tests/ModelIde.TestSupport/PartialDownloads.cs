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

    /// <summary>
    /// What the ModelScope Python SDK would make of the files a killed download left (modelscope_hub <c>_download.py</c>):
    /// a finished-looking file is used when its SHA-256 matches, and <c>&lt;file&gt;.incomplete</c> is resumed from its length
    /// with <c>Range: bytes=N-</c>, so it must be a prefix of the real file. Null when the SDK would do the right thing.
    /// </summary>
    public static string? WhatThePythonSdkWouldMisread(string folder, string name, byte[] original)
    {
        var finished = Path.Combine(folder, name);
        if (File.Exists(finished) && !File.ReadAllBytes(finished).AsSpan().SequenceEqual(original))
        {
            return $"{name} exists with other bytes than the original";
        }

        var incomplete = finished + ".incomplete";
        if (File.Exists(incomplete))
        {
            var prefix = File.ReadAllBytes(incomplete);
            if (prefix.Length > original.Length || !original.AsSpan(0, prefix.Length).SequenceEqual(prefix))
            {
                return $"{name}.incomplete ({prefix.Length} B) is not a prefix of the file: the SDK would resume it with Range: bytes={prefix.Length}-, fail the SHA-256 and fetch it all again";
            }
        }

        return null;
    }
}
