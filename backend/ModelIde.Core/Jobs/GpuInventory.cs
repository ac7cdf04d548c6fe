using System.Globalization;

namespace ModelIde.Core.Jobs;

/// <summary>One GPU as nvidia-smi lists it, with its current use.</summary>
public sealed record GpuInfo(int Index, string Name, int MemoryTotalMiB, int MemoryUsedMiB, int UtilizationPercent)
{
    /// <summary>Someone else's work is on it: more than 1 GiB of memory in use, or the GPU more than 10 % busy.</summary>
    public bool IsBusy => MemoryUsedMiB > 1024 || UtilizationPercent > 10;
}

/// <summary>
/// The GPUs of an SSH host (<c>nvidia-smi --query-gpu=... --format=csv,noheader,nounits</c>) and which of them a job
/// gets: ms-swift starts one process per GPU only when NPROC_PER_NODE is set, and a process that sees several GPUs
/// spreads the model over all of them, so every job names its GPUs in CUDA_VISIBLE_DEVICES.
/// </summary>
public static class GpuInventory
{
    public const string Query = "nvidia-smi --query-gpu=index,name,memory.total,memory.used,utilization.gpu --format=csv,noheader,nounits";

    public static IReadOnlyList<GpuInfo> Parse(string csv)
    {
        var gpus = new List<GpuInfo>();
        foreach (var raw in csv.Split('\n'))
        {
            var cells = raw.Split(',').Select(c => c.Trim()).ToArray();
            if (cells.Length < 5 || !int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
            {
                continue;
            }

            gpus.Add(new GpuInfo(index, cells[1], Int(cells[2]), Int(cells[3]), Int(cells[4])));
        }

        return gpus;
    }

    /// <summary>The <paramref name="count"/> least busy GPUs (idle first, then least memory used), lowest index first.</summary>
    public static IReadOnlyList<int> PickLeastBusy(IReadOnlyList<GpuInfo> gpus, int count, string host)
    {
        if (count <= 0)
        {
            return [];
        }

        if (gpus.Count < count)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"The job asks for {count.ToString(CultureInfo.InvariantCulture)} GPUs but {host} has {gpus.Count.ToString(CultureInfo.InvariantCulture)}{(gpus.Count == 0 ? " (nvidia-smi lists none)" : ": " + Describe(gpus))}.");
        }

        return gpus.OrderBy(g => g.IsBusy).ThenBy(g => g.MemoryUsedMiB / 1024).ThenBy(g => g.UtilizationPercent).ThenBy(g => g.Index)
            .Take(count).Select(g => g.Index).Order().ToArray();
    }

    /// <summary>Checks named GPUs against the host's list; returns warnings for busy ones.</summary>
    public static IReadOnlyList<string> CheckChosen(IReadOnlyList<GpuInfo> gpus, IReadOnlyList<int> indices, string host)
    {
        if (gpus.Count == 0)
        {
            return [$"nvidia-smi lists no GPU on {host}: GPUs {string.Join(",", indices)} were not checked."];
        }

        var missing = indices.Where(i => gpus.All(g => g.Index != i)).ToArray();
        if (missing.Length > 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"{host} has no GPU {string.Join(", ", missing)}; it has: {Describe(gpus)}.");
        }

        return gpus.Where(g => indices.Contains(g.Index) && g.IsBusy)
            .Select(g => $"GPU {g.Index.ToString(CultureInfo.InvariantCulture)} on {host} is in use ({g.MemoryUsedMiB.ToString(CultureInfo.InvariantCulture)} of {g.MemoryTotalMiB.ToString(CultureInfo.InvariantCulture)} MiB, {g.UtilizationPercent.ToString(CultureInfo.InvariantCulture)} % busy): the job may run out of memory or run slowly.")
            .ToArray();
    }

    public static string Describe(IReadOnlyList<GpuInfo> gpus) =>
        string.Join("; ", gpus.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Index} {g.Name} {g.MemoryUsedMiB}/{g.MemoryTotalMiB} MiB {g.UtilizationPercent} %")));

    /// <summary>
    /// What the job's wrapper exports for swift on an SSH host: GPUs in nvidia-smi's order (CUDA_DEVICE_ORDER, or CUDA
    /// numbers them fastest first), which of them, and with several, one process per GPU on a free port.
    /// </summary>
    public static IReadOnlyDictionary<string, string> SshEnvironment(IReadOnlyList<int>? indices)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (indices is null)
        {
            return env;
        }

        env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        env["CUDA_VISIBLE_DEVICES"] = string.Join(",", indices.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        if (indices.Count > 1)
        {
            env["NPROC_PER_NODE"] = indices.Count.ToString(CultureInfo.InvariantCulture);
        }

        return env;
    }

    private static int Int(string cell) =>
        int.TryParse(cell.Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
}
