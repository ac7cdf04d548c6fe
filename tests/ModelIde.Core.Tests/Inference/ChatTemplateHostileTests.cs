using System.Diagnostics;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

/// <summary>
/// Templates built to take the process down (issue 19.3): each one ends in a fallback with a reason, in bounded time,
/// and the test process (which would die of a stack overflow) is still here afterwards.
/// </summary>
public sealed class ChatTemplateHostileTests
{
    private static readonly ChatMessage[] ThreeMessages = [new("system", "s"), new("user", "u"), new("assistant", "a")];

    // A low step cap so the loop cases end in a second or two; a time cap far above it, so on a loaded machine each case
    // still ends at the cap it is about (the time cap has its own test through cancellation and the sidecar tests).
    private static readonly ChatTemplateLimits Quick = new() { MaxTime = TimeSpan.FromSeconds(60), MaxStatements = 2_000_000 };

    public static string NestedIfs(int depth) =>
        string.Concat(Enumerable.Repeat("{% if true %}", depth)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", depth));

    public static string NestedFors(int depth) =>
        string.Concat(Enumerable.Repeat("{% for m in messages %}", depth)) + "{{ m.content }}" + string.Concat(Enumerable.Repeat("{% endfor %}", depth));

    [Fact]
    public async Task Two_hundred_thousand_nested_ifs_fall_back_without_parsing()
    {
        var template = NestedIfs(200_000);
        var watch = Stopwatch.StartNew();
        var rendered = await ChatTemplateRenderer.RenderAsync(template, ThreeMessages, ChatTemplateTokens.None);
        Assert.Contains("over the limit", rendered.FallbackReason);
        Assert.Equal(FallbackChatFormat.ChatMl(ThreeMessages, true), rendered.Text);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Nesting_deeper_than_the_cap_but_inside_the_size_limit_stops_at_the_depth_cap_not_a_stack_overflow()
    {
        // 600 levels (14 KB): under the size cap, so the parser really recurses (several calls a level) until the depth
        // cap stops it. The caller's thread has a 1 MB-class stack; this recursion ran where that would have overflowed.
        var template = NestedIfs(600);
        Assert.True(template.Length < ChatTemplateLimits.Default.MaxTemplateChars);
        var rendered = await ChatTemplateRenderer.RenderAsync(template, ThreeMessages, ChatTemplateTokens.None,
            limits: Quick);
        Assert.True(rendered.FallbackReason?.Contains("nests deeper than", StringComparison.Ordinal), rendered.FallbackReason);
    }

    [Fact]
    public async Task Forty_nested_fors_over_three_messages_stop_at_a_cap()
    {
        var rendered = await ChatTemplateRenderer.RenderAsync(NestedFors(40), ThreeMessages, ChatTemplateTokens.None, limits: Quick);
        Assert.Matches("ran more than|allocated more than", rendered.FallbackReason);
    }

    [Theory]
    [InlineData("{{ 'x' | indent(1000000000, true) }}", "over the limit")]
    [InlineData("{{ messages | tojson(indent=1000000000) }}", "over the limit")]
    [InlineData("{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}", "allocated more than|over the limit")]
    [InlineData("{% for i in range(1000000000) %}{% endfor %}", "Range too big")]
    public async Task Templates_that_build_huge_strings_or_ranges_stop_at_a_cap(string template, string reason)
    {
        var rendered = await ChatTemplateRenderer.RenderAsync(template, ThreeMessages, ChatTemplateTokens.None,
            limits: Quick with { MaxAllocatedBytes = 64L * 1024 * 1024 });
        Assert.NotNull(rendered.FallbackReason);
        Assert.Matches(reason, rendered.FallbackReason);
    }

    [Fact]
    public async Task Cancelling_a_render_returns_promptly_and_frees_the_engine_for_the_next_one()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var endless = ChatTemplateLimits.Default with { MaxStatements = int.MaxValue, MaxTime = TimeSpan.FromMinutes(5) };
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ChatTemplateRenderer.RenderAsync(NestedFors(40), ThreeMessages, ChatTemplateTokens.None, limits: endless, cancellationToken: cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");

        // The cancelled render stopped inside the engine, so the next one is not queued behind a 5-minute loop.
        var next = await ChatTemplateRenderer.RenderAsync("{{ messages[1].content }}", ThreeMessages, ChatTemplateTokens.None, limits: endless);
        Assert.Equal("u", next.Text);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Real_templates_render_with_a_fifth_of_every_cap()
    {
        // Headroom: the shipped caps are at least five times what the largest real template in the fixtures needs.
        var d = ChatTemplateLimits.Default;
        var tight = d with { MaxRecursion = d.MaxRecursion / 5, MaxStatements = d.MaxStatements / 5, MaxAllocatedBytes = d.MaxAllocatedBytes / 5 };
        var dir = Path.Combine(AppContext.BaseDirectory, "Inference", "Fixtures", "chat-templates");
        var messages = Enumerable.Range(0, 20).Select(i => new ChatMessage(i % 2 == 0 ? "user" : "assistant", new string('w', 2000) + i)).ToArray();
        var tokens = new ChatTemplateTokens(new Dictionary<string, string> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" }, new HashSet<string>());
        foreach (var file in Directory.GetFiles(dir, "*.jinja"))
        {
            var rendered = await ChatTemplateRenderer.RenderAsync(File.ReadAllText(file), messages, tokens, limits: tight);
            Assert.True(rendered.FallbackReason is null, $"{Path.GetFileName(file)}: {rendered.FallbackReason}");
        }
    }
}
