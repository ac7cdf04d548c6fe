using System.CommandLine;

namespace ModelIde.Cli.Commands;

/// <summary>
/// <c>modelide completion bash|zsh|pwsh</c>: prints a script that makes the shell ask modelide itself what can come next
/// (System.CommandLine's <c>[suggest:POSITION]</c> directive), so completion always matches the installed version.
/// </summary>
public sealed class CompletionCommand() : CliCommand("completion", "Print a shell completion script (bash, zsh or pwsh).")
{
    private readonly Argument<string> _shell = new Argument<string>("SHELL") { Description = "bash, zsh or pwsh" }
        .AcceptOnlyFromAmong("bash", "zsh", "pwsh");

    public override string Notes => """
        bash:  eval "$(modelide completion bash)"      (in ~/.bashrc)
        zsh:   eval "$(modelide completion zsh)"       (in ~/.zshrc, after compinit)
        pwsh:  modelide completion pwsh | Out-String | Invoke-Expression   (in $PROFILE)
        """;

    public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        console.Out.Write(parse.GetValue(_shell) switch
        {
            "bash" => Bash,
            "zsh" => Zsh,
            _ => PowerShell,
        });
        return Task.FromResult(ExitCodes.Success);
    }

    // Each script replaces the first word (modelide, ./modelide, a full path) with "modelide", the root command's name,
    // and moves the cursor position by the difference, then runs that first word with [suggest:POSITION] LINE.
    private const string Bash = """
        # modelide completion for bash: eval "$(modelide completion bash)"
        _modelide_complete() {
            local first=${COMP_WORDS[0]}
            local line="modelide${COMP_LINE:${#first}}"
            local point=$(( COMP_POINT - ${#first} + 8 ))
            local IFS=$'\n'
            local candidates
            candidates=$("$first" "[suggest:$point]" "$line" 2>/dev/null) || return 0
            COMPREPLY=( $(compgen -W "$candidates" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _modelide_complete modelide ./modelide

        """;

    private const string Zsh = """
        # modelide completion for zsh: eval "$(modelide completion zsh)" after compinit
        _modelide_complete() {
            local first=${words[1]}
            local line="modelide${BUFFER:${#first}}"
            local point=$(( CURSOR - ${#first} + 8 ))
            local -a candidates
            candidates=("${(@f)$("$first" "[suggest:$point]" "$line" 2>/dev/null)}")
            compadd -- "${candidates[@]}"
        }
        compdef _modelide_complete modelide ./modelide

        """;

    private const string PowerShell = """
        # modelide completion for PowerShell: modelide completion pwsh | Out-String | Invoke-Expression
        Register-ArgumentCompleter -Native -CommandName modelide, ./modelide -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $first = $commandAst.CommandElements[0].Extent.Text
            $text = $commandAst.Extent.Text
            $line = 'modelide' + $text.Substring($first.Length)
            $point = $cursorPosition - $commandAst.Extent.StartOffset - $first.Length + 8
            & $first "[suggest:$point]" $line 2>$null | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }

        """;
}
