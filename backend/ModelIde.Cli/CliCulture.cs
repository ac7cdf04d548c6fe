namespace ModelIde.Cli;

/// <summary>
/// Which commands run without the ICU culture data. Loading ICU (libicuuc, libicui18n and their 30 MB of data, dlopen
/// with relocations, after probing some hundred file names for its version) is 8-9 ms of a native command's 26 ms
/// start on the reference machine, and it happens on first use of any culture, which the console's set-up alone makes.
/// The commands listed here do no linguistic text work: what they print and parse goes through the invariant culture
/// (CultureInfo.InvariantCulture throughout the CLI) and they compare strings ordinally, so .NET's invariant mode
/// changes nothing they do. The others keep ICU: <c>infer</c> normalizes prompts to NFC (invariant mode would
/// leave them as typed), <c>serve</c> switches the sidecar to the editor's locale, <c>hub</c> and <c>login</c> were not
/// reviewed for it and gain nothing that matters. A command not listed keeps ICU, so a new one is never wrong, only slower.
/// </summary>
public static class CliCulture
{
    /// <summary>Top-level commands that run in invariant mode (a plain array: this runs before anything else, once).</summary>
    public static IReadOnlyList<string> CommandsWithoutCultureData { get; } =
        ["clone", "completion", "devices", "download", "finetune", "gpu", "jobs", "logout", "models", "whoami"];

    /// <summary>Whether the command line <paramref name="args"/> runs without ICU (its first word names a listed command).</summary>
    public static bool RunsInvariant(string[] args) => args is [var first, ..] && CommandsWithoutCultureData.Contains(first, StringComparer.Ordinal);

    /// <summary>
    /// Turns on invariant mode for a listed command, unless DOTNET_SYSTEM_GLOBALIZATION_INVARIANT says otherwise. Must
    /// run before anything touches a culture: .NET reads the switch once, when culture data is first needed.
    /// </summary>
    public static void Apply(string[] args)
    {
        if (RunsInvariant(args) && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT") is null)
        {
            AppContext.SetSwitch("System.Globalization.Invariant", true);
        }
    }
}
