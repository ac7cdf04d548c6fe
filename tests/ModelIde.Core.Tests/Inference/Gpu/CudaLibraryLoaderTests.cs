using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Tests.Inference.Gpu;

/// <summary>Loading by full path from folders the dynamic loader never searches, dependencies first.</summary>
public sealed class CudaLibraryLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-cudaload-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_library_whose_dependency_sits_in_an_unsearched_folder_loads_once_the_dependency_is_loaded()
    {
        // Unique sonames per test: the process keeps what it loaded, and the loader matches NEEDED by soname.
        var folder = Path.Combine(_dir, "wheel", "lib");
        NativeStubs.Library(folder, "libmodelide_test_lt.so.13");
        NativeStubs.Library(folder, "libmodelide_test_blas.so.13", "libmodelide_test_lt.so.13");
        var hits = new[] { "libmodelide_test_blas.so.13", "libmodelide_test_lt.so.13" }
            .Select(n => new CudaLibraryHit(n, Path.Combine(folder, n), "test")).ToArray();

        // Listed in the wrong order on purpose: the second pass loads the dependant.
        var result = CudaLibraryLoader.Load(hits);
        Assert.True(result.AllLoaded, string.Join("; ", result.Failed.Select(f => f.Error)));
        Assert.Equal(2, result.Loaded.Count);
    }

    [Fact]
    public void A_missing_dependency_is_reported_with_the_loader_message_naming_it()
    {
        var build = Path.Combine(_dir, "build");
        NativeStubs.Library(build, "libmodelide_test_gone.so.1");
        NativeStubs.Library(build, "libmodelide_test_needs_gone.so.1", "libmodelide_test_gone.so.1");
        var shipped = Directory.CreateDirectory(Path.Combine(_dir, "shipped")).FullName;
        File.Copy(Path.Combine(build, "libmodelide_test_needs_gone.so.1"), Path.Combine(shipped, "libmodelide_test_needs_gone.so.1"));

        var result = CudaLibraryLoader.Load([new CudaLibraryHit("libmodelide_test_needs_gone.so.1", Path.Combine(shipped, "libmodelide_test_needs_gone.so.1"), "test")]);
        var (name, error) = Assert.Single(result.Failed);
        Assert.Equal("libmodelide_test_needs_gone.so.1", name);
        Assert.Contains("libmodelide_test_gone.so.1", error, StringComparison.Ordinal);
        Assert.Empty(result.Loaded);
    }
}
