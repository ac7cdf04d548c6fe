using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelIde.Core.Inference;

public sealed partial class DecoderLanguageModel
{
    /// <summary>State of one generation: pinned input buffers, the KV cache values and the stream of text.</summary>
    private sealed partial class DecodeLoop : IDisposable
    {
        private readonly DecoderLanguageModel _model;
        private readonly DecoderModelConfig _c;
        private readonly IReadOnlyList<int> _prompt;
        private readonly GenerationOptions _options;
        private readonly Action<GeneratedToken>? _onToken;
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;
        private readonly OrtValue[] _inputs;
        private readonly IntegerBuffer _mask;
        private readonly long[] _maskShape = [1, 0];
        private readonly IntegerBuffer _stepIds;
        private readonly IntegerBuffer _stepPositions;
        private readonly OrtValue _stepIdsValue;
        private readonly OrtValue? _stepPositionsValue;
        private readonly OrtValue? _cacheOff;
        private readonly OrtValue? _cacheOn;
        private readonly OrtValue? _keepOne;
        private readonly List<OrtValue> _owned = [];
        private readonly int _maskSlot;
        private readonly int _positionSlot = -1;
        private readonly int _cacheBranchSlot = -1;
        private readonly int _pastOffset;
        private readonly int _capacity;
        private OrtValue[]? _sharedOutputs;
        private readonly OrtValue? _stepLogits;
        private readonly ushort[]? _stepRow16;
        private readonly float[] _lastRow;
        private IDisposableReadOnlyCollection<OrtValue>? _previousOutputs;

        // Lent by the model for this generation: the KV cache (a shared buffer, or alternating ones) and prefill logits.
        private NativeBlocks? _kvBlocks;
        private NativeBlocks? _logitsBlock;

        // The presents of a CPU step with a Concat cache (null for a shared buffer, on GPU, or before the first such step).
        private AlternatingKvBuffers? _alternating;
        private OrtValue[]? _outputs;

        // What a prefill step reads: the prompt, or after a CUDA failure the prompt and the ids generated so far.
        private IReadOnlyList<int> _prefix;

        // On a GPU: where the presents are bound (the device), and the binding that keeps them there (see RunWithDeviceKv).
        private OrtMemoryInfo? _deviceKv;
        private OrtIoBinding? _binding;

        public DecodeLoop(DecoderLanguageModel model, IReadOnlyList<int> prompt, GenerationOptions options, Action<GeneratedToken>? onToken)
        {
            _model = model;
            _c = model.Config;
            _prompt = prompt;
            _prefix = prompt;
            _options = options;
            _onToken = onToken;
            _capacity = Math.Min(_c.ContextLength, prompt.Count + options.MaxNewTokens);
            _lastRow = model._lastRow;
            _mask = new IntegerBuffer(_c.MaskType, _capacity);
            _mask.Fill(1);
            _stepIds = new IntegerBuffer(_c.InputIdsType, 1);
            _stepPositions = new IntegerBuffer(_c.PositionType, 1);

            _inputNames = model._inputNames;
            _outputNames = model._outputNames;
            _inputs = new OrtValue[_inputNames.Length];
            _stepIdsValue = Own(_stepIds.View(1, [1, 1]));
            var slot = 1;
            _maskSlot = slot++;
            if (_c.PositionIds is not null)
            {
                _positionSlot = slot++;
                _stepPositionsValue = Own(_stepPositions.View(1, [1, 1]));
            }

            if (_c.UseCacheBranch is not null)
            {
                _cacheBranchSlot = slot++;
                _cacheOff = Own(OrtValue.CreateTensorValueFromMemory(new[] { false }, [1]));
                _cacheOn = Own(OrtValue.CreateTensorValueFromMemory(new[] { true }, [1]));
            }

            if (_c.LogitsToKeep is not null)
            {
                // A scalar 1: only the last position's logits are computed and returned.
                _keepOne = Own(OrtValue.CreateTensorValueFromMemory(new long[] { 1 }, []));
                _inputs[slot++] = _keepOne;
            }

            _pastOffset = slot;
            _deviceKv = model._deviceKv;
            if (_c.SharePastPresent && _deviceKv is null)
            {
                BindSharedKvBuffers();
            }
            else
            {
                // On a GPU a shared-buffer (GQA) model also grows its presents step by step: ONNX Runtime allocates them
                // on the device, whole, where a host buffer bound as past and present would cross the bus every step.
                for (var i = 0; i < 2 * _c.Layers; i++)
                {
                    _inputs[_pastOffset + i] = model._emptyPast;
                }
            }

            // A decode step's logits [1, 1, vocab] go straight into managed memory the sampler reads, for the whole
            // generation: _lastRow itself for float32, a pinned array of float16/bfloat16 bits otherwise (reading an ORT
            // buffer back costs native calls on every step).
            if (_c.LogitsType == TensorElementType.Float)
            {
                _stepLogits = Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_lastRow), [1, 1, _c.VocabSize]));
            }
            else
            {
                _stepRow16 = GC.AllocateArray<ushort>(_c.VocabSize, pinned: true);
                _stepLogits = Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _c.LogitsType, [1, 1, _c.VocabSize],
                    System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(_stepRow16, 0), 2L * _c.VocabSize));
            }
        }

        public GenerationResult Run(CancellationToken cancellationToken)
        {
            using var runOptions = new RunOptions();
            using var abort = cancellationToken.Register(() => runOptions.Terminate = true);
            var sampler = new TokenSampler(_c.VocabSize, _options);
            foreach (var id in _prompt)
            {
                sampler.Observe(id);
            }

            var text = new StopAwareText(_model.Tokenizer, _options.StopStrings, _onToken);
            var generated = new List<int>(_options.MaxNewTokens);
            var maxNew = Math.Min(_options.MaxNewTokens, _c.ContextLength - _prompt.Count);
            var total = Stopwatch.StartNew();
            var runTicks = 0L;
            var stepTicks = 0L;
            var decodeBytes = 0L;
            var decodeSteps = 0;
            var firstToken = TimeSpan.Zero;
            var reason = StopReasonKind.MaxTokens;
            var position = 0;
            var nextInput = -1;

            while (generated.Count < maxNew)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    reason = StopReasonKind.Cancelled;
                    break;
                }

                var isPrefill = position == 0;
                var bytesBefore = GC.GetAllocatedBytesForCurrentThread();
                var stepStart = Stopwatch.GetTimestamp();
                var seq = isPrefill ? _prefix.Count : 1;
                var totalLength = position + seq;
                try
                {
                    // Only InferenceSession.Run counts as Run: binding inputs and outputs and reading the logits are the
                    // loop's own per-step work.
                    var runBefore = _model._runTicks;
                    Step(runOptions, isPrefill, nextInput, position, seq, totalLength);
                    runTicks += _model._runTicks - runBefore;
                }
                catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
                {
                    reason = StopReasonKind.Cancelled;
                    break;
                }
                catch (OnnxRuntimeException e) when (_model._onGpu)
                {
                    // The CPU session starts from nothing: prefill the prompt and every id generated so far (the last
                    // one is the input the failed step was given), whose last logits pick the next id. The sampler
                    // and the text stream carry on, so the user sees no repeated or missing text. The CUDA presents
                    // are released first, while the session that allocated them still exists.
                    Restart(generated);
                    if (!_model.TryFallBackToCpu(e))
                    {
                        throw;
                    }

                    position = 0;
                    continue;
                }

                var id = sampler.Next(_lastRow);
                sampler.Observe(id);
                position = totalLength;
                nextInput = id;
                stepTicks += Stopwatch.GetTimestamp() - stepStart;
                if (!isPrefill)
                {
                    decodeBytes += GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
                    decodeSteps++;
                }
                else if (firstToken == TimeSpan.Zero)
                {
                    firstToken = total.Elapsed;
                }

                if (_c.EosTokenIds.Contains(id))
                {
                    reason = StopReasonKind.Eos;
                    break;
                }

                generated.Add(id);
                if (text.Add(id))
                {
                    reason = StopReasonKind.Stop;
                    break;
                }
            }

            total.Stop();
            var finalText = text.Finish();
            var decodeTime = total.Elapsed - firstToken;
            return new GenerationResult(
                finalText,
                generated,
                _prompt.Count,
                reason,
                generated.Count / Math.Max(total.Elapsed.TotalSeconds, 1e-9),
                firstToken,
                total.Elapsed,
                decodeSteps / Math.Max(decodeTime.TotalSeconds, 1e-9),
                stepTicks == 0 ? 0 : (double)runTicks / stepTicks,
                decodeSteps == 0 ? 0 : decodeBytes / decodeSteps);
        }

        // Back to an empty cache: the previous session's presents go; a shared KV buffer is simply overwritten.
        private void Restart(List<int> generated)
        {
            _prefix = generated.Count == 0 ? _prompt : [.. _prompt, .. generated];
            if (_deviceKv is not null)
            {
                // The device's presents and the binding go with the CUDA session; the CPU keeps its cache on the host.
                _binding?.Dispose();
                _binding = null;
                _deviceKv = null;
                if (_c.SharePastPresent)
                {
                    _previousOutputs?.Dispose();
                    _previousOutputs = null;
                    BindSharedKvBuffers();
                    return;
                }
            }

            if (_sharedOutputs is null)
            {
                for (var i = 0; i < 2 * _c.Layers; i++)
                {
                    _inputs[_pastOffset + i] = _model._emptyPast;
                }

                _previousOutputs?.Dispose();
                _previousOutputs = null;
                _alternating?.Reset();
            }
        }

        private OrtValue Own(OrtValue value)
        {
            _owned.Add(value);
            return value;
        }

        public void Dispose()
        {
            _binding?.Dispose();
            _previousOutputs?.Dispose();
            _alternating?.Dispose();
            foreach (var v in _owned)
            {
                v.Dispose();
            }

            // The values over the blocks are gone; the blocks go back to the model.
            NativeBlocks.Return(ref _model._keptKv, _kvBlocks);
            NativeBlocks.Return(ref _model._keptLogits, _logitsBlock);
        }
    }
}
