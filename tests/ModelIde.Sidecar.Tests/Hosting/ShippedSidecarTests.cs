using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using ModelIde.Sidecar.Hosting;

namespace ModelIde.Sidecar.Tests.Hosting;

/// <summary>modelide-sidecar, the host the VSIX ships: it leaves the local hub to the CLI and takes the CLI's arguments.</summary>
public sealed class ShippedSidecarTests
{
    [Fact]
    public void Sidecar_does_not_reference_the_local_hub_or_asp_net_core()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>([typeof(SidecarStdioHost).Assembly.GetName()]);
        while (pending.TryPop(out var name))
        {
            if (!seen.Add(name.Name!) || !name.Name!.StartsWith("ModelIde.", StringComparison.Ordinal) && name.Name != "modelide-sidecar")
            {
                continue;
            }

            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies())
            {
                pending.Push(reference);
            }
        }

        Assert.Contains("ModelIde.Core", seen);
        Assert.DoesNotContain(seen, n => n == "ModelIde.Hub" || n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || n.StartsWith("OpenIddict", StringComparison.Ordinal) || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));

        // The runtime it asks for is .NET alone, not the ASP.NET Core shared framework.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modelide-sidecar.runtimeconfig.json")));
        var options = config.RootElement.GetProperty("runtimeOptions");
        var frameworks = options.TryGetProperty("frameworks", out var list) ? list.EnumerateArray().ToArray() : [options.GetProperty("framework")];
        Assert.Equal(["Microsoft.NETCore.App"], frameworks.Select(f => f.GetProperty("name").GetString()));
    }

    [Theory]
    [InlineData("--endpoint http://127.0.0.1:8765 --clientProcessId 42 --log-level debug")]
    [InlineData("serve --endpoint http://127.0.0.1:8765 --clientProcessId 42 --log-level debug")]
    public void Takes_the_command_line_of_modelide_serve(string commandLine)
    {
        Assert.True(SidecarCommandLine.TryParse(commandLine.Split(' '), out var options, out var error), error);
        Assert.Equal(new SidecarOptions("http://127.0.0.1:8765", 42, "debug"), options);
    }

    [Theory]
    [InlineData("--clientProcessId x", "--clientProcessId must be a process id")]
    [InlineData("--endpoint", "--endpoint needs a value")]
    [InlineData("--hub 1", "unknown option '--hub'")]
    public void Refuses_a_bad_command_line(string commandLine, string message)
    {
        Assert.False(SidecarCommandLine.TryParse(commandLine.Split(' '), out _, out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Prints_its_version()
    {
        using var p = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "modelide-sidecar.dll"), "--version"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var version = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(ModelIde.Sidecar.Rpc.SidecarRpcTarget.Version, version);
    }
}
