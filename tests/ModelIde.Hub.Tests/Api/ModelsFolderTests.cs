using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ModelIde.Hub.Tests.Api;

public sealed class ModelsFolderTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("modelide-models-").FullName;
    private readonly HubFixture _fixture = new CustomFolderFixture();

    private sealed class CustomFolderFixture : HubFixture
    {
        public string? Folder { get; set; }

        protected override LocalHubOptions Options => new() { ModelsDirectory = Folder, CatalogueSize = 0 };
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_models, "my-model", "sub"));
        await File.WriteAllTextAsync(Path.Combine(_models, "my-model", "README.md"), "# my-model\n\nA test model.\n");
        await File.WriteAllTextAsync(Path.Combine(_models, "my-model", "sub", "weights.bin"), "0123456789");
        ((CustomFolderFixture)_fixture).Folder = _models;
        await _fixture.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _fixture.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    [Fact]
    public async Task Each_sub_folder_of_the_models_directory_is_served_as_modelide_name()
    {
        var (status, body) = await _fixture.GetJsonAsync("openapi/v1/models?page_size=50");
        Assert.Equal(HttpStatusCode.OK, status);
        var data = Envelope.AssertOpenApiOk(body);
        // The folder model plus the private model (visible only to demo, so not listed here).
        Assert.Equal(["modelide/my-model"], data.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray());

        var (_, files) = await _fixture.GetJsonAsync("api/v1/models/modelide/my-model/repo/files?Revision=master&Recursive=True");
        var weights = Envelope.AssertLegacyOk(files).GetProperty("Files").EnumerateArray().Single(f => f.GetProperty("Path").GetString() == "sub/weights.bin");
        Assert.Equal(10, weights.GetProperty("Size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes("0123456789"))), weights.GetProperty("Sha256").GetString());
    }
}
