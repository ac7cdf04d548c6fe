using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ModelIde.Core;
using ModelIde.Core.Inference;
using ModelIde.Core.Models;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary>inference/*: sessions cached by id; generation runs on the thread pool, streaming tokens as notifications.</summary>
public sealed class InferenceRpcTarget(SidecarContext context) : IRpcTarget, IDisposable
{
    // One target per connection (disposed on disconnect), so the sessions live as long as the client does.
    private readonly ConcurrentDictionary<string, DecoderLanguageModel> _sessions = new();
    private readonly ILogger _log = context.CreateLogger<InferenceRpcTarget>();

    private ConcurrentDictionary<string, DecoderLanguageModel> Sessions => _sessions;

    public void Dispose()
    {
        foreach (var id in _sessions.Keys)
        {
            if (_sessions.TryRemove(id, out var model))
            {
                model.Dispose();
            }
        }
    }

    [JsonRpcMethod(InferenceMethods.Devices, UseSingleObjectParameterDeserialization = true)]
    public Task<InferenceDevicesResult> DevicesAsync(InferenceDevicesParams? p, CancellationToken cancellationToken) => Task.Run(() =>
    {
        var report = ExecutionProviderSelector.Describe(PolicyOf(p?.Policy), p?.EpLibraryPath, cudaPath: p?.CudaPath);
        return new InferenceDevicesResult(
            report.Hardware.Select(h => new HardwareDeviceDto(h.Type, h.Vendor, h.VendorId, h.DeviceId)).ToArray(),
            report.ExecutionProviders.Select(e => new ExecutionProviderDto(e.Name, e.Vendor, e.DeviceType)).ToArray(),
            report.Summary);
    }, cancellationToken);

    // A load blocks its thread for seconds (reading and optimising the model), so, like a generation, it gets a thread of
    // its own: on the pool, sidecar/ping waited 940 ms during 2 of 4 loads of the 173 M decoder on 2 cores (12 ms at
    // worst over 6 loads on its own thread; measured with an independent client, bench/gpu's Sidecar class).
    [JsonRpcMethod(InferenceMethods.Load, UseSingleObjectParameterDeserialization = true)]
    public Task<InferenceLoadResult> LoadAsync(InferenceLoadParams p, CancellationToken cancellationToken) => Task.Factory.StartNew(() =>
    {
        if (string.IsNullOrWhiteSpace(p?.ModelDir))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "modelDir is required.");
        }

        var model = DecoderLanguageModel.Load(p.ModelDir, PolicyOf(p.Policy), p.EpLibraryPath, p.Threads,
            string.IsNullOrWhiteSpace(p.File) ? null : ModelVariantChooser.RequireInside(p.ModelDir, p.File), p.CudaPath);
        var id = Guid.NewGuid().ToString("N");
        Sessions[id] = model;
        var d = model.Config.Defaults;
        return new InferenceLoadResult(id, model.Device, model.Reason, model.Config.ContextLength, model.ChatTemplate, model.ChatTemplate is not null,
            model.File, model.Folder.Reason, new GenerationDefaultsDto(d.MaxLength, d.DoSample, d.Temperature, d.TopK, d.TopP, d.RepetitionPenalty));
    }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    [JsonRpcMethod(InferenceMethods.DownloadPlan, UseSingleObjectParameterDeserialization = true)]
    public async Task<InferenceDownloadPlanResult> DownloadPlanAsync(InferenceDownloadPlanParams p, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(p?.ModelId ?? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "modelId is required."));
        var listing = await context.Api.ListModelFilesAsync(id, p.Revision, cancellationToken).ConfigureAwait(false);
        var device = await Task.Run(() =>
        {
            var choice = ExecutionProviderSelector.Choose(PolicyOf(p.Policy), null, null);
            choice.Options.Dispose();
            return choice.Device;
        }, cancellationToken).ConfigureAwait(false);
        var plan = VariantDownloadPlanner.Plan(listing.Where(f => !f.IsDirectory).Select(f => (f.Path, f.Size)).ToArray(), device,
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        static OnnxVariantDto Dto(ListedVariant v) => new(v.File, v.Precision, v.GpuOnly, v.Bytes);
        return new InferenceDownloadPlanResult(plan.Chosen is { } c ? Dto(c) : null, plan.Reason, plan.Variants.Select(Dto).ToArray(), plan.Files, plan.Bytes, plan.AllBytes);
    }

    // The whole request runs on the thread pool: nothing of it (rendering the template, tokenizing, the first JIT of
    // these paths) holds the dispatcher that reads the next request.
    [JsonRpcMethod(InferenceMethods.Generate, UseSingleObjectParameterDeserialization = true)]
    public Task<InferenceGenerateResult> GenerateAsync(InferenceGenerateParams p, CancellationToken cancellationToken) =>
        Task.Run(() => GenerateOffDispatcherAsync(p, cancellationToken), CancellationToken.None);

    private async Task<InferenceGenerateResult> GenerateOffDispatcherAsync(InferenceGenerateParams p, CancellationToken cancellationToken)
    {
        if (p is null || !Sessions.TryGetValue(p.SessionId ?? "", out var model))
        {
            throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"No loaded inference session '{p?.SessionId}'.");
        }

        string prompt;
        var renderedChat = false;
        if (p.Messages is { Count: > 0 })
        {
            if (p.Messages.Any(m => m?.Content is null))
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "Every chat message needs a role and a content (an empty string is a content).");
            }

            // Rendered on the template engine's own thread: a hostile template cannot hold the request dispatcher.
            var messages = p.Messages.Select(m => new ChatMessage(m.Role.ToString().ToLowerInvariant(), m.Content)).ToArray();
            var rendered = await model.RenderChatAsync(messages, cancellationToken).ConfigureAwait(false);
            prompt = rendered.Text;
            renderedChat = true;
        }
        else if (!string.IsNullOrEmpty(p.Prompt))
        {
            prompt = p.Prompt;
        }
        else
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "Give a prompt or messages.");
        }

        // What the client leaves out comes from the model's own defaults, as in the CLI.
        var options = model.Config.Defaults.Apply(new GenerationOptions
        {
            MaxNewTokens = p.MaxNewTokens ?? 256,
            Temperature = (float)(p.Temperature ?? 0),
            TopK = p.TopK ?? 0,
            TopP = (float)(p.TopP ?? 1),
            RepetitionPenalty = (float)(p.RepetitionPenalty ?? 1),
            Seed = p.Seed,
            StopStrings = p.Stop ?? [],
        }, p.Temperature is not null, p.TopK is not null, p.TopP is not null, p.RepetitionPenalty is not null);

        // Notifications are queued in order from the generating thread; each send awaits the previous one.
        var pending = Task.CompletedTask;
        var notifier = context.Notifier;
        var deviceBefore = model.Device;
        // The decode loop blocks its thread for the whole generation, so it gets a thread of its own. On the thread pool
        // (two threads to start with on two cores, and stdin's reads block one) the $/cancelRequest waited for the pool
        // to grow in one or two generations in 40: Stop then let 680-1,700 more tokens through (GenerationStopProcessTests).
        var result = await Task.Factory.StartNew(
            () => model.Generate(prompt, options, t =>
            {
                var args = new InferenceTokenParams(p.GenerationId, t.Text, t.TokenId);
                pending = pending.ContinueWith(_ => notifier.NotifyAsync(InferenceMethods.Token, args), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            }, cancellationToken, renderedChat),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        await pending.ConfigureAwait(false);
        if (model.Device != deviceBefore)
        {
            // The playground shows the reason; the log keeps it for a bug report after the panel is closed.
            _log.LogWarning("inference/generate {SessionId}: the model moved from {Before} to {After}: {Reason}", p.SessionId, deviceBefore, model.Device, model.Reason);
        }

        return new InferenceGenerateResult(result.Text, result.TokenIds, result.PromptTokens, result.TokenIds.Count, result.TokensPerSecond,
            result.StopReason, model.Device, model.Reason);
    }

    private static DevicePolicyKind PolicyOf(DevicePolicyKind? policy) => policy ?? DevicePolicyKind.Auto;

    [JsonRpcMethod(InferenceMethods.Unload, UseSingleObjectParameterDeserialization = true)]
    public InferenceUnloadResult Unload(InferenceUnloadParams p)
    {
        if (p is null || !Sessions.TryRemove(p.SessionId ?? "", out var model))
        {
            throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"No loaded inference session '{p?.SessionId}'.");
        }

        model.Dispose();
        return new InferenceUnloadResult();
    }
}
