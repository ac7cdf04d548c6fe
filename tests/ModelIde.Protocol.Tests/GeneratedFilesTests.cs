using ModelIde.ProtocolGen;

namespace ModelIde.Protocol.Tests;

/// <summary>The committed TypeScript contract and docs/protocol.md are what the generator makes of the Protocol now.</summary>
public sealed class GeneratedFilesTests
{
    [Fact]
    public void Generated_typescript_and_protocol_doc_are_current()
    {
        var root = RepositoryRoot();
        foreach (var (path, content) in GeneratedFiles.For(ProtocolModel.Load(), root))
        {
            var committed = File.ReadAllText(Path.Combine(root, path));
            Assert.True(committed == content, $"{path} is stale: run `bash scripts/protocol.sh` and commit the result.");
        }
    }

    [Fact]
    public void A_sample_of_every_record_comes_back_the_same_through_the_csharp_serializer()
    {
        var samples = new SampleMessages(ProtocolModel.Load());
        var created = samples.Create();
        Assert.True(created["types"]!.AsObject().Count >= 60, "samples for every record");
        Assert.Empty(samples.Compare(created));
    }

    private static string RepositoryRoot()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "ModelIde.sln")))
            {
                return dir;
            }
        }

        throw new DirectoryNotFoundException("no ModelIde.sln above the test folder");
    }
}
