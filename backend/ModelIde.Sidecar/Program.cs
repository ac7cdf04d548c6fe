using ModelIde.Sidecar.Hosting;

// modelide-sidecar: the process the VS Code extension starts and the VSIX ships. It carries the core and the JSON-RPC
// handlers only; the local hub (ASP.NET Core, OpenIddict, EF Core) stays in the `modelide` CLI, which has `serve` too.
return await SidecarCommandLine.RunAsync(args).ConfigureAwait(false);
