using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

public sealed class BadModelInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-inference-").FullName;

    private static string Tiny => TinyModel.Locate();

    private void CopyTokenizer()
    {
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(Tiny, f), Path.Combine(_dir, f));
        }
    }

    private ModelIdeException LoadFails()
    {
        var e = Assert.Throws<ModelIdeException>(() => DecoderLanguageModel.Load(_dir, DevicePolicyKind.PreferCpu, threads: 1));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        return e;
    }

    [Fact]
    public void Folder_without_an_onnx_model_is_invalid_input()
    {
        CopyTokenizer();
        Assert.Contains("No ONNX model", LoadFails().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_model_is_invalid_input()
    {
        CopyTokenizer();
        using (var source = File.OpenRead(Path.Combine(Tiny, "model.onnx")))
        using (var target = File.Create(Path.Combine(_dir, "model.onnx")))
        {
            var buffer = new byte[source.Length / 3];
            source.ReadExactly(buffer);
            target.Write(buffer);
        }

        Assert.Contains("not a complete ONNX model", LoadFails().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_that_is_not_a_decoder_with_cache_is_invalid_input()
    {
        CopyTokenizer();
        File.WriteAllBytes(Path.Combine(_dir, "model.onnx"), IdentityModel());
        Assert.Contains("not a decoder", LoadFails().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_tokenizer_type_is_invalid_input()
    {
        File.Copy(Path.Combine(Tiny, "model.onnx"), Path.Combine(_dir, "model.onnx"));
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), """{"model":{"type":"WordPiece","vocab":{}}}""");
        Assert.Contains("WordPiece", LoadFails().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_folder_is_invalid_input()
    {
        Directory.Delete(_dir);
        LoadFails();
    }

    // A hand-built ONNX protobuf: one Identity node, float input "x" → output "y" (opset 13, IR 8).
    private static byte[] IdentityModel()
    {
        static byte[] Field(int number, byte[] payload) => [(byte)((number << 3) | 2), .. Varint(payload.Length), .. payload];
        static byte[] Str(int number, string s) => Field(number, System.Text.Encoding.UTF8.GetBytes(s));
        static byte[] Varint(long v)
        {
            var bytes = new List<byte>();
            do
            {
                var b = (byte)(v & 0x7f);
                v >>= 7;
                bytes.Add(v != 0 ? (byte)(b | 0x80) : b);
            }
            while (v != 0);
            return bytes.ToArray();
        }

        static byte[] ValueInfo(string name)
        {
            byte[] dim = Field(1, [0x08, 0x01]); // dim_value 1
            byte[] shape = Field(2, dim);
            byte[] tensorType = [0x08, 0x01, .. shape]; // elem_type FLOAT
            byte[] type = Field(1, tensorType);
            return [.. Str(1, name), .. Field(2, type)];
        }

        byte[] node = [.. Str(1, "x"), .. Str(2, "y"), .. Str(4, "Identity")];
        byte[] graph = [.. Field(1, node), .. Str(2, "g"), .. Field(11, ValueInfo("x")), .. Field(12, ValueInfo("y"))];
        byte[] opset = [.. Str(1, ""), 0x10, 13];
        return [0x08, 8, .. Field(7, graph), .. Field(8, opset)];
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
