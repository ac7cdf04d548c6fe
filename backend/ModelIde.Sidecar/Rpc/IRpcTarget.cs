namespace ModelIde.Sidecar.Rpc;

/// <summary>
/// Marks a class whose <c>[JsonRpcMethod]</c> methods are the sidecar's handlers for one feature.
/// Every implementation is found by <see cref="RpcTargetCatalog"/> and must have a constructor taking
/// <see cref="SidecarContext"/>.
/// </summary>
public interface IRpcTarget
{
}
