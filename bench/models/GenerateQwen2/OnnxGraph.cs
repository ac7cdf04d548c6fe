using System.Runtime.InteropServices;

namespace ModelIde.Bench.GenerateQwen2;

/// <summary>
/// Builds an ONNX GraphProto node by node. Large weights go to an external data file (page-aligned, so ONNX Runtime
/// can map them); small constants are initializers with raw_data inside the model file.
/// </summary>
internal sealed class OnnxGraph(Stream data, string dataFileName)
{
    public const int Float = 1;
    public const int UInt8 = 2;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Bool = 9;
    public const int Float16 = 10;

    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);

    public void Input(string name, int elemType, params object[] dims) => _inputs.Add(ValueInfo(name, elemType, dims));

    public void Output(string name, int elemType, params object[] dims) => _outputs.Add(ValueInfo(name, elemType, dims));

    /// <summary>Adds a node; returns its first output, named after <paramref name="output"/> or the op.</summary>
    public string Node(string op, string[] inputs, string? output = null, params (string Name, object Value)[] attributes) =>
        Node(op, inputs, [output ?? Fresh(op)], "", attributes);

    /// <summary>
    /// Adds a node of <paramref name="domain"/> ("" for ONNX, "com.microsoft" for ONNX Runtime's contrib ops) with several
    /// outputs ("" for an optional output left out); returns the first.
    /// </summary>
    public string Node(string op, string[] inputs, string[] outputs, string domain, params (string Name, object Value)[] attributes)
    {
        var node = new ProtoWriter();
        foreach (var i in inputs)
        {
            node.String(1, i);
        }

        foreach (var o in outputs)
        {
            node.String(2, o);
        }

        node.String(3, Fresh(op + "_node")).String(4, op);
        if (domain.Length > 0)
        {
            node.String(7, domain);
        }
        foreach (var (name, value) in attributes)
        {
            var a = new ProtoWriter().String(1, name);
            switch (value)
            {
                case int i:
                    a.Varint(3, i).Varint(20, 2);
                    break;
                case long l:
                    a.Varint(3, l).Varint(20, 2);
                    break;
                case float f:
                    a.Float(2, f).Varint(20, 1);
                    break;
                case long[] ints:
                    a.PackedInt64(8, ints).Varint(20, 7);
                    break;
                default:
                    throw new ArgumentException($"attribute type {value.GetType()}");
            }

            node.Message(5, a);
        }

        _nodes.Add(node);
        return outputs[0];
    }

    public string ConstInt64(string name, long[] values, bool scalar = false) =>
        Raw(name, Int64, scalar ? [] : [values.Length], MemoryMarshal.AsBytes(values.AsSpan()));

    public string ConstFloat(string name, float[] values, bool scalar = false) =>
        Raw(name, Float, scalar ? [] : [values.Length], MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>A float weight written to the external data file, filled chunk by chunk by <paramref name="fill"/>.</summary>
    public string Weight(string name, long[] dims, Action<long, Span<float>> fill) => Weight(name, dims, fill, half: false);

    /// <summary>A float16 weight: <paramref name="fill"/>'s float values rounded to half precision as they are written.</summary>
    public string WeightHalf(string name, long[] dims, Action<long, Span<float>> fill) => Weight(name, dims, fill, half: true);

    private string Weight(string name, long[] dims, Action<long, Span<float>> fill, bool half)
    {
        // Page alignment lets ONNX Runtime memory-map the tensor instead of reading it.
        var offset = (data.Position + 4095) / 4096 * 4096;
        data.Position = offset;
        var count = dims.Aggregate(1L, (a, b) => a * b);
        var chunk = new float[Math.Min(count, 1 << 20)];
        var halves = half ? new Half[chunk.Length] : null;
        for (long done = 0; done < count; done += chunk.Length)
        {
            var span = chunk.AsSpan(0, (int)Math.Min(chunk.Length, count - done));
            fill(done, span);
            if (halves is null)
            {
                data.Write(MemoryMarshal.AsBytes(span));
                continue;
            }

            for (var i = 0; i < span.Length; i++)
            {
                halves[i] = (Half)span[i];
            }

            data.Write(MemoryMarshal.AsBytes(halves.AsSpan(0, span.Length)));
        }

        return half ? External(name, dims, Float16, offset, count * 2) : External(name, dims, Float, offset, count * 4);
    }

    /// <summary>A uint8 tensor (packed int4 weights) written whole to the external data file.</summary>
    public string WeightBytes(string name, long[] dims, ReadOnlySpan<byte> bytes)
    {
        var offset = (data.Position + 4095) / 4096 * 4096;
        data.Position = offset;
        data.Write(bytes);
        return External(name, dims, UInt8, offset, bytes.Length);
    }

    private string External(string name, long[] dims, int type, long offset, long length)
    {
        var t = new ProtoWriter().PackedInt64(1, dims).Varint(2, type).String(8, name);
        foreach (var (k, v) in new[] { ("location", dataFileName), ("offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("length", length.ToString(System.Globalization.CultureInfo.InvariantCulture)) })
        {
            t.Message(13, new ProtoWriter().String(1, k).String(2, v));
        }

        t.Varint(14, 1); // data_location = EXTERNAL
        _initializers.Add(t);
        return name;
    }

    public byte[] ToModel(string graphName, int opset, string producer, bool contribOps = false)
    {
        var g = new ProtoWriter();
        foreach (var n in _nodes)
        {
            g.Message(1, n);
        }

        g.String(2, graphName);
        foreach (var i in _initializers)
        {
            g.Message(5, i);
        }

        foreach (var i in _inputs)
        {
            g.Message(11, i);
        }

        foreach (var o in _outputs)
        {
            g.Message(12, o);
        }

        var model = new ProtoWriter()
            .Varint(1, 8) // IR version 8 goes with opset 17
            .String(2, producer)
            .Message(7, g)
            .Message(8, new ProtoWriter().String(1, "").Varint(2, opset));
        if (contribOps)
        {
            // ONNX Runtime's contrib ops (MatMulNBits, GroupQueryAttention, SkipSimplifiedLayerNormalization).
            model.Message(8, new ProtoWriter().String(1, "com.microsoft").Varint(2, 1));
        }

        return model.ToArray();
    }

    private string Raw(string name, int type, long[] dims, ReadOnlySpan<byte> bytes)
    {
        _initializers.Add(new ProtoWriter().PackedInt64(1, dims).Varint(2, type).String(8, name).Bytes(9, bytes));
        return name;
    }

    private string Fresh(string prefix)
    {
        _names[prefix] = _names.GetValueOrDefault(prefix) + 1;
        return $"/{prefix}_{_names[prefix]}";
    }

    private static ProtoWriter ValueInfo(string name, int elemType, object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            shape.Message(1, d is string p ? new ProtoWriter().String(2, p) : new ProtoWriter().Varint(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)));
        }

        var tensor = new ProtoWriter().Varint(1, elemType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor));
    }
}
