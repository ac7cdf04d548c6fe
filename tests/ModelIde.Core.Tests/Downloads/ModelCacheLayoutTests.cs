using ModelIde.Core.Downloads;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.Downloads;

public sealed class ModelCacheLayoutTests
{
    [Fact]
    public void New_layout_and_sdk_lock_names()
    {
        var layout = new ModelCacheLayout("/c");
        var id = ModelId.Parse("Qwen/Qwen2.5-7B");
        Assert.Equal(Path.GetFullPath("/c/models/Qwen--Qwen2.5-7B/snapshots/master"), layout.ModelFolder(id, "master"));
        Assert.Equal(Path.GetFullPath("/c/.lock/model_Qwen___Qwen2.5-7B_onnx___model_onnx.lock"), layout.LockFile(id, "onnx/model.onnx"));
        Assert.Equal("Qwen2___5-7B", ModelCacheLayout.MaskName(id.Name));
    }

    [Fact]
    public void Cached_models_of_both_layouts_are_listed_and_deleted()
    {
        using var root = new TempFolder();
        var layout = new ModelCacheLayout(root.Path);
        var snapshot = layout.SnapshotFolder(ModelId.Parse("a/b"), "v1");
        Directory.CreateDirectory(snapshot);
        File.WriteAllBytes(Path.Combine(snapshot, "w.bin"), new byte[10]);
        File.WriteAllBytes(Path.Combine(snapshot, "x.bin" + ModelCacheLayout.IncompleteSuffix), new byte[99]);
        var legacy = Path.Combine(root.Path, "hub", "models", "Qwen", "Qwen2___5");
        Directory.CreateDirectory(legacy);
        File.WriteAllBytes(Path.Combine(legacy, "c.json"), new byte[3]);

        var cached = layout.ListCached();
        Assert.Equal([new CachedModel("a/b", "v1", snapshot, 10), new CachedModel("Qwen/Qwen2.5", null, legacy, 3)], cached);

        Assert.Equal([snapshot], layout.Delete(ModelId.Parse("a/b"), "v1"));
        Assert.Equal([legacy], layout.Delete(ModelId.Parse("Qwen/Qwen2.5"), null));
        Assert.Empty(layout.ListCached());
    }

    [Fact]
    public void Cache_root_follows_the_explicit_folder_then_modelscope_cache()
    {
        Assert.Equal(Path.GetFullPath("/x/y"), ModelCacheLayout.Resolve("/x/y").Root);
        var fromEnv = Environment.GetEnvironmentVariable("MODELSCOPE_CACHE");
        var expected = string.IsNullOrWhiteSpace(fromEnv)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "modelscope")
            : Path.GetFullPath(fromEnv);
        Assert.Equal(expected, ModelCacheLayout.Resolve(null).Root);
    }
}
