using System.Diagnostics;

namespace ModelIde.Cli.Tests.CommandLine;

/// <summary>The command line itself: help, --version, the one error format and the exit codes of README's table.</summary>
public sealed class CommandLineTests
{
    private static async Task<CliResult> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await CliApp.RunAsync(args, new CliConsole(o, e), CancellationToken.None);
        return new CliResult(code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task No_command_lists_every_command_on_stdout_and_exits_2_while_help_exits_0()
    {
        var bare = await RunAsync();
        Assert.Equal(ExitCodes.Usage, bare.Code);
        foreach (var command in new[] { "clone", "completion", "devices", "download", "finetune", "hub", "infer", "jobs", "login", "logout", "models", "serve", "whoami" })
        {
            Assert.Contains($"\n  {command} ", bare.Out, StringComparison.Ordinal);
        }

        foreach (var args in new[] { new[] { "--help" }, ["-h"], ["help"] })
        {
            var help = await RunAsync(args);
            Assert.Equal(ExitCodes.Success, help.Code);
            Assert.Equal(bare.Out, help.Out);
            Assert.Equal(string.Empty, help.Err);
        }
    }

    [Fact]
    public void The_catalog_lists_every_top_level_command_in_the_assembly()
    {
        // The catalog is a hand-kept list (the native build cannot scan the assembly): a command left out of it would
        // silently not exist.
        var declared = typeof(CliCommand).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, IsNested: false } && t.IsSubclassOf(typeof(CliCommand)))
            .Select(t => t.Name).Order(StringComparer.Ordinal);
        var listed = CliCommandCatalog.Create().Select(c => c.GetType().Name).Order(StringComparer.Ordinal);
        Assert.Equal(declared, listed);
        // A command line that names a command builds that command alone, found by the catalog's name for it.
        Assert.Equal(CliCommandCatalog.Create().Select(c => c.Name), CliCommandCatalog.Names);
        Assert.All(CliCommandCatalog.Names, name => Assert.Equal(name, CliCommandCatalog.Create(name)!.Name));
        Assert.Null(CliCommandCatalog.Create("downlod"));
    }

    [Fact]
    public async Task Command_help_is_generated_from_the_options_and_ends_with_the_commands_notes()
    {
        var help = await RunAsync("download", "--help");
        Assert.Equal(ExitCodes.Success, help.Code);
        Assert.Contains("modelide download <OWNER/NAME> [options]", help.Out, StringComparison.Ordinal);
        foreach (var option in new[] { "--revision <R>", "--include <GLOB>", "--cache-dir <DIR>", "--quiet", "--endpoint <URL>", "--token <TOKEN>" })
        {
            Assert.Contains(option, help.Out, StringComparison.Ordinal);
        }

        Assert.Contains("MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS", help.Out, StringComparison.Ordinal);
        Assert.Equal(help.Out, (await RunAsync("help", "download")).Out);
        // Help is shown even when required arguments are missing.
        Assert.Equal(ExitCodes.Success, (await RunAsync("jobs", "logs", "-h")).Code);
    }

    [Fact]
    public async Task Version_prints_the_informational_version_of_the_build()
    {
        var r = await RunAsync("--version");
        Assert.Equal(ExitCodes.Success, r.Code);
        var expected = typeof(CliApp).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal(expected, r.Out.Trim());
    }

    [Theory]
    [InlineData(new[] { "bogus" }, "modelide: Unrecognized command or argument 'bogus'.", "modelide --help")]
    [InlineData(new[] { "models" }, "modelide models: Missing a subcommand: list or files.", "modelide models --help")]
    [InlineData(new[] { "models", "list", "--bogus" }, "modelide models list: Unknown option: --bogus.", "modelide models list --help")]
    [InlineData(new[] { "download", "--quiet" }, "modelide download: Required argument 'OWNER/NAME' missing for command: 'download'.", "modelide download --help")]
    [InlineData(new[] { "models", "list", "--page-size", "51" }, "modelide models list: --page-size must be a whole number from 1 to 50, not '51'.", "modelide models list --help")]
    [InlineData(new[] { "finetune", "submit", "--epochs", "many" }, "modelide finetune submit: --epochs must be a number, not 'many'.", "modelide finetune submit --help")]
    [InlineData(new[] { "models", "list", "--sort", "stars" }, "modelide models list: --sort must be default, downloads, likes or last_modified, not 'stars'.", "modelide models list --help")]
    [InlineData(new[] { "infer", "--prompt", "x" }, "modelide infer: --model DIR is required.", "modelide infer --help")]
    [InlineData(new[] { "jobs", "list", "--slurm-rest", "http://127.0.0.1:9" }, "modelide jobs list: --slurm-rest needs --slurm-rest-user and --slurm-jwt-file", "modelide jobs list --help")]
    public async Task Usage_errors_name_the_command_say_what_is_wrong_and_exit_2(string[] args, string message, string hint)
    {
        var r = await RunAsync(args);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Equal(string.Empty, r.Out);
        var lines = r.Err.TrimEnd().Split('\n');
        Assert.StartsWith(message, lines[0], StringComparison.Ordinal);
        Assert.Equal($"Run '{hint}' for usage.", lines[^1]);
    }

    [Fact]
    public async Task Values_after_a_double_dash_and_option_values_that_start_with_dashes_are_not_unknown_options()
    {
        var r = await RunAsync("finetune", "submit", "--backend", "ssh://a@h", "--model", "m", "--dataset", "d", "--swift-arg=--save_steps", "--swift-arg", "50", "--dry-run");
        Assert.True(r.Code == ExitCodes.Success, r.Err);
        Assert.Contains(" --save_steps 50", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_id_the_core_refuses_is_a_usage_error_and_a_failed_job_dry_run_too()
    {
        var bad = await RunAsync("models", "files", "../../etc", "--endpoint", "http://127.0.0.1:9");
        Assert.Equal(ExitCodes.Usage, bad.Code);
        Assert.StartsWith("modelide models files: '../../etc' is not a model id", bad.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hub_that_cannot_be_reached_is_a_failure_exit_1_with_the_reason()
    {
        var r = await RunAsync("models", "list", "--endpoint", "http://127.0.0.1:9");
        Assert.Equal(ExitCodes.Failure, r.Code);
        Assert.StartsWith("modelide models list: ", r.Err, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completion_scripts_are_printed_for_bash_zsh_and_pwsh_only()
    {
        foreach (var shell in new[] { "bash", "zsh", "pwsh" })
        {
            var r = await RunAsync("completion", shell);
            Assert.Equal(ExitCodes.Success, r.Code);
            Assert.Contains("[suggest:", r.Out, StringComparison.Ordinal);
        }

        var fish = await RunAsync("completion", "fish");
        Assert.Equal(ExitCodes.Usage, fish.Code);
        Assert.Contains("'fish' not recognized", fish.Err, StringComparison.Ordinal);
    }

    [Theory]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    [InlineData("modelide models li", "list")]
    [InlineData("modelide download --inc", "--include")]
    [InlineData("modelide completion ", "--help -h bash pwsh zsh")]
    [InlineData("modelide models list --sort d", "default downloads")]
    [InlineData("./modelide jobs tr", "trust-host")]
    [InlineData("modelide models list --owner x --pa", "--page --page-size")]
    public async Task Bash_completion_asks_modelide_what_comes_next(string line, string expected)
    {
        // A `modelide` on PATH (and in the working folder, for ./modelide); bash runs what `modelide completion bash` prints.
        var bin = Directory.CreateTempSubdirectory("modelide-completion-").FullName;
        try
        {
            var shim = Path.Combine(bin, "modelide");
            await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "modelide.dll")}' \"$@\"\n");
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var script = """
                eval "$(modelide completion bash)"
                read -r -a COMP_WORDS <<< "$LINE"
                case "$LINE" in *" ") COMP_WORDS+=("");; esac
                COMP_LINE="$LINE"; COMP_POINT=${#LINE}; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                _modelide_complete
                printf '%s\n' "${COMPREPLY[@]}"
                """;
            var psi = new ProcessStartInfo("bash", ["--noprofile", "--norc", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = bin };
            psi.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            psi.Environment["LINE"] = line;

            var r = await CliProcess.RunAsync(psi);
            Assert.True(r.Code == 0, r.Err);
            Assert.Equal(expected.Split(' '), r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }
}
