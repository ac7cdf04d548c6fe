using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Inference;

/// <summary>
/// A loaded decoder-only ONNX model with its tokenizer and chat template, and the KV-cache decode loop over it.
/// One generation at a time per instance (the loop owns the cache); the session itself is created once.
/// The loop is split by what it does: <c>DecoderLanguageModel.DecodeLoop.cs</c> (one generation: sampling, stopping,
/// timing, the CPU fallback) and <c>DecoderLanguageModel.DecodeStep.cs</c> (one Run, and where its KV cache lives).
/// </summary>
public sealed partial class DecoderLanguageModel : IDisposable
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

    /// <summary>The KV cache stays on the GPU between steps (IOBinding); false on CPU and after a fallback from CUDA.</summary>
    public bool KeepsKvCacheOnDevice => _deviceKv is not null;

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

        if (threads is < 1 or > ExecutionProviderSelector.MaxThreads)
        {
            // ONNX Runtime starts every thread it is asked for: 20,000 would take the process down, not fail.
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"threads must be between 1 and {ExecutionProviderSelector.MaxThreads} (got {threads}).");
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
                template = SideFileReader.ReadText(jinja, SideFileReader.ChatTemplateLimit);
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

            var model = new DecoderLanguageModel(folder, session, choice.Options, config, tokenizer, template, templateTokens, device, reason, threads,
                plan.Gpu?.Decision.Gpu);
            model.WarmUpOnGpu();
            return model;
        }
        catch
        {
            session.Dispose();
            choice.Options.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The first CUDA Run sets up cuBLAS, cuDNN and the memory arena (about 200 ms on an H200, measured): two tokens
    /// generated here pay for it at load, so the user's first prompt does not. A failure here is left to the real
    /// generation to meet and explain (a CUDA failure has already moved the model to the CPU).
    /// </summary>
    internal void WarmUpOnGpu()
    {
        if (!_onGpu || Config.ContextLength < 4)
        {
            return;
        }

        try
        {
            Generate([0, 0], new GenerationOptions { MaxNewTokens = 2 });
        }
        catch (ModelIdeException)
        {
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

        foreach (var id in promptIds)
        {
            if ((uint)id >= (uint)Config.VocabSize)
            {
                // Caught here, not as ONNX Runtime's out-of-range Gather (or a silent wrap for -1). Checked per prompt, not at
                // load: a tokenizer with a stray added token still serves every prompt that does not use it.
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                    $"The prompt has the token id {id}{(Tokenizer.TokenText(id) is { } text ? $" (\"{text}\")" : "")}, outside the model's vocabulary " +
                    $"(ids 0 to {Config.VocabSize - 1}): the tokenizer files beside {File} do not match this model. Download them from the same repository and revision.");
            }
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
}
