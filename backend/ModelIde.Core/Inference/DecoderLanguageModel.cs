using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Inference;

/// <summary>
/// A loaded decoder-only ONNX model with its tokenizer and chat template, and the KV-cache decode loop over it.
/// One generation at a time per instance (the loop owns the cache); the session itself is created once.
/// </summary>
public sealed class DecoderLanguageModel : IDisposable
{
    private readonly SemaphoreSlim _busy = new(1, 1);
    private readonly int? _threads;
    private readonly NvidiaGpu? _gpu;

    // Built once per model, not per generation: Run's name arrays, and one [1, kv, 0, head] tensor that every layer's
    // past starts from (inputs are read-only, so all of them can share it).
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue _emptyPast;

    // The last position's logits as float32, for the sampler: one vocab-sized array per model, not per generation
    // (generations never overlap, see _busy), which keeps a short generation's managed bytes per token low.
    private readonly float[] _lastRow;

    // Whether the graph's presents are its pasts plus the new positions, so that a CPU step can write them into
    // buffers of its own (AlternatingKvBuffers) instead of having ONNX Runtime allocate them.
    private readonly bool _presetPresents;

    // The KV cache and prefill logits memory of the last generation, kept for the next while small (see NativeBlocks).
    private NativeBlocks? _keptKv;
    private NativeBlocks? _keptLogits;

    // Where the KV cache stays between steps when it is not the host's: CUDA memory for a CUDA session (presents bound
    // there through IOBinding become the next pasts without a round trip to the host). Null on CPU and after a fallback.
    private OrtMemoryInfo? _deviceKv;

    // Replaced once, by a CPU session over the same file, when a GPU (CUDA) session fails while generating.
    private InferenceSession _session;
    private SessionOptions _options;
    private bool _onGpu;
    private int _runs;

    // Time spent inside InferenceSession.Run, for GenerationResult.RunShare.
    private long _runTicks;

    private DecoderLanguageModel(ModelFolderChoice folder, InferenceSession session, SessionOptions options, DecoderModelConfig config,
        HfTokenizer tokenizer, string? chatTemplate, ChatTemplateTokens templateTokens, string device, string reason, int? threads, NvidiaGpu? gpu)
    {
        _onGpu = device == "gpu";
        _threads = threads;
        _gpu = gpu;
        Directory = folder.Root;
        Folder = folder;
        TemplateTokens = templateTokens;
        _session = session;
        _options = options;
        Config = config;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        Device = device;
        Reason = reason;
        _inputNames = config.InputNames().ToArray();
        var outputs = new List<string> { config.Logits };
        for (var i = 0; i < config.Layers; i++)
        {
            outputs.Add(config.PresentKeys[i]);
            outputs.Add(config.PresentValues[i]);
        }

        _outputNames = outputs.ToArray();
        _emptyPast = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, config.KvType, [1, config.KvHeads, 0, config.HeadSize]);
        _lastRow = new float[config.VocabSize];
        _presetPresents = PresentsArePastsPlusNew(session, config);
        if (_onGpu)
        {
            _deviceKv = new OrtMemoryInfo("Cuda", OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
        }
    }

    /// <summary>The folder the user gave.</summary>
    public string Directory { get; }

    /// <summary>Which file runs, why, and the other variants in the folder.</summary>
    public ModelFolderChoice Folder { get; }

    /// <summary>The ONNX file that runs, relative to <see cref="Directory"/>.</summary>
    public string File => Folder.Chosen.RelativeTo(Folder.Root);

    public DecoderModelConfig Config { get; }

    public HfTokenizer Tokenizer { get; }

    public string? ChatTemplate { get; }

    /// <summary>The special tokens the chat template sees, and the tokenizer's added tokens.</summary>
    public ChatTemplateTokens TemplateTokens { get; }

    /// <summary>Where the session runs ("cpu", "gpu", or what GetEpDeviceForInputs reported).</summary>
    public string Device { get; private set; }

    /// <summary>Why: what was found and chosen, in words (after a CUDA failure while generating, that failure).</summary>
    public string Reason { get; private set; }

    /// <summary>Test seam: called with the 1-based count of Run calls before each one; may throw like a failing GPU.</summary>
    internal Action<int>? BeforeRunForTests { get; set; }

    /// <summary>Test seam: treats this (CPU) session as the CUDA one, so a failing Run takes the CPU fallback path.</summary>
    internal void StandInForCudaForTests()
    {
        _onGpu = true;
        Device = "gpu";
        KeepKvOnDeviceForTests();
    }

    /// <summary>Test seam: runs the device-resident KV loop (IOBinding) with host memory standing in for CUDA memory.</summary>
    internal void KeepKvOnDeviceForTests()
    {
        _deviceKv?.Dispose();
        _deviceKv = new OrtMemoryInfo("Cpu", OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
    }

    /// <summary>How many steps ran through the device-resident KV loop (IOBinding), for tests.</summary>
    internal int DeviceKvRunsForTests { get; private set; }

    /// <summary>
    /// Loads the decoder in <paramref name="modelDir"/> (a repository root or any folder inside it). With several variants,
    /// <paramref name="file"/> picks one; otherwise <see cref="ModelVariantChooser"/> does, by device and memory.
    /// <paramref name="cudaPath"/> is searched first for the CUDA libraries (else MODELIDE_CUDA_PATH).
    /// </summary>
    public static DecoderLanguageModel Load(string modelDir, DevicePolicyKind policy = DevicePolicyKind.Auto, string? epLibraryPath = null, int? threads = null, string? file = null, string? cudaPath = null)
    {
        if (!System.IO.Directory.Exists(modelDir))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Model folder not found: {modelDir}");
        }

        // The device is planned first (CUDA when the GPU, the runtime pack and the libraries are there): the variant depends on it.
        var plan = ExecutionProviderSelector.Plan(policy, epLibraryPath, threads, cudaPath);
        var folder = ModelVariantChooser.Choose(modelDir, plan.Device, AvailableBytes(plan), file);
        var modelPath = folder.Chosen.ModelPath;
        var files = ModelSideFiles.Near(modelPath, folder.Chosen.GenaiConfigPath);
        var tokenizer = HfTokenizer.Load(files, folder.Chosen.RelativeTo(folder.Root));
        SelectedSession choice;
        try
        {
            choice = ExecutionProviderSelector.CreateSession(modelPath, plan);
            if (choice.Device != plan.Device && file is null && folder.Variants.Count > 1)
            {
                // CUDA did not start (or the model did not fit): the CPU gets the variant chosen for the CPU.
                var again = ModelVariantChooser.Choose(modelDir, choice.Device, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
                if (again.Chosen.ModelPath != modelPath)
                {
                    choice.Session.Dispose();
                    choice.Options.Dispose();
                    folder = again;
                    modelPath = folder.Chosen.ModelPath;
                    files = ModelSideFiles.Near(modelPath, folder.Chosen.GenaiConfigPath);
                    tokenizer = HfTokenizer.Load(files, folder.Chosen.RelativeTo(folder.Root));
                    var reason = choice.Reason;
                    choice = ExecutionProviderSelector.CreateSession(modelPath, plan with { Gpu = null, Policy = DevicePolicyKind.PreferCpu });
                    choice = choice with { Reason = reason };
                }
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw ModelLoadErrors.Explain(folder, e);
        }

        var session = choice.Session;

        try
        {
            var tokenizerConfig = DecoderModelConfig.ReadJson(files.TokenizerConfig);
            var templateTokens = ChatTemplateTokens.FromTokenizerConfig(tokenizerConfig, tokenizer.SpecialTokens.Keys);
            var extraEos = new List<int>();
            if (templateTokens.Eos is { } eosText && tokenizer.TokenId(eosText) is { } eosId)
            {
                extraEos.Add(eosId);
            }

            var config = DecoderModelConfig.Resolve(files, session, extraEos);
            var template = DecoderModelConfig.Str(tokenizerConfig, "chat_template");
            if (template is null && files.ChatTemplateJinja is { } jinja)
            {
                template = System.IO.File.ReadAllText(jinja);
            }

            var actual = ExecutionProviderSelector.ActualDevice(session);
            var device = choice.Device;
            var reason = choice.Reason;
            if (actual is { } placed)
            {
                // What the session really did wins over what was asked for.
                device = placed.Device;
                reason += $"; session inputs placed on {placed.Device} by {placed.ExecutionProvider}";
            }

            if (template is not null)
            {
                JinjaTemplateEngine.WarmUp();
            }

            return new DecoderLanguageModel(folder, session, choice.Options, config, tokenizer, template, templateTokens, device, reason, threads,
                plan.Gpu?.Decision.Gpu);
        }
        catch
        {
            session.Dispose();
            choice.Options.Dispose();
            throw;
        }
    }

    // The variant must fit where it runs: the GPU's free memory for CUDA, the process's available memory otherwise.
    private static long AvailableBytes(SessionPlan plan) =>
        plan.Device == "gpu" && plan.Gpu?.Decision.Gpu?.FreeMemoryBytes is { } free ? free : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Renders messages with the model's chat template on the template engine's own thread (or a fallback format, with
    /// the reason). Safe to await from a dispatcher: nothing the template does runs on the caller's thread.
    /// </summary>
    public Task<RenderedChat> RenderChatAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken = default) =>
        ChatTemplateRenderer.RenderAsync(ChatTemplate, messages, TemplateTokens, cancellationToken: cancellationToken);

    /// <summary>
    /// Generates from text; see <see cref="Generate(IReadOnlyList{int}, GenerationOptions, Action{GeneratedToken}?, CancellationToken)"/>.
    /// A raw prompt gets the tokenizer's BOS; a prompt rendered by the chat template (<paramref name="renderedChat"/>)
    /// already has what the template put there, as with transformers' apply_chat_template.
    /// </summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, Action<GeneratedToken>? onToken = null, CancellationToken cancellationToken = default, bool renderedChat = false) =>
        Generate(Tokenizer.Encode(prompt, addSpecialTokens: !renderedChat), options, onToken, cancellationToken);

    /// <summary>
    /// The decode loop. Runs synchronously on the calling thread (callers put it off their dispatcher). Cancellation is
    /// checked before every step and also aborts a running step through <see cref="RunOptions.Terminate"/>.
    /// </summary>
    public GenerationResult Generate(IReadOnlyList<int> promptIds, GenerationOptions options, Action<GeneratedToken>? onToken = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (promptIds.Count == 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "The prompt is empty.");
        }

        if (promptIds.Count >= Config.ContextLength)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"The prompt has {promptIds.Count} tokens; the model's context holds {Config.ContextLength}, leaving no room to generate.");
        }

        if (!_busy.Wait(0, CancellationToken.None))
        {
            throw new ModelIdeException(ModelIdeErrorKind.Conflict, "A generation is already running on this model.");
        }

        try
        {
            using var loop = new DecodeLoop(this, promptIds, options, onToken);
            return loop.Run(cancellationToken);
        }
        catch (OnnxRuntimeException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw ModelLoadErrors.ExplainRun(Folder, e);
        }
        finally
        {
            _busy.Release();
        }
    }

    /// <summary>
    /// A CUDA Run failed while generating (out of memory, driver mismatch): the rest of this and every later generation
    /// runs on a CPU session over the same file, and <see cref="Device"/> and <see cref="Reason"/> say so. False when the
    /// CPU session cannot be created either (the failure is then the caller's to explain). Tried once per model.
    /// </summary>
    private bool TryFallBackToCpu(OnnxRuntimeException failure)
    {
        _onGpu = false;
        _deviceKv?.Dispose();
        _deviceKv = null;
        SelectedSession cpu;
        try
        {
            cpu = ExecutionProviderSelector.CreateCpuSession(Folder.Chosen.ModelPath, _threads,
                CudaReadiness.FellBack(_gpu, "during generation", failure.Message));
        }
        catch (OnnxRuntimeException)
        {
            return false;
        }

        _session.Dispose();
        _options.Dispose();
        _session = cpu.Session;
        _options = cpu.Options;
        Device = cpu.Device;
        Reason = cpu.Reason;
        return true;
    }

    // [1, kv, past + seq, head] in the graph's own words: rank 4, the KV heads and head size where they are fixed.
    private static bool PresentsArePastsPlusNew(InferenceSession session, DecoderModelConfig config)
    {
        if (config.SharePastPresent || NativeBlocks.ElementBytes(config.KvType) is null)
        {
            return false;
        }

        foreach (var name in config.PresentKeys.Concat(config.PresentValues))
        {
            if (!session.OutputMetadata.TryGetValue(name, out var meta) || meta.ElementDataType != config.KvType || meta.Dimensions is not { Length: 4 } d ||
                d[0] is not (1 or -1) || d[1] != config.KvHeads && d[1] != -1 || d[3] != config.HeadSize && d[3] != -1)
            {
                return false;
            }
        }

        return true;
    }

    private IDisposableReadOnlyCollection<OrtValue> RunSession(RunOptions runOptions, OrtValue[] inputs)
    {
        BeforeRunForTests?.Invoke(++_runs);
        var start = Stopwatch.GetTimestamp();
        try
        {
            return _session.Run(runOptions, _inputNames, inputs, _outputNames);
        }
        finally
        {
            _runTicks += Stopwatch.GetTimestamp() - start;
        }
    }

    private void RunSession(RunOptions runOptions, OrtValue[] inputs, OrtValue[] outputs)
    {
        BeforeRunForTests?.Invoke(++_runs);
        var start = Stopwatch.GetTimestamp();
        try
        {
            _session.Run(runOptions, _inputNames, inputs, _outputNames, outputs);
        }
        finally
        {
            _runTicks += Stopwatch.GetTimestamp() - start;
        }
    }

    private IDisposableReadOnlyCollection<OrtValue> RunSession(RunOptions runOptions, OrtIoBinding binding)
    {
        BeforeRunForTests?.Invoke(++_runs);
        DeviceKvRunsForTests++;
        var start = Stopwatch.GetTimestamp();
        try
        {
            return _session.RunWithBoundResults(runOptions, binding);
        }
        finally
        {
            _runTicks += Stopwatch.GetTimestamp() - start;
        }
    }

    public void Dispose()
    {
        _deviceKv?.Dispose();
        _keptKv?.Dispose();
        _keptLogits?.Dispose();
        _emptyPast.Dispose();
        _session.Dispose();
        _options.Dispose();
        _busy.Dispose();
    }

    /// <summary>State of one generation: pinned input buffers, the KV cache values and the stream of text.</summary>
    private sealed class DecodeLoop : IDisposable
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

/// <summary>
/// Streams decoded text while holding back anything that might be the start of a stop string, so the streamed chunks
/// always concatenate to the final text (which ends before the stop string).
/// </summary>
internal sealed class StopAwareText(HfTokenizer tokenizer, IReadOnlyList<string> stops, Action<GeneratedToken>? onToken)
{
    private readonly StreamingDecoder _decoder = new(tokenizer);
    private readonly System.Text.StringBuilder _text = new();
    private readonly int _longestStop = stops.Count == 0 ? 0 : stops.Max(s => s.Length);
    private int _emitted;
    private int _lastId = -1;
    private string? _final;

    /// <summary>Adds a token; true when a stop string has appeared.</summary>
    public bool Add(int id)
    {
        _lastId = id;
        var chunk = _decoder.Add(id);
        var searchFrom = Math.Max(0, _text.Length - _longestStop + 1);
        _text.Append(chunk);
        if (stops.Count == 0)
        {
            // The common case: no copy of the whole text per token.
            _emitted = _text.Length;
            onToken?.Invoke(new GeneratedToken(id, chunk));
            return false;
        }

        // Only the tail can hold a stop string that was not there before this chunk.
        var tail = _text.ToString(searchFrom, _text.Length - searchFrom);
        foreach (var stop in stops)
        {
            var at = tail.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                _final = _text.ToString(0, searchFrom + at);
                Emit(id, searchFrom + at);
                return true;
            }
        }

        Emit(id, _text.Length - LongestPendingStopPrefix(tail));
        return false;
    }

    public string Finish()
    {
        if (_final is not null)
        {
            return _final;
        }

        _text.Append(_decoder.Flush());
        if (_text.Length > _emitted)
        {
            Emit(_lastId, _text.Length);
        }

        return _text.ToString();
    }

    private void Emit(int id, int upTo)
    {
        var chunk = upTo > _emitted ? _text.ToString(_emitted, upTo - _emitted) : "";
        _emitted = Math.Max(_emitted, upTo);
        onToken?.Invoke(new GeneratedToken(id, chunk));
    }

    private int LongestPendingStopPrefix(string tail)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var len = Math.Min(stop.Length - 1, tail.Length); len > longest; len--)
            {
                if (string.CompareOrdinal(tail, tail.Length - len, stop, 0, len) == 0)
                {
                    longest = len;
                    break;
                }
            }
        }

        return longest;
    }
}
