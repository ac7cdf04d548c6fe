namespace ModelIde.Sidecar.Rpc;

/// <summary>
/// Maps a protocol enum to its Core twin (or back) by member name. Both go over the wire by name, so a member added
/// on one side only fails here (and in the protocol tests that try every member), never as a shifted ordinal.
/// </summary>
public static class EnumNames
{
    public static TTo Map<TFrom, TTo>(TFrom value)
        where TFrom : struct, Enum
        where TTo : struct, Enum =>
        Enum.TryParse<TTo>(value.ToString(), ignoreCase: false, out var result) && Enum.IsDefined(result)
            ? result
            : throw new InvalidOperationException($"{typeof(TFrom).Name}.{value} has no {typeof(TTo).Name} member of the same name.");
}
