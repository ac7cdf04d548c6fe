using System.Net;
using System.Reflection;

namespace ModelIde.Core.Tests.Inference.Gpu;

/// <summary>
/// A NuGet v3 feed on 127.0.0.1 (service index + flat container) serving the real packages from the NuGet cache the
/// test project's restore filled. <see cref="FlipByteAt"/> corrupts one byte of every body, as a hostile mirror would.
/// </summary>
public sealed class LoopbackNuGetFeed : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private int _packageRequests;

    public LoopbackNuGetFeed()
    {
        (_listener, var port) = LoopbackPorts.StartHttpListener();
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    public string ServiceIndex => BaseUri.AbsoluteUri + "v3/index.json";

    public long? FlipByteAt { get; set; }

    public int PackageRequests => Volatile.Read(ref _packageRequests);

    /// <summary>A package file as NuGet restored it: &lt;root&gt;/&lt;id&gt;/&lt;version&gt;/&lt;id&gt;.&lt;version&gt;.nupkg.</summary>
    public static string RestoredPackage(string id, string version)
    {
        var path = CachePath(id, version);
        Assert.True(File.Exists(path), $"{path} is missing: the test project's restore downloads it (PackageDownload)");
        return path;
    }

    private static string CachePath(string id, string version)
    {
        var root = typeof(LoopbackNuGetFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;
        return Path.Combine(root, id.ToLowerInvariant(), version, $"{id.ToLowerInvariant()}.{version}.nupkg");
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under a pending request.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        var response = context.Response;
        try
        {
            if (path == "/v3/index.json")
            {
                var body = System.Text.Encoding.UTF8.GetBytes(
                    $$"""{"version":"3.0.0","resources":[{"@id":"{{BaseUri.AbsoluteUri}}v3/registration/","@type":"RegistrationsBaseUrl/3.6.0"},{"@id":"{{BaseUri.AbsoluteUri}}v3-flatcontainer/","@type":"PackageBaseAddress/3.0.0"}]}""");
                response.ContentType = "application/json";
                await response.OutputStream.WriteAsync(body);
                return;
            }

            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 4 && parts[0] == "v3-flatcontainer" && parts[3] == $"{parts[1]}.{parts[2]}.nupkg" && File.Exists(CachePath(parts[1], parts[2])))
            {
                Interlocked.Increment(ref _packageRequests);
                var file = CachePath(parts[1], parts[2]);
                await using var stream = File.OpenRead(file);
                response.ContentLength64 = stream.Length;
                var buffer = new byte[1 << 20];
                long offset = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    if (FlipByteAt is { } flip && flip >= offset && flip < offset + read)
                    {
                        buffer[flip - offset] ^= 0x5a;
                    }

                    offset += read;
                    await response.OutputStream.WriteAsync(buffer.AsMemory(0, read));
                }

                return;
            }

            response.StatusCode = 404;
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // Already closed.
            }
        }
    }
}
