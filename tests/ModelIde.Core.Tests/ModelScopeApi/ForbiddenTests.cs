using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Hub.Faults;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.ModelScopeApi;

/// <summary>The hub refuses a signed-in call with 403 (fault injection): a clear permission error, not retried, nothing else broken.</summary>
[Collection("LocalHub")]
public sealed class ForbiddenTests(LocalHubFixture fixture)
{
    private const string FilesPath = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files";

    [Fact]
    public async Task A_403_is_a_clear_permission_error_that_is_not_retried_and_the_next_call_works()
    {
        var api = fixture.Client();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = FilesPath, Status = 403, Count = 2 });
        try
        {
            var ex = await Assert.ThrowsAsync<ModelIdeException>(() => api.ListModelFilesAsync(ModelId.Parse("modelide/tiny-stdlib-coder"), null, CancellationToken.None));

            Assert.Equal(ModelIdeErrorKind.PermissionDenied, ex.Kind);
            Assert.Contains("Access denied", ex.Message, StringComparison.Ordinal);
            // Not retried: one of the two injected refusals is still waiting.
            Assert.Equal(1, Assert.Single(fixture.Hub.Faults.Active, r => r.PathPrefix == FilesPath && r.Status == 403).Count);
        }
        finally
        {
            fixture.Hub.Faults.Clear();
        }

        var files = await api.ListModelFilesAsync(ModelId.Parse("modelide/tiny-stdlib-coder"), null, CancellationToken.None);
        Assert.Contains(files, f => f.Path == "model.onnx");
    }
}
