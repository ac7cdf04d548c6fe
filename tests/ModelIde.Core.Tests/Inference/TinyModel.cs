using System.Text.Json;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

/// <summary>The repository's models/tiny-stdlib-coder, loaded once for all inference tests, and its reference.json oracle.</summary>
public sealed class TinyModel : IDisposable
{
    public TinyModel()
    {
        Directory = Locate();
        Model = DecoderLanguageModel.Load(Directory, DevicePolicyKind.PreferCpu, threads: 2);
        Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "reference.json")));
    }

    public string Directory { get; }

    public DecoderLanguageModel Model { get; }

    public JsonDocument Reference { get; }

    public static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "tiny-stdlib-coder");
            if (File.Exists(Path.Combine(candidate, "model.onnx")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("models/tiny-stdlib-coder not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        Model.Dispose();
        Reference.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TinyModelCollection : ICollectionFixture<TinyModel>
{
    public const string Name = "tiny model";
}
