using System.Diagnostics;
using System.Text;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Inference;

namespace ModelIde.Sidecar.Tests.Fuzz;

/// <summary>
/// Seeded random chat templates (nested ifs and fors, ranges, self-recursive macros, growing strings, wide filters, big
/// literals, broken syntax) loaded into the real sidecar process and rendered by a chat request, while the test pings:
/// every ping is answered within 1 s, every request ends, and the process stays up. Time-boxed for CI.
/// </summary>
[Collection(PingLatencyCollection.Name)]
public sealed class ChatTemplateFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("MODELIDE_FUZZ_SECONDS"), out var s) ? s : 45);

    [Fact]
    public async Task Random_templates_never_stop_the_sidecar_answering_ping()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MODELIDE_FUZZ_SEED"), out var v) ? v : 20261123;
        var random = new Random(seed);
        using var sidecar = HostileChatTemplateTests.LiveSidecar.Start();
        await sidecar.Rpc.InvokeAsync<PingResult>(SidecarMethods.Ping); // compiles the ping path before anything is measured
        var watch = Stopwatch.StartNew();
        var cases = 0;
        var slowest = TimeSpan.Zero;
        var outcomes = new Dictionary<string, int>();
        while (watch.Elapsed < Budget || cases < 3)
        {
            var template = RandomTemplate(random, depth: 0);
            var model = HostileChatTemplateTests.ModelWithTemplate(template);
            try
            {
                var load = await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
                    new InferenceLoadParams(model, DevicePolicyKind.PreferCpu, Threads: 1));
                var generate = sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                    new InferenceGenerateParams(load.SessionId, $"g{cases}", Messages: [new(ChatRole.System, "s"), new(ChatRole.User, "hi"), new(ChatRole.Assistant, "a")], MaxNewTokens: 1));
                var (slow, _) = await sidecar.PingWhileAsync(generate);
                slowest = slow > slowest ? slow : slowest;
                string outcome;
                try
                {
                    outcome = (await generate).StopReason.ToString();
                }
                catch (StreamJsonRpc.RemoteInvocationException e)
                {
                    // A template may refuse the messages (raise_exception) or render text the model cannot take: an error, not a crash.
                    outcome = "error";
                    output.WriteLine($"case {cases}: {e.Message}");
                }

                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                Assert.True(slow < TimeSpan.FromSeconds(1), $"case {cases} (seed {seed}): a ping took {slow.TotalMilliseconds:F0} ms; template: {Preview(template)}");
                await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceUnloadResult>(InferenceMethods.Unload, new InferenceUnloadParams(load.SessionId));
            }
            finally
            {
                Directory.Delete(model, recursive: true);
            }

            Assert.False(sidecar.Process.HasExited, $"case {cases} (seed {seed}) took the sidecar down; template: {Preview(template)}");
            cases++;
        }

        output.WriteLine($"{cases} templates, slowest ping {slowest.TotalMilliseconds:F0} ms, outcomes {string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}"))}");
        var artifacts = Environment.GetEnvironmentVariable("MODELIDE_ARTIFACTS");
        if (!string.IsNullOrEmpty(artifacts))
        {
            Directory.CreateDirectory(artifacts);
            File.AppendAllText(Path.Combine(artifacts, "fuzz-counts.txt"), $"chat templates in the sidecar: {cases} cases (seed {seed})\n");
        }
    }

    private static string Preview(string template) => template.Length <= 300 ? template : template[..300] + $"... ({template.Length} chars)";

    private static string RandomTemplate(Random r, int depth)
    {
        if (depth > 6 || r.Next(4) == 0)
        {
            return Leaf(r);
        }

        var inner = RandomTemplate(r, depth + 1);
        return r.Next(10) switch
        {
            0 => Repeat("{% if true %}", r.Next(1, 300_000)) + inner + Repeat("{% endif %}", r.Next(1, 300_000)),
            1 => Repeat("{% for m in messages %}", r.Next(1, 60)) + inner + Repeat("{% endfor %}", r.Next(1, 60)),
            2 => $"{{% for i in range({r.Next(0, 2_000_000)}) %}}{inner}{{% endfor %}}",
            3 => "{% macro f(n) %}{{ f(n + 1) }}" + inner + "{% endmacro %}{{ f(0) }}",
            4 => $"{{% set ns = namespace(s='{new string('x', r.Next(1, 64))}') %}}{{% for i in range({r.Next(1, 64)}) %}}{{% set ns.s = ns.s + ns.s %}}{{% endfor %}}{inner}{{{{ ns.s | length }}}}",
            5 => $"{{{{ messages | tojson(indent={r.Next(0, 2_000_000_000)}) }}}}{inner}",
            6 => $"{{{{ '{new string('y', r.Next(0, 400_000))}' }}}}{inner}",
            7 => inner + Repeat("{{ (", r.Next(1, 50_000)) + "1" + Repeat(") }}", r.Next(0, 50_000)),
            8 => "{% for m in messages %}{% if m.role == 'user' %}" + inner + "{% else %}{{ m.content | indent(" + r.Next(0, 1_000_000_000) + ", true) }}{% endif %}{% endfor %}",
            _ => $"{{% if messages | length > {r.Next(0, 5)} %}}{{{{ raise_exception('refused {r.Next()}') }}}}{{% endif %}}{inner}",
        };
    }

    private static string Leaf(Random r) => r.Next(4) switch
    {
        0 => "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
        1 => "{{ messages[0].content | upper }}",
        2 => "{{ bos_token }}{{ messages[" + r.Next(-5, 5) + "].content }}",
        _ => "plain text " + r.Next(),
    };

    private static string Repeat(string s, int n)
    {
        var sb = new StringBuilder(s.Length * n);
        for (var i = 0; i < n; i++)
        {
            sb.Append(s);
        }

        return sb.ToString();
    }
}
