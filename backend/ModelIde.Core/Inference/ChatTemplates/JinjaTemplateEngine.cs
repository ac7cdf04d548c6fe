using Jint;
using Jint.Native;
using Jint.Runtime;

namespace ModelIde.Core.Inference;

/// <summary>
/// Runs @huggingface/jinja (Hugging Face's Jinja for chat templates, embedded at build time from npm) inside Jint, on a
/// dedicated worker thread with a large stack, under Jint's caps on recursion, statements, allocation and time, plus
/// cancellation. Nothing a template does reaches the caller's thread: the caller awaits a task, and a render that does
/// not end on its own within the time cap (plus a grace period) is abandoned together with its worker.
/// </summary>
internal static class JinjaTemplateEngine
{
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(5);
    private static readonly Lock WorkerLock = new();
    private static RenderWorker? _worker;

    // Parsing the 115 KB library takes a while on a cold process; it is done once and shared by every engine.
    private static readonly Lazy<(Prepared<Acornima.Ast.Module> Jinja, Prepared<Acornima.Ast.Module> Host)> Modules = new(() =>
        (Engine.PrepareModule(ReadResource("jinja.js"), "jinja"), Engine.PrepareModule(ReadResource("render-host.js"), "host")));

    internal sealed record Outcome(string? Text, string? Failure, string? Raised);

    /// <summary>
    /// Starts the worker, which parses the library first, so the first chat does not pay for it. Everything the engine
    /// does, this included, stays on the worker's own thread: none of it occupies the thread pool the RPC layer runs on.
    /// </summary>
    public static void WarmUp()
    {
        lock (WorkerLock)
        {
            _worker ??= new RenderWorker();
        }
    }

    public static async Task<Outcome> RenderAsync(string template, string contextJson, ChatTemplateLimits limits, CancellationToken cancellationToken)
    {
        var job = new RenderJob(template, contextJson, limits, cancellationToken);
        RenderWorker worker;
        lock (WorkerLock)
        {
            worker = _worker ??= new RenderWorker();
            worker.Post(job);
        }

        try
        {
            // The engine stops itself on every cap; this only guards against a native call that never returns.
            var allowance = Modules.IsValueCreated ? TimeSpan.Zero : TimeSpan.FromSeconds(60);
            return await job.Done.Task.WaitAsync(limits.MaxTime + AbandonGrace + allowance, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (WorkerLock)
            {
                if (_worker == worker)
                {
                    _worker = null;
                    worker.Abandon();
                }
            }

            return new Outcome(null, $"it did not finish within {limits.MaxTime.TotalSeconds:0.#} s", null);
        }
    }

    private sealed record RenderJob(string Template, string ContextJson, ChatTemplateLimits Limits, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<Outcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// One thread and one Jint engine reused across renders (building an engine and linking the library costs far more
    /// than a render). The engine is rebuilt after any render that a cap stopped, since that render ended mid-call.
    /// </summary>
    private sealed class RenderWorker
    {
        // Deep templates recurse through Jint's interpreter; the cap on JavaScript depth is what stops them, and this
        // stack is large enough that the cap, not a stack overflow (which kills the process), is always hit first.
        private const int StackBytes = 256 * 1024 * 1024;
        private readonly System.Collections.Concurrent.BlockingCollection<RenderJob> _jobs = new();
        private readonly SwitchableCancellation _cancellation = new();
        private Engine? _engine;
        private ChatTemplateLimits? _engineLimits;

        public RenderWorker()
        {
            new Thread(Run, StackBytes) { IsBackground = true, Name = "chat template render" }.Start();
        }

        public void Post(RenderJob job) => _jobs.Add(job);

        public void Abandon() => _jobs.CompleteAdding();

        private void Run()
        {
            _ = Modules.Value;
            foreach (var job in _jobs.GetConsumingEnumerable())
            {
                job.Done.TrySetResult(job.CancellationToken.IsCancellationRequested
                    ? new Outcome(null, "the render was cancelled", null)
                    : Render(job));
            }

            _engine?.Dispose();
        }

        private Outcome Render(RenderJob job)
        {
            var limits = job.Limits;
            var clean = false;
            try
            {
                var engine = EngineFor(limits);
                _cancellation.Token = job.CancellationToken;
                engine.SetValue("__template", job.Template);
                engine.SetValue("__context", job.ContextJson);
                engine.SetValue("__maxString", limits.MaxOutputChars(job.ContextJson.Length));
                // Evaluate resets the constraints, so the caps measure this render alone.
                var result = engine.Evaluate("__configure(__maxString); __render(__template, __context)");
                clean = true;
                return result is JsString s ? new Outcome(s.ToString(), null, null) : new Outcome(null, $"it produced {result.Type}, not text", null);
            }
            catch (JavaScriptException e) when (ErrorName(e) == "TemplateRaised")
            {
                clean = true;
                return new Outcome(null, null, e.Message);
            }
            catch (JavaScriptException e)
            {
                clean = true;
                return new Outcome(null, $"{ErrorName(e) ?? "error"}: {Shorten(e.Message)}", null);
            }
            catch (RecursionDepthOverflowException)
            {
                return new Outcome(null, $"it nests deeper than {limits.MaxRecursion:N0} levels", null);
            }
            catch (StatementsCountOverflowException)
            {
                return new Outcome(null, $"it ran more than {limits.MaxStatements:N0} steps", null);
            }
            catch (MemoryLimitExceededException)
            {
                return new Outcome(null, $"it allocated more than {limits.MaxAllocatedBytes / (1024 * 1024):N0} MB", null);
            }
            catch (TimeoutException)
            {
                return new Outcome(null, $"it did not finish within {limits.MaxTime.TotalSeconds:0.#} s", null);
            }
            catch (Exception e) when (e is ExecutionCanceledException or OperationCanceledException)
            {
                return new Outcome(null, "the render was cancelled", null);
            }
            catch (Exception e) when (e is JintException or InvalidOperationException or InsufficientExecutionStackException
                                          or OutOfMemoryException or System.Text.RegularExpressions.RegexMatchTimeoutException or ArgumentException)
            {
                // Any other failure inside the engine ends this render only; the reason names the kind, not a stack trace.
                return new Outcome(null, $"{e.GetType().Name}: {Shorten(e.Message)}", null);
            }
            finally
            {
                _cancellation.Token = CancellationToken.None;
                if (!clean)
                {
                    _engine?.Dispose();
                    _engine = null;
                }
            }
        }

        private Engine EngineFor(ChatTemplateLimits limits)
        {
            if (_engine is not null && _engineLimits == limits)
            {
                return _engine;
            }

            _engine?.Dispose();
            _engine = null;
            var (jinja, host) = Modules.Value;
            var engine = new Engine(options =>
            {
                options.LimitRecursion(limits.MaxRecursion);
                options.MaxStatements(limits.MaxStatements);
                options.LimitMemory(limits.MaxAllocatedBytes);
                options.TimeoutInterval(limits.MaxTime);
                options.Constraint(_cancellation);
                options.Constraints.RegexTimeout = limits.MaxTime;
                options.DisableStringCompilation();
                options.Strict();
            });
            engine.Modules.Add("jinja", b => b.AddModule(jinja));
            engine.Modules.Add("host", b => b.AddModule(host));
            var exports = engine.Modules.Import("host");
            engine.SetValue("__configure", exports.Get("configure"));
            engine.SetValue("__render", exports.Get("render"));
            _engine = engine;
            _engineLimits = limits;
            return engine;
        }
    }

    /// <summary>Jint's cancellation constraint is fixed per engine; this one follows the render that is running.</summary>
    private sealed class SwitchableCancellation : Jint.Constraint
    {
        public CancellationToken Token { get; set; }

        public override void Check()
        {
            if (Token.IsCancellationRequested)
            {
                throw new ExecutionCanceledException();
            }
        }

        public override void Reset()
        {
        }
    }

    private static string? ErrorName(JavaScriptException e) =>
        e.Error is Jint.Native.Object.ObjectInstance o && o.Get("name") is JsString name ? name.ToString() : null;

    private static string Shorten(string message) => message.Length <= 200 ? message : message[..200] + "...";

    private static string ReadResource(string name)
    {
        using var stream = typeof(JinjaTemplateEngine).Assembly.GetManifestResourceStream($"ModelIde.Core.Inference.ChatTemplates.{name}")
            ?? throw new InvalidOperationException($"The chat template engine resource {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
