using System.Diagnostics;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>
/// Asks a Python interpreter where its packages live (site.getsitepackages() and the user site), because the CUDA
/// wheels PyTorch installs (nvidia-cublas, nvidia-cudnn-cu13, ...) sit under site-packages/nvidia/*/lib.
/// </summary>
public static class PythonSitePackages
{
    private const string Script = "import site,sys\nfor p in list(getattr(site,'getsitepackages',lambda:[])())+[site.getusersitepackages()]: print(p)";

    /// <summary>The interpreter's package folders, or null with a note when it is absent, fails or does not answer in time.</summary>
    public static IReadOnlyList<string>? Ask(string interpreter, TimeSpan timeout, out string? note)
    {
        var start = new ProcessStartInfo(interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            note = $"{interpreter} could not be started ({e.Message})";
            return null;
        }

        using (process)
        {
            var output = new List<string>();
            var error = new List<string>();
            process.OutputDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (output) { output.Add(e.Data.Trim()); } } };
            process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (error) { error.Add(e.Data.Trim()); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.StandardInput.Close();
            if (!process.WaitForExit(timeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It ended between the timeout and the kill.
                }

                note = $"{interpreter} did not answer within {timeout.TotalSeconds:0.#} s";
                return null;
            }

            process.WaitForExit(); // drains the redirected streams
            if (process.ExitCode != 0)
            {
                var last = error.LastOrDefault();
                note = $"{interpreter} failed (exit {process.ExitCode}{(last is null ? "" : ": " + last)})";
                return null;
            }

            note = null;
            return output;
        }
    }

    /// <summary>python3 and python as the shell would find them on <paramref name="pathVariable"/>, each once.</summary>
    public static IReadOnlyList<string> OnPath(string? pathVariable, bool windows)
    {
        var found = new List<string>();
        if (string.IsNullOrEmpty(pathVariable))
        {
            return found;
        }

        string[] names = windows ? ["python3.exe", "python.exe"] : ["python3", "python"];
        foreach (var name in names)
        {
            foreach (var dir in pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    // Run it as found, not its link target: a venv's bin/python3 links to the system binary, and only
                    // started from the venv folder does it report the venv's site-packages. One per folder.
                    if (!found.Any(f => Path.GetDirectoryName(f) == dir.TrimEnd(Path.DirectorySeparatorChar)))
                    {
                        found.Add(Path.Combine(dir.TrimEnd(Path.DirectorySeparatorChar), name));
                    }

                    break;
                }
            }
        }

        return found;
    }
}
