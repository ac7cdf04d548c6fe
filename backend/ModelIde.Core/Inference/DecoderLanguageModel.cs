using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelIde.Core.Inference;

/// <summary>
/// A loaded decoder-only ONNX model with its tokenizer and chat template, and the KV-cache decode loop over it.
/// One generation at a time per instance (the loop owns the cache); the session itself is created once.
/// </summary>
public sealed class DecoderLanguageModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly SemaphoreSlim _busy = new(1, 1);
    private readonly TensorElementType _kvType;

    // Built once per model, not per generation: Run's name arrays, and one [1, kv, 0, head] tensor that every layer's
    // past starts from (inputs are read-only, so all of them can share it).
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _pastOffset;
    private readonly OrtValue _emptyPast;

    private DecoderLanguageModel(string directory, InferenceSession session, SessionOptions options, DecoderModelConfig config,
        HfTokenizer tokenizer, string? chatTemplate, string device, string reason)
    {
        Directory = directory;
        _session = session;
        _options = options;
        Config = config;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        Device = device;
        Reason = reason;
        _kvType = session.InputMetadata[config.PastKeys[0]].ElementDataType;
        var names = new List<string> { config.InputIds, config.AttentionMask };
        if (config.PositionIds is not null)
        {
            names.Add(config.PositionIds);
        }

        _pastOffset = names.Count;
        var outputs = new List<string> { config.Logits };
        for (var i = 0; i < config.Layers; i++)
        {
            names.Add(config.PastKeys[i]);
            names.Add(config.PastValues[i]);
            outputs.Add(config.PresentKeys[i]);
            outputs.Add(config.PresentValues[i]);
        }

        _inputNames = names.ToArray();
        _outputNames = outputs.ToArray();
        _emptyPast = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, _kvType, [1, config.KvHeads, 0, config.HeadSize]);
    }

    public string Directory { get; }

    public DecoderModelConfig Config { get; }

    public HfTokenizer Tokenizer { get; }

    public string? ChatTemplate { get; }

    /// <summary>Where the session runs ("cpu", "gpu", or what GetEpDeviceForInputs reported).</summary>
    public string Device { get; }

    /// <summary>Why: what was found and chosen, in words.</summary>
    public string Reason { get; }

    public static DecoderLanguageModel Load(string modelDir, DevicePolicy policy = DevicePolicy.Auto, string? epLibraryPath = null, int? threads = null)
    {
        if (!System.IO.Directory.Exists(modelDir))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Model folder not found: {modelDir}");
        }

        var modelPath = FindModelFile(modelDir);
        var tokenizer = HfTokenizer.Load(Path.Combine(modelDir, "tokenizer.json"));
        // CUDA when the GPU, the GPU runtime and the CUDA libraries are there (else CPU, with the reason).
        var choice = ExecutionProviderSelector.CreateSession(modelPath, policy, epLibraryPath, threads);
        var session = choice.Session;

        try
        {
            var tokenizerConfig = DecoderModelConfig.ReadJson(Path.Combine(modelDir, "tokenizer_config.json"));
            var extraEos = new List<int>();
            if (DecoderModelConfig.Str(tokenizerConfig, "eos_token") is { } eosText && tokenizer.TokenId(eosText) is { } eosId)
            {
                extraEos.Add(eosId);
            }

            var config = DecoderModelConfig.Resolve(modelDir, session, extraEos);
            if (config.Logits is not null && session.OutputMetadata[config.Logits].ElementDataType != TensorElementType.Float)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "Only models with float32 logits are supported.");
            }

            var template = DecoderModelConfig.Str(tokenizerConfig, "chat_template");
            var jinja = Path.Combine(modelDir, "chat_template.jinja");
            if (template is null && File.Exists(jinja))
            {
                template = File.ReadAllText(jinja);
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

            return new DecoderLanguageModel(modelDir, session, choice.Options, config, tokenizer, template, device, reason);
        }
        catch
        {
            session.Dispose();
            choice.Options.Dispose();
            throw;
        }
    }

    /// <summary>Renders messages with the model's chat template (or ChatML, with the reason).</summary>
    public RenderedChat RenderChat(IReadOnlyList<ChatMessage> messages) => ChatTemplateRenderer.Render(ChatTemplate, messages);

    /// <summary>Generates from text; see <see cref="Generate(IReadOnlyList{int}, GenerationOptions, Action{GeneratedToken}?, CancellationToken)"/>.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, Action<GeneratedToken>? onToken = null, CancellationToken cancellationToken = default) =>
        Generate(Tokenizer.Encode(prompt), options, onToken, cancellationToken);

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
        finally
        {
            _busy.Release();
        }
    }

    public void Dispose()
    {
        _emptyPast.Dispose();
        _session.Dispose();
        _options.Dispose();
        _busy.Dispose();
    }

    private static string FindModelFile(string modelDir)
    {
        var genai = DecoderModelConfig.ReadJson(Path.Combine(modelDir, "genai_config.json"));
        var named = DecoderModelConfig.Str(DecoderModelConfig.Get(DecoderModelConfig.Get(genai, "model"), "decoder"), "filename");
        if (named is not null && File.Exists(Path.Combine(modelDir, named)))
        {
            return Path.Combine(modelDir, named);
        }

        var preferred = Path.Combine(modelDir, "model.onnx");
        if (File.Exists(preferred))
        {
            return preferred;
        }

        var all = System.IO.Directory.GetFiles(modelDir, "*.onnx");
        return all.Length switch
        {
            1 => all[0],
            0 => throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"No ONNX model (*.onnx) in {modelDir}."),
            _ => throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"Several ONNX files in {modelDir} and no genai_config.json naming the decoder: {string.Join(", ", all.Select(Path.GetFileName))}."),
        };
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
        private readonly long[] _mask;
        private readonly long[] _stepIds = new long[1];
        private readonly long[] _stepPositions = new long[1];
        private readonly OrtValue _stepIdsValue;
        private readonly OrtValue _stepPositionsValue;
        private readonly List<OrtValue> _owned = [];
        private readonly int _pastOffset;
        private readonly int _capacity;
        private readonly OrtValue[]? _sharedOutputs;
        private readonly float[]? _sharedLogits;
        private IDisposableReadOnlyCollection<OrtValue>? _previousOutputs;

        public DecodeLoop(DecoderLanguageModel model, IReadOnlyList<int> prompt, GenerationOptions options, Action<GeneratedToken>? onToken)
        {
            _model = model;
            _c = model.Config;
            _prompt = prompt;
            _options = options;
            _onToken = onToken;
            _capacity = Math.Min(_c.ContextLength, prompt.Count + options.MaxNewTokens);
            _mask = new long[_capacity];
            Array.Fill(_mask, 1L);

            _inputNames = model._inputNames;
            _outputNames = model._outputNames;
            _pastOffset = model._pastOffset;
            _inputs = new OrtValue[_inputNames.Length];
            _stepIdsValue = Own(OrtValue.CreateTensorValueFromMemory(_stepIds, [1, 1]));
            _stepPositionsValue = Own(OrtValue.CreateTensorValueFromMemory(_stepPositions, [1, 1]));

            if (_c.SharePastPresent)
            {
                // One [1, kv, capacity, head] buffer per K/V, bound as both past and present (GQA writes in place).
                _sharedOutputs = new OrtValue[_outputNames.Length];
                _sharedLogits = new float[Math.Max(1, prompt.Count) * _c.VocabSize];
                for (var i = 0; i < 2 * _c.Layers; i++)
                {
                    var kv = Own(OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, model._kvType, [1, _c.KvHeads, _capacity, _c.HeadSize]));
                    kv.GetTensorMutableRawData().Clear();
                    _inputs[_pastOffset + i] = kv;
                    _sharedOutputs[1 + i] = kv;
                }
            }
            else
            {
                for (var i = 0; i < 2 * _c.Layers; i++)
                {
                    _inputs[_pastOffset + i] = model._emptyPast;
                }
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
            var reason = StopReason.MaxTokens;
            var position = 0;
            var nextInput = -1;

            while (generated.Count < maxNew)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    reason = StopReason.Cancelled;
                    break;
                }

                var isPrefill = position == 0;
                var bytesBefore = GC.GetAllocatedBytesForCurrentThread();
                var stepStart = Stopwatch.GetTimestamp();
                var seq = isPrefill ? _prompt.Count : 1;
                var totalLength = position + seq;
                Span<float> logits;
                try
                {
                    var runStart = Stopwatch.GetTimestamp();
                    logits = Step(runOptions, isPrefill, nextInput, position, seq, totalLength);
                    runTicks += Stopwatch.GetTimestamp() - runStart;
                }
                catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
                {
                    reason = StopReason.Cancelled;
                    break;
                }

                var id = sampler.Next(logits);
                sampler.Observe(id);
                position = totalLength;
                nextInput = id;
                stepTicks += Stopwatch.GetTimestamp() - stepStart;
                if (!isPrefill)
                {
                    decodeBytes += GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
                    decodeSteps++;
                }
                else
                {
                    firstToken = total.Elapsed;
                }

                if (_c.EosTokenIds.Contains(id))
                {
                    reason = StopReason.Eos;
                    break;
                }

                generated.Add(id);
                if (text.Add(id))
                {
                    reason = StopReason.Stop;
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

        private Span<float> Step(RunOptions runOptions, bool isPrefill, int nextInput, int position, int seq, int totalLength)
        {
            OrtValue? prefillIds = null;
            OrtValue? prefillPositions = null;
            using var maskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<long>(_mask, 0, totalLength), [1, totalLength]);
            try
            {
                if (isPrefill)
                {
                    var ids = new long[seq];
                    var positions = new long[seq];
                    for (var i = 0; i < seq; i++)
                    {
                        ids[i] = _prompt[i];
                        positions[i] = i;
                    }

                    prefillIds = OrtValue.CreateTensorValueFromMemory(ids, [1, seq]);
                    prefillPositions = OrtValue.CreateTensorValueFromMemory(positions, [1, seq]);
                    _inputs[0] = prefillIds;
                    if (_c.PositionIds is not null)
                    {
                        _inputs[2] = prefillPositions;
                    }
                }
                else
                {
                    _stepIds[0] = nextInput;
                    _stepPositions[0] = position;
                    _inputs[0] = _stepIdsValue;
                    if (_c.PositionIds is not null)
                    {
                        _inputs[2] = _stepPositionsValue;
                    }
                }

                _inputs[1] = maskValue;
                if (_sharedOutputs is not null)
                {
                    using var logitsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_sharedLogits, 0, seq * _c.VocabSize), [1, seq, _c.VocabSize]);
                    _sharedOutputs[0] = logitsValue;
                    _model._session.Run(runOptions, _inputNames, _inputs, _outputNames, _sharedOutputs);
                    return new Span<float>(_sharedLogits, (seq - 1) * _c.VocabSize, _c.VocabSize);
                }

                var outputs = _model._session.Run(runOptions, _inputNames, _inputs, _outputNames);
                // Presents become the next step's pasts without a copy; the previous set is released only now.
                for (var i = 0; i < 2 * _c.Layers; i++)
                {
                    _inputs[_pastOffset + i] = outputs[1 + i];
                }

                _previousOutputs?.Dispose();
                _previousOutputs = outputs;
                return outputs[0].GetTensorMutableDataAsSpan<float>().Slice((seq - 1) * _c.VocabSize, _c.VocabSize);
            }
            finally
            {
                prefillIds?.Dispose();
                prefillPositions?.Dispose();
            }
        }

        private OrtValue Own(OrtValue value)
        {
            _owned.Add(value);
            return value;
        }

        public void Dispose()
        {
            _previousOutputs?.Dispose();
            foreach (var v in _owned)
            {
                v.Dispose();
            }
        }
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
