using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.Models;

/// <summary>Search, detail, files and revisions against the real local hub.</summary>
[Collection("LocalHub")]
public sealed class ModelBrowsingTests(LocalHubFixture fixture)
{
    [Fact]
    public async Task Walking_the_whole_catalogue_visits_every_model_once_despite_the_3000_window()
    {
        var api = fixture.Client(signedIn: false);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = 0;
        var result = await new ModelCatalogWalker(api).WalkAsync(new ModelSearchQuery(), m =>
        {
            if (!ids.Add(m.Id))
            {
                duplicates++;
            }

            return true;
        }, CancellationToken.None);

        Assert.True(result.TotalCount >= 10_000, $"total {result.TotalCount}");
        Assert.True(result.Complete);
        Assert.Equal(result.TotalCount, ids.Count);
        Assert.Equal(0, duplicates);
        Assert.Contains("modelide/tiny-stdlib-coder", ids);
        Assert.All(fixture.Hub.RequestLog.Entries.Where(r => r.Path == "/openapi/v1/models"), r => Assert.Equal(200, r.Status));
    }

    [Fact]
    public async Task Search_narrows_and_sorts()
    {
        var api = fixture.Client(signedIn: false);
        var page = await api.SearchModelsAsync(new ModelSearchQuery { Search = "tiny-stdlib", PageSize = 10 }, CancellationToken.None);
        Assert.Contains(page.Models, m => m.Id == "modelide/tiny-stdlib-coder");
        Assert.All(page.Models, m => Assert.Contains("tiny-stdlib", m.Id + m.DisplayName, StringComparison.OrdinalIgnoreCase));

        var byDownloads = await api.SearchModelsAsync(new ModelSearchQuery { Sort = ModelSortKind.Downloads, PageSize = 50 }, CancellationToken.None);
        Assert.Equal(byDownloads.Models.Select(m => m.Downloads).OrderDescending(), byDownloads.Models.Select(m => m.Downloads));

        var qwen = await api.SearchModelsAsync(new ModelSearchQuery { Owner = "Qwen", Task = "text-generation", PageSize = 50 }, CancellationToken.None);
        Assert.NotEmpty(qwen.Models);
        Assert.All(qwen.Models, m => Assert.StartsWith("Qwen/", m.Id, StringComparison.OrdinalIgnoreCase));
        Assert.All(qwen.Models, m => Assert.Contains("text-generation", m.Tasks));
    }

    [Fact]
    public async Task Private_model_is_visible_signed_in_and_hidden_signed_out()
    {
        var privateId = ModelId.Parse(fixture.Hub.PrivateModelId);
        var query = new ModelSearchQuery { Owner = privateId.Owner, PageSize = 50 };

        var signedOut = fixture.Client(signedIn: false);
        Assert.DoesNotContain((await signedOut.SearchModelsAsync(query, CancellationToken.None)).Models, m => m.Id == privateId.ToString());
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => signedOut.GetModelAsync(privateId, null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.NotFound, ex.Kind);

        var signedIn = fixture.Client(signedIn: true);
        var found = Assert.Single((await signedIn.SearchModelsAsync(query, CancellationToken.None)).Models, m => m.Id == privateId.ToString());
        Assert.True(found.Private);
        var detail = await signedIn.GetModelAsync(privateId, null, CancellationToken.None);
        Assert.True(detail.Summary.Private);
    }

    [Fact]
    public async Task Detail_has_the_readme_and_files_and_revisions_are_listed()
    {
        var api = fixture.Client(signedIn: false);
        var id = ModelId.Parse("modelide/tiny-stdlib-coder");
        var detail = await api.GetModelAsync(id, null, CancellationToken.None);
        var readme = await File.ReadAllTextAsync(Path.Combine(LocalHubFixture.RepoModelsDirectory(), "README.md"));
        Assert.Equal(readme.ReplaceLineEndings(), detail.Readme?.ReplaceLineEndings());

        var files = await api.ListModelFilesAsync(id, null, CancellationToken.None);
        // The folder's files plus the .gitattributes a repository on the hub has.
        var onDisk = Directory.EnumerateFiles(LocalHubFixture.RepoModelsDirectory()).Select(Path.GetFileName).Append(".gitattributes").Order(StringComparer.Ordinal);
        Assert.Equal(onDisk, files.Where(f => !f.IsDirectory).Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(files.Where(f => !f.IsDirectory), f => Assert.Equal(64, f.Sha256?.Length));

        var revisions = await api.ListModelRevisionsAsync(id, CancellationToken.None);
        Assert.Contains(revisions, r => r.Name == "master" && !r.IsTag);
    }

    [Fact]
    public async Task Expired_token_is_reported_as_sign_in_again()
    {
        var api = fixture.Client(signedIn: false);
        api.Session.SignIn(fixture.Hub.ExpiredToken, "expired", null);
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => api.SearchModelsAsync(new ModelSearchQuery(), CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
    }
}
