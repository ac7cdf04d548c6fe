namespace ModelIde.Core.Tests.Fuzz;

/// <summary>Records how many cases a fuzz test ran, so CI prints the counts (see scripts/test.d/10-dotnet.sh).</summary>
internal static class FuzzLog
{
    public static void Record(string name, int cases, int seed)
    {
        var dir = Environment.GetEnvironmentVariable("MODELIDE_ARTIFACTS");
        if (string.IsNullOrEmpty(dir))
        {
            return;
        }

        Directory.CreateDirectory(dir);
        File.AppendAllText(Path.Combine(dir, "fuzz-counts.txt"), $"{name}: {cases} cases (seed {seed})\n");
    }

    /// <summary>Seed from MODELIDE_FUZZ_SEED to reproduce a failure, else a fixed default.</summary>
    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("MODELIDE_FUZZ_SEED"), out var s) ? s : 20261123;

    public static int Cases(int normal) =>
        int.TryParse(Environment.GetEnvironmentVariable("MODELIDE_FUZZ_CASES"), out var n) ? n : normal;
}
