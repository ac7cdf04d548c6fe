using System.CommandLine;
using ModelIde.Core;
using ModelIde.Core.Auth;

namespace ModelIde.Cli;

/// <summary>
/// <c>--allow-http HOST</c>, on the commands that send a token (<see cref="PlainHttpOptions"/>): adds HOST to MODELIDE_ALLOW_HTTP_HOSTS for this run, where Core's
/// <see cref="PlainHttpPolicy"/> reads the hosts a token may be sent to over plain http (so it covers the API client,
/// sign-in, refresh, clone and slurmrestd alike), and makes the policy's refusals name this flag.
/// </summary>
internal sealed class CliPlainHttpOptIn : IDisposable
{
    public const string Name = "--allow-http";

    private const string Hint = "pass " + Name + " {host} (or set " + PlainHttpPolicy.EnvironmentVariable + ")";

    private readonly string? _hostsBefore;
    private readonly string? _hintBefore;

    private CliPlainHttpOptIn(string? hostsBefore, string? hintBefore)
    {
        _hostsBefore = hostsBefore;
        _hintBefore = hintBefore;
    }

    public static Option<string[]> CreateOption() => CliOptions.Repeatable(Name, "HOST",
        "send the token over plain http to this host (host or host:port; repeatable), only on a network you trust; this machine is always allowed");

    /// <summary>
    /// For a command with the option, sets the variables for this run; disposing puts back what was there (tests run
    /// commands in one process). Other commands (<c>serve</c>: the extension passes its own hint) are left alone.
    /// </summary>
    public static CliPlainHttpOptIn? Apply(ParseResult parse)
    {
        if (parse.CommandResult.Command.Options.OfType<Option<string[]>>().FirstOrDefault(o => o.Name == Name) is not { } option)
        {
            return null;
        }

        string[] hosts = parse.GetValue(option) ?? [];
        var hostsBefore = Environment.GetEnvironmentVariable(PlainHttpPolicy.EnvironmentVariable);
        var hintBefore = Environment.GetEnvironmentVariable(PlainHttpPolicy.OptInHintVariable);
        if (hosts.Length > 0)
        {
            try
            {
                _ = new PlainHttpPolicy(hosts);
            }
            catch (ModelIdeException ex)
            {
                throw new CliUsageException($"{Name}: {ex.Message}");
            }

            Environment.SetEnvironmentVariable(PlainHttpPolicy.EnvironmentVariable, string.Join(',', new[] { hostsBefore }.Concat(hosts).Where(h => !string.IsNullOrWhiteSpace(h))));
        }

        // A hint set by whoever started this process wins.
        if (string.IsNullOrEmpty(hintBefore))
        {
            Environment.SetEnvironmentVariable(PlainHttpPolicy.OptInHintVariable, Hint);
        }

        return new CliPlainHttpOptIn(hostsBefore, hintBefore);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PlainHttpPolicy.EnvironmentVariable, _hostsBefore);
        Environment.SetEnvironmentVariable(PlainHttpPolicy.OptInHintVariable, _hintBefore);
    }
}

/// <summary><c>--allow-http</c> for a command that sends a token; <see cref="CliApp"/> applies it before the command runs.</summary>
public sealed class PlainHttpOptions : CliOptionGroup
{
    private readonly Option<string[]> _allowHttp = CliPlainHttpOptIn.CreateOption();

    public override IEnumerable<Option> Options => [_allowHttp];
}
