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

    [Theory]
    [InlineData("a/b--c", "a--b/c")]
    [InlineData("a--b/c", "a/b--c")]
    [InlineData("x--y/p--q", "x/y--p--q")]
    public void Two_ids_the_sdk_would_put_in_one_folder_are_refused_and_each_names_the_other(string id, string other)
    {
        var layout = new ModelCacheLayout("/c");
        foreach (var action in new Action[]
        {
            () => layout.SnapshotFolder(ModelId.Parse(id), "master"),
            () => layout.ModelFolder(ModelId.Parse(id), "master"),
            () => layout.Delete(ModelId.Parse(id), null),
        })
        {
            var ex = Assert.Throws<ModelIdeException>(action);
            Assert.Equal(ModelIdeErrorKind.InvalidInput, ex.Kind);
            Assert.Contains(other, ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("a-/b", "a---b")] // a trailing '-' cannot make another valid id: the other split starts with '-'
    [InlineData("a_b/c.d", "a_b--c.d")]
    public void Ids_without_a_double_dash_keep_the_sdk_folder_name(string id, string folder)
    {
        Assert.Equal(folder, ModelCacheLayout.RepoFolderName(ModelId.Parse(id)));
    }

    [Fact]
    public void Old_sdk_folders_are_reused_in_the_order_the_sdk_probes_them()
    {
        using var root = new TempFolder();
        var layout = new ModelCacheLayout(root.Path);
        var id = ModelId.Parse("Qwen/Qwen2.5-0.5B");
        string[] expected =
        [
            Path.Combine(root.Path, "models", "Qwen", "Qwen2___5-0___5B"), // MODELSCOPE_CACHE=<root> (modelscope <= 1.37)
            Path.Combine(root.Path, "hub", "models", "Qwen", "Qwen2___5-0___5B"), // default root ~/.cache/modelscope/hub
            Path.Combine(root.Path, "Qwen", "Qwen2___5-0___5B"), // snapshot_download(cache_dir=<root>)
            Path.Combine(root.Path, "hub", "Qwen", "Qwen2___5-0___5B"), // before models/ (moved into place by modelscope 1.x)
        ];
        Assert.Equal(expected, layout.LegacyFolders(id));

        // Last to first: each newly filled folder that comes earlier in the order wins; an empty one never does.
        Assert.Equal(layout.SnapshotFolder(id, "master"), layout.ModelFolder(id, "master"));
        for (var i = expected.Length - 1; i >= 0; i--)
        {
            Directory.CreateDirectory(expected[i]);
            Assert.NotEqual(expected[i], layout.ModelFolder(id, "master"));
            File.WriteAllText(Path.Combine(expected[i], "config.json"), "{}");
            Assert.Equal(expected[i], layout.ModelFolder(id, "master"));
        }
    }

    [Fact]
    public void An_owner_named_like_a_layout_folder_is_not_looked_for_at_the_root()
    {
        var layout = new ModelCacheLayout("/c");
        Assert.Equal(
            [Path.GetFullPath("/c/models/models/x"), Path.GetFullPath("/c/hub/models/models/x")],
            layout.LegacyFolders(ModelId.Parse("models/x")));
    }

    [Fact]
    public void A_name_with_three_underscores_never_takes_over_the_old_sdk_folder_of_a_dotted_name()
    {
        using var root = new TempFolder();
        var layout = new ModelCacheLayout(root.Path);
        var dottedModelsFolder = Path.Combine(root.Path, "models", "x", "a___b");
        Directory.CreateDirectory(dottedModelsFolder);
        File.WriteAllText(Path.Combine(dottedModelsFolder, "config.json"), "{}");

        Assert.Equal(dottedModelsFolder, layout.ModelFolder(ModelId.Parse("x/a.b"), "master"));
        Assert.Empty(layout.LegacyFolders(ModelId.Parse("x/a___b")));
        Assert.Equal(Path.Combine(root.Path, "models", "x--a___b", "snapshots", "master"), layout.ModelFolder(ModelId.Parse("x/a___b"), "master"));
    }

    [Fact]
    public void Old_sdk_folders_outside_models_are_listed_and_deleted_only_with_the_sdks_record()
    {
        using var root = new TempFolder();
        var layout = new ModelCacheLayout(root.Path);
        var withRecord = Path.Combine(root.Path, "Qwen", "Qwen2___5");
        var preModels = Path.Combine(root.Path, "hub", "iic", "bert");
        var stranger = Path.Combine(root.Path, "someone", "photos");
        foreach (var dir in new[] { withRecord, preModels, stranger })
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, "w.bin"), new byte[5]);
        }

        File.WriteAllBytes(Path.Combine(withRecord, ".mdl"), [0x80, 0x04]);
        File.WriteAllBytes(Path.Combine(preModels, ".mdl"), [0x80, 0x04]);

        Assert.Equal(["iic/bert", "Qwen/Qwen2.5"], layout.ListCached().Select(m => m.ModelId));
        Assert.Equal([withRecord], layout.Delete(ModelId.Parse("Qwen/Qwen2.5"), null));
        Assert.Empty(layout.Delete(ModelId.Parse("someone/photos"), null));
        Assert.True(Directory.Exists(stranger));
    }
}
