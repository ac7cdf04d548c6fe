using System.Text.Json;
using ModelIde.Core.Downloads;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>The resume state is a short list of written ranges, whatever size a listing claims (issue 19, item 5).</summary>
public sealed class DownloadResumeStateTests
{
    [Theory]
    [InlineData(1L << 50)]
    [InlineData(1L << 62)]
    [InlineData(long.MaxValue)]
    public void A_huge_listed_size_gives_a_state_of_a_few_bytes_that_round_trips(long size)
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "f.modelide-partial.json");
        var state = DownloadResumeState.Create(null, size);
        state.MarkWritten(0, 1 << 20);
        state.MarkWritten(size / 2, (size / 2) + 4096);

        state.Save(path);

        Assert.InRange(new FileInfo(path).Length, 1, 200);
        var loaded = DownloadResumeState.TryLoad(path, null, size)!;
        Assert.Equal((1 << 20) + 4096, loaded.BytesDone);
        Assert.Equal([(1L << 20, size / 2), ((size / 2) + 4096, size)], loaded.Missing());
    }

    [Fact]
    public void Ranges_merge_as_they_touch_and_missing_is_their_complement()
    {
        var state = DownloadResumeState.Create(null, 100);
        state.MarkWritten(50, 60);
        state.MarkWritten(0, 10);
        state.MarkWritten(10, 20);
        state.MarkWritten(55, 70);
        Assert.Equal(2, state.RangeCount);
        Assert.Equal(20, state.ContiguousBytes);
        Assert.Equal([(20L, 50L), (70L, 100L)], state.Missing());
        state.MarkWritten(20, 50);
        state.MarkWritten(70, 100);
        Assert.Equal(1, state.RangeCount);
        Assert.Equal(100, state.BytesDone);
        Assert.Empty(state.Missing());
    }

    [Theory]
    [InlineData("""{"Version":2,"Size":100,"Written":[[0,10],[5,20]]}""")] // overlapping
    [InlineData("""{"Version":2,"Size":100,"Written":[[0,200]]}""")] // past the end
    [InlineData("""{"Version":2,"Size":100,"Written":[[10,5]]}""")] // backwards
    [InlineData("""{"Version":2,"Size":100,"Written":[[1]]}""")]
    [InlineData("""{"Version":2,"Size":99,"Written":[]}""")] // another size
    [InlineData("""{"Version":3,"Size":100,"Written":[]}""")]
    [InlineData("""{"Version":1,"Size":100,"PartSize":0,"PartsDone":[1]}""")]
    [InlineData("not json")]
    public void A_state_that_does_not_fit_is_ignored(string json)
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "s.json");
        File.WriteAllText(path, json);
        Assert.Null(DownloadResumeState.TryLoad(path, null, 100));
    }

    [Fact]
    public void A_state_with_more_ranges_than_any_download_makes_is_ignored()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "s.json");
        var ranges = Enumerable.Range(0, DownloadResumeState.MaxRanges + 1).Select(i => new[] { i * 10L, (i * 10L) + 5 }).ToArray();
        File.WriteAllText(path, JsonSerializer.Serialize(new { Version = 2, Size = 1L << 40, Written = ranges }));
        Assert.Null(DownloadResumeState.TryLoad(path, null, 1L << 40));
    }

    [Fact]
    public void A_version_1_state_of_fixed_parts_is_read_as_ranges()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "old.json");
        File.WriteAllText(path, """{"Version":1,"Sha256":"AB","Size":250,"PartSize":100,"PartsDone":[100,30,50]}""");
        var state = DownloadResumeState.TryLoad(path, "ab", 250)!;
        Assert.Equal(180, state.BytesDone);
        Assert.Equal([(130L, 200L)], state.Missing());
    }

    [Fact]
    public void A_state_path_that_is_a_link_or_a_fifo_is_not_read_through()
    {
        using var dir = new TempFolder();
        var elsewhere = Path.Combine(dir.Path, "elsewhere.json");
        File.WriteAllText(elsewhere, """{"Version":2,"Size":100,"Written":[[0,50]]}""");
        var link = Path.Combine(dir.Path, "link.json");
        File.CreateSymbolicLink(link, elsewhere);
        Assert.Null(DownloadResumeState.TryLoad(link, null, 100));

        var fifo = Path.Combine(dir.Path, "fifo.json");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
        }

        // Reading a FIFO would wait for a writer forever; it is recognised and skipped instead.
        Assert.Null(DownloadResumeState.TryLoad(fifo, null, 100));
    }

    [Fact]
    public void Saving_over_a_link_replaces_the_link_and_leaves_its_target_alone()
    {
        using var dir = new TempFolder();
        var victim = Path.Combine(dir.Path, "victim.txt");
        File.WriteAllText(victim, "keep me");
        var path = Path.Combine(dir.Path, "s.json");
        File.CreateSymbolicLink(path, victim);

        DownloadResumeState.Create(null, 10).Save(path);

        Assert.Equal("keep me", File.ReadAllText(victim));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }
}
