using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelIde.Core.Inference;

public sealed partial class DecoderLanguageModel
{
    // One step of a generation: binding its inputs, running it with the KV cache where it lives (shared host buffers,
    // alternating host buffers, or the device through IOBinding) and reading the last logits back for the sampler.
    private sealed partial class DecodeLoop
    {
        // One [1, kv, capacity, head] host buffer per K/V, bound as both past and present (GQA writes in place). Fresh
        // memory is zeroed; kept memory holds finite values of an earlier generation, past what GQA reads.
        private void BindSharedKvBuffers()
        {
            _sharedOutputs = new OrtValue[_outputNames.Length];
            var bytes = NativeBlocks.ElementBytes(_c.KvType)!.Value * _c.KvHeads * _capacity * _c.HeadSize;
            _kvBlocks = NativeBlocks.Lend(ref _model._keptKv, 2 * _c.Layers, bytes, out var fresh);
            for (var i = 0; i < 2 * _c.Layers; i++)
            {
                var kv = Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _c.KvType, [1, _c.KvHeads, _capacity, _c.HeadSize], _kvBlocks[i], _kvBlocks.Bytes));
                if (fresh)
                {
                    kv.GetTensorMutableRawData().Clear();
                }

                _inputs[_pastOffset + i] = kv;
                _sharedOutputs[1 + i] = kv;
            }
        }

        /// <summary>One Run; leaves the last position's logits, as float32, in <see cref="_lastRow"/>.</summary>
        private void Step(RunOptions runOptions, bool isPrefill, int nextInput, int position, int seq, int totalLength)
        {
            OrtValue? prefillIds = null;
            OrtValue? prefillPositions = null;
            _maskShape[1] = totalLength;
            using var maskValue = _mask.View(totalLength, _maskShape);
            try
            {
                if (isPrefill)
                {
                    var ids = new IntegerBuffer(_c.InputIdsType, seq);
                    var positions = new IntegerBuffer(_c.PositionType, seq);
                    for (var i = 0; i < seq; i++)
                    {
                        ids.Set(i, _prefix[i]);
                        positions.Set(i, i);
                    }

                    prefillIds = ids.View(seq, [1, seq]);
                    _inputs[0] = prefillIds;
                    if (_positionSlot >= 0)
                    {
                        prefillPositions = positions.View(seq, [1, seq]);
                        _inputs[_positionSlot] = prefillPositions;
                    }
                }
                else
                {
                    _stepIds.Set(0, nextInput);
                    _stepPositions.Set(0, position);
                    _inputs[0] = _stepIdsValue;
                    if (_positionSlot >= 0)
                    {
                        _inputs[_positionSlot] = _stepPositionsValue!;
                    }
                }

                _inputs[_maskSlot] = maskValue;
                if (_cacheBranchSlot >= 0)
                {
                    _inputs[_cacheBranchSlot] = isPrefill ? _cacheOff! : _cacheOn!;
                }

                if (_deviceKv is not null)
                {
                    RunWithDeviceKv(runOptions, seq);
                    return;
                }

                if (_sharedOutputs is not null)
                {
                    var rows = _keepOne is null ? seq : 1;
                    using var prefillLogits = rows == 1 ? null : PrefillLogits(rows);
                    var logitsValue = prefillLogits ?? _stepLogits!;
                    _sharedOutputs[0] = logitsValue;
                    _model.RunSession(runOptions, _inputs, _sharedOutputs);
                    CopyLastRow(logitsValue, rows);
                    return;
                }

                if (_model._presetPresents && !_model._onGpu)
                {
                    RunIntoAlternatingBuffers(runOptions, seq, totalLength);
                    return;
                }

                var outputs = _model.RunSession(runOptions, _inputs);
                // Presents become the next step's pasts without a copy; the previous set is released only now.
                for (var i = 0; i < 2 * _c.Layers; i++)
                {
                    _inputs[_pastOffset + i] = outputs[1 + i];
                }

                _previousOutputs?.Dispose();
                _previousOutputs = outputs;
                CopyLastRow(outputs[0], _keepOne is null ? seq : 1);
            }
            finally
            {
                prefillIds?.Dispose();
                prefillPositions?.Dispose();
            }
        }

        // A GPU step: the presents are bound to device memory (ONNX Runtime allocates them there) and become the next
        // step's pasts without leaving it; only the logits come back, into the host buffer the sampler reads. Inputs are
        // bound anew each step (binding copies a host input to the device once, at bind time).
        private void RunWithDeviceKv(RunOptions runOptions, int seq)
        {
            _binding ??= _model._session.CreateIoBinding();
            for (var i = 0; i < _inputs.Length; i++)
            {
                _binding.BindInput(_inputNames[i], _inputs[i]);
            }

            var rows = _keepOne is null ? seq : 1;
            using var prefillLogits = rows == 1 ? null : PrefillLogits(rows);
            var logitsValue = prefillLogits ?? _stepLogits!;
            _binding.BindOutput(_outputNames[0], logitsValue);
            for (var i = 1; i < _outputNames.Length; i++)
            {
                _binding.BindOutputToDevice(_outputNames[i], _deviceKv!);
            }

            // The bound outputs in binding order: the logits, then the presents.
            var outputs = _model.RunSession(runOptions, _binding);
            for (var i = 0; i < 2 * _c.Layers; i++)
            {
                _inputs[_pastOffset + i] = outputs[1 + i];
            }

            _previousOutputs?.Dispose();
            _previousOutputs = outputs;
            CopyLastRow(logitsValue, rows);
        }

        // A CPU step of a Concat cache: logits and presents go into buffers bound before Run, and the presents become the
        // next step's pasts (see AlternatingKvBuffers). On a GPU, ORT keeps allocating them (the host buffers would
        // move the cache to the CPU and back on every step).
        private void RunIntoAlternatingBuffers(RunOptions runOptions, int seq, int totalLength)
        {
            if (_alternating is null)
            {
                var bytes = NativeBlocks.ElementBytes(_c.KvType)!.Value * _c.KvHeads * _capacity * _c.HeadSize;
                _kvBlocks = NativeBlocks.Lend(ref _model._keptKv, 4 * _c.Layers, bytes, out _);
                _alternating = new AlternatingKvBuffers(2 * _c.Layers, _c.KvType, _c.KvHeads, _c.HeadSize, _kvBlocks);
                _outputs = new OrtValue[_outputNames.Length];
            }

            var rows = _keepOne is null ? seq : 1;
            using var prefillLogits = rows == 1 ? null : PrefillLogits(rows);
            var logitsValue = prefillLogits ?? _stepLogits!;
            _outputs![0] = logitsValue;
            _alternating.BindPresents(_outputs, 1, totalLength);
            try
            {
                _model.RunSession(runOptions, _inputs, _outputs);
            }
            catch
            {
                _alternating.Abandon();
                throw;
            }

            _alternating.Commit(_inputs, _pastOffset);
            CopyLastRow(logitsValue, rows);
        }

        // A prefill's logits [1, rows, vocab], in memory the model lends (ORT allocating them would fault in fresh pages
        // on every prompt). The caller disposes the value.
        private OrtValue PrefillLogits(int rows)
        {
            var needed = NativeBlocks.ElementBytes(_c.LogitsType)!.Value * rows * _c.VocabSize;
            if (_logitsBlock is null || _logitsBlock.Bytes < needed)
            {
                _logitsBlock?.Dispose();
                _logitsBlock = NativeBlocks.Lend(ref _model._keptLogits, 1, needed, out _);
            }

            return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _c.LogitsType, [1, rows, _c.VocabSize], _logitsBlock[0], _logitsBlock.Bytes);
        }

        // rows is what the step asked for (its sequence, or 1 with logits_to_keep); reading the shape back from the
        // value would allocate a shape object on every step.
        private void CopyLastRow(OrtValue logits, int rows)
        {
            if (ReferenceEquals(logits, _stepLogits))
            {
                // ORT wrote the row into managed memory: into _lastRow itself for float32.
                if (_stepRow16 is not null)
                {
                    Widen(_stepRow16);
                }

                return;
            }

            var start = (rows - 1) * _c.VocabSize;
            if (_c.LogitsType == TensorElementType.Float)
            {
                logits.GetTensorDataAsSpan<float>().Slice(start, _c.VocabSize).CopyTo(_lastRow);
            }
            else
            {
                Widen(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(logits.GetTensorDataAsSpan<byte>()).Slice(start, _c.VocabSize));
            }
        }

        // float16 or bfloat16 logits (their bits) to the float32 row the sampler reads.
        private void Widen(ReadOnlySpan<ushort> raw)
        {
            if (_c.LogitsType == TensorElementType.Float16)
            {
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<ushort, Half>(raw), _lastRow);
                return;
            }

            // bfloat16 is the upper half of a float32.
            for (var i = 0; i < raw.Length; i++)
            {
                _lastRow[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
            }
        }
    }

    /// <summary>
    /// An int64 or int32 array, as the graph's input type asks, allocated pinned so that a view costs one native call
    /// (no pinning per step); views share its memory.
    /// </summary>
    private sealed class IntegerBuffer(TensorElementType type, int length)
    {
        private readonly long[]? _long = type == TensorElementType.Int64 ? GC.AllocateArray<long>(length, pinned: true) : null;
        private readonly int[]? _int = type == TensorElementType.Int32 ? GC.AllocateArray<int>(length, pinned: true) : null;

        public void Set(int index, long value)
        {
            if (_long is not null)
            {
                _long[index] = value;
            }
            else
            {
                _int![index] = (int)value;
            }
        }

        public void Fill(long value)
        {
            if (_long is not null)
            {
                Array.Fill(_long, value);
            }
            else
            {
                Array.Fill(_int!, (int)value);
            }
        }

        /// <summary>The first <paramref name="count"/> elements; ORT copies <paramref name="shape"/>, so callers may reuse it.</summary>
        public OrtValue View(int count, long[] shape) => _long is not null
            ? OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, shape, System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(_long, 0), 8L * count)
            : OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, shape, System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(_int!, 0), 4L * count);
    }
}
