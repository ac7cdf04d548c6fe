using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelIde.Core.Inference;

/// <summary>
/// Native, 64-byte aligned memory blocks of one size (ORT's own CPU allocator aligns to 64 too), for the KV cache and
/// prefill logits that ONNX Runtime writes into. A model lends them to each generation and keeps them for the next while
/// they are small, so a generation starts without allocating and without the page faults of fresh memory. Untouched
/// pages are not resident: memory grows with what a generation actually writes.
/// </summary>
internal sealed class NativeBlocks : IDisposable
{
    /// <summary>Blocks up to this size in all are kept between generations; larger ones are freed when theirs ends.</summary>
    public const long KeepLimitBytes = 64L << 20;

    private const int Alignment = 64;

    private readonly IntPtr[] _allocations;
    private readonly IntPtr[] _starts;

    private NativeBlocks(int count, long bytes)
    {
        Bytes = bytes;
        _allocations = new IntPtr[count];
        _starts = new IntPtr[count];
        for (var i = 0; i < count; i++)
        {
            try
            {
                _allocations[i] = Marshal.AllocHGlobal((IntPtr)(bytes + Alignment));
            }
            catch (OutOfMemoryException)
            {
                // The sizes come from the model's config (KV heads, head size, context): an absurd one is the model's
                // fault, said as such, not a process abort.
                Dispose();
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                    $"The KV cache for this generation needs {count:N0} blocks of {bytes:N0} bytes, which cannot be allocated. Ask for fewer new tokens, " +
                    "or check num_key_value_heads, head_size and the context length in the model's genai_config.json or config.json.");
            }

            _starts[i] = (IntPtr)(((long)_allocations[i] + Alignment - 1) & ~(long)(Alignment - 1));
        }
    }

    public int Count => _starts.Length;

    /// <summary>The size of each block.</summary>
    public long Bytes { get; }

    public IntPtr this[int index] => _starts[index];

    /// <summary>Bytes per element of the tensor types these blocks hold, or null for another type.</summary>
    public static long? ElementBytes(TensorElementType type) => type switch
    {
        TensorElementType.Float => 4,
        TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        _ => null,
    };

    /// <summary>
    /// <paramref name="kept"/> when it has <paramref name="count"/> blocks of at least <paramref name="bytes"/>, else new
    /// blocks (<paramref name="fresh"/>: their content is undefined) in its place. The caller owns what it gets until
    /// <see cref="Return"/>.
    /// </summary>
    public static NativeBlocks Lend(ref NativeBlocks? kept, int count, long bytes, out bool fresh)
    {
        var lent = kept;
        kept = null;
        if (lent is not null && lent.Count == count && lent.Bytes >= bytes)
        {
            fresh = false;
            return lent;
        }

        lent?.Dispose();
        fresh = true;
        return new NativeBlocks(count, bytes);
    }

    /// <summary>Takes blocks back after a generation: kept while small, freed otherwise.</summary>
    public static void Return(ref NativeBlocks? kept, NativeBlocks? blocks)
    {
        if (blocks is null)
        {
            return;
        }

        if (kept is null && blocks.Bytes * blocks.Count <= KeepLimitBytes)
        {
            kept = blocks;
        }
        else
        {
            blocks.Dispose();
        }
    }

    public void Dispose()
    {
        for (var i = 0; i < _allocations.Length; i++)
        {
            // FreeHGlobal(Zero) is a no-op: a block never allocated (see the constructor) is skipped.
            Marshal.FreeHGlobal(_allocations[i]);
            _allocations[i] = IntPtr.Zero;
        }
    }
}
