namespace ModelIde.Cli.Tests.Launcher;

/// <summary>
/// ./modelide rebuilds .build/cli/modelide.dll (and the native CLI) when a source is newer. The launcher tests share one build,
/// made here before the first of them (scripts/test.d/10-dotnet.sh makes it before the run), so no test times a build.
/// </summary>
public sealed class LauncherBuild
{
    public LauncherBuild()
    {
        var psi = CliProcess.StartInfo(CliHost.Launcher, ["--version"]);
        var r = CliProcess.RunAsync(psi, timeout: TimeSpan.FromMinutes(20)).GetAwaiter().GetResult();
        if (r.Code != 0)
        {
            throw new InvalidOperationException($"./modelide --version failed ({r.Code}): {r.Out}{r.Err}");
        }

        Version = r.Out.Trim();
    }

    /// <summary>What `./modelide --version` printed.</summary>
    public string Version { get; }
}

[CollectionDefinition(Name)]
public sealed class LauncherCollection : ICollectionFixture<LauncherBuild>
{
    public const string Name = "Launcher";
}
