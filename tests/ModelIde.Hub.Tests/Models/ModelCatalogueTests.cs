using ModelIde.Hub.Models;

namespace ModelIde.Hub.Tests.Models;

public sealed class ModelCatalogueTests
{
    [Fact]
    public void Generated_catalogue_is_the_same_on_every_build()
    {
        var a = ModelCatalogue.Build(null, 2_000).All;
        var b = ModelCatalogue.Build(null, 2_000).All;
        Assert.Equal(a.Select(m => (m.Id, m.Downloads, m.Likes, m.LastModified)), b.Select(m => (m.Id, m.Downloads, m.Likes, m.LastModified)));
    }

    [Fact]
    public void Generated_catalogue_is_varied_and_unique()
    {
        var models = ModelCatalogue.Build(null, 10_000).All.Where(m => !m.Private).ToList();
        Assert.Equal(10_000, models.Count);
        Assert.Equal(models.Count, models.Select(m => m.Id.ToUpperInvariant()).Distinct().Count());
        Assert.True(models.Select(m => m.Owner).Distinct().Count() >= 20);
        Assert.True(models.SelectMany(m => m.Tasks).Distinct().Count() >= 10);
        Assert.True(models.Select(m => m.License).Distinct().Count() >= 5);
        Assert.True(models.Select(m => m.Downloads).Distinct().Count() > 1_000);
        Assert.All(models, m => Assert.True(m.LastModified >= m.CreatedAt));
    }
}
