using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelIde.Core.Inference;

/// <summary>
/// The KV cache of a graph whose presents are its pasts with the new positions appended ([1, kv, past + seq, head], the
/// Concat of Optimum and onnx-community exports), on CPU. Two blocks per K/V, each as long as the generation can grow: a
/// step reads its pasts from one and ONNX Runtime writes the presents into the other, which the next step reads. Left to
/// allocate them itself, ONNX Runtime allocates every present anew on every step and Run wraps each in a new managed
/// value; preset outputs are also what ONNX Runtime GenAI binds.
/// </summary>
internal sealed class AlternatingKvBuffers : IDisposable
{
    private readonly TensorElementType _type;
    private readonly long _kvHeads;
    private readonly long _headSize;

    // Block 2 * i + side holds tensor i (the K/V order of the outputs after the logits).
    private readonly NativeBlocks _blocks;

    // Presents of the last completed step (the next step's pasts), and those bound to the step now running.
    private readonly OrtValue?[] _pasts;
    private readonly OrtValue?[] _pending;

    // ORT copies a shape when it creates a value, so one array serves every step.
    private readonly long[] _shape = new long[4];
    private int _writeSide;

    /// <param name="blocks">2 × <paramref name="tensors"/> blocks, each holding [1, kv, capacity, head]; still the caller's to return.</param>
    public AlternatingKvBuffers(int tensors, TensorElementType type, long kvHeads, long headSize, NativeBlocks blocks)
    {
        _type = type;
        _kvHeads = kvHeads;
        _headSize = headSize;
        _blocks = blocks;
        _pasts = new OrtValue?[tensors];
        _pending = new OrtValue?[tensors];
    }

    /// <summary>Binds each tensor's write block, shaped [1, kv, total, head], to <paramref name="outputs"/> from <paramref name="first"/>.</summary>
    public void BindPresents(OrtValue[] outputs, int first, long total)
    {
        _shape[0] = 1;
        _shape[1] = _kvHeads;
        _shape[2] = total;
        _shape[3] = _headSize;
        for (var i = 0; i < _pending.Length; i++)
        {
            _pending[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _type, _shape, _blocks[2 * i + _writeSide], _blocks.Bytes);
            outputs[first + i] = _pending[i]!;
        }
    }

    /// <summary>The step ran: its presents become the pasts in <paramref name="inputs"/> from <paramref name="first"/>, and the old pasts' block is written next.</summary>
    public void Commit(OrtValue[] inputs, int first)
    {
        for (var i = 0; i < _pending.Length; i++)
        {
            _pasts[i]?.Dispose();
            _pasts[i] = _pending[i];
            _pending[i] = null;
            inputs[first + i] = _pasts[i]!;
        }

        _writeSide ^= 1;
    }

    /// <summary>The step failed: its presents are dropped and the pasts stay.</summary>
    public void Abandon() => DisposeAll(_pending);

    /// <summary>Back to an empty cache (the caller binds empty pasts).</summary>
    public void Reset()
    {
        DisposeAll(_pending);
        DisposeAll(_pasts);
        _writeSide = 0;
    }

    /// <summary>Releases the values over the blocks; the blocks themselves stay the caller's.</summary>
    public void Dispose() => Reset();

    private static void DisposeAll(OrtValue?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i]?.Dispose();
            values[i] = null;
        }
    }
}
