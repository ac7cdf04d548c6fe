using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelIde.Core.Inference;

/// <summary>
/// The KV cache of a graph whose presents are its pasts with the new positions appended ([1, kv, past + seq, head], the
/// Concat of Optimum and onnx-community exports), on CPU. Two native blocks per K/V, each as long as the generation can
/// grow: a step reads its pasts from one and ONNX Runtime writes the presents into the other, which the next step reads.
/// Left to allocate them itself, ONNX Runtime allocates every present anew on every step and Run wraps each in a new
/// managed value; preset outputs are also what ONNX Runtime GenAI binds.
/// </summary>
internal sealed class AlternatingKvBuffers : IDisposable
{
    private const int Alignment = 64;

    private readonly TensorElementType _type;
    private readonly long _kvHeads;
    private readonly long _headSize;
    private readonly long _elementBytes;
    private readonly long _blockBytes;

    // Block 2 * i + side of tensor i (the K/V order of the outputs after the logits): what was allocated, and where the
    // tensor starts in it (64-byte aligned, as ORT's own CPU allocator aligns).
    private readonly IntPtr[] _allocations;
    private readonly IntPtr[] _blocks;

    // Presents of the last completed step (the next step's pasts), and those bound to the step now running.
    private readonly OrtValue?[] _pasts;
    private readonly OrtValue?[] _pending;

    // ORT copies a shape when it creates a value, so one array serves every step.
    private readonly long[] _shape = new long[4];
    private int _writeSide;

    public AlternatingKvBuffers(int tensors, TensorElementType type, long kvHeads, long capacity, long headSize)
    {
        _type = type;
        _kvHeads = kvHeads;
        _headSize = headSize;
        _elementBytes = ElementBytes(type) ?? throw new ArgumentException($"No preset KV buffers for {type}.", nameof(type));
        _blockBytes = _elementBytes * kvHeads * capacity * headSize;
        _allocations = new IntPtr[2 * tensors];
        _blocks = new IntPtr[2 * tensors];
        _pasts = new OrtValue?[tensors];
        _pending = new OrtValue?[tensors];
        // Untouched pages are not resident: memory grows with the positions actually written, as ORT's own presents do.
        for (var i = 0; i < _blocks.Length; i++)
        {
            _allocations[i] = Marshal.AllocHGlobal((IntPtr)(_blockBytes + Alignment));
            _blocks[i] = (IntPtr)(((long)_allocations[i] + Alignment - 1) & ~(long)(Alignment - 1));
        }
    }

    /// <summary>Bytes per KV element, or null for a type this class does not hold.</summary>
    public static long? ElementBytes(TensorElementType type) => type switch
    {
        TensorElementType.Float => 4,
        TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        _ => null,
    };

    /// <summary>Binds each tensor's write block, shaped [1, kv, total, head], to <paramref name="outputs"/> from <paramref name="first"/>.</summary>
    public void BindPresents(OrtValue[] outputs, int first, long total)
    {
        _shape[0] = 1;
        _shape[1] = _kvHeads;
        _shape[2] = total;
        _shape[3] = _headSize;
        for (var i = 0; i < _pending.Length; i++)
        {
            _pending[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _type, _shape, _blocks[2 * i + _writeSide], _blockBytes);
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

    public void Dispose()
    {
        Reset();
        for (var i = 0; i < _allocations.Length; i++)
        {
            Marshal.FreeHGlobal(_allocations[i]);
            _allocations[i] = IntPtr.Zero;
        }
    }

    private static void DisposeAll(OrtValue?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i]?.Dispose();
            values[i] = null;
        }
    }
}
