using System.Net.Http.Json;
using ModelIde.Core.Downloads;
using ModelIde.Core.Models;
using ModelIde.Hub;
using ModelIde.Hub.Faults;
using ModelIde.Protocol;
using ModelIde.Sidecar;
using ModelIde.Sidecar.Tests.Rpc;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Auth;

/// <summary>
/// A token revoked at the hub while the sidecar is signed in: every call then fails with authenticationRequired,
/// the extension hears auth/sessionExpired once per session, and a download cut by it resumes after signing in again.
/// Real hub (revocation through its admin API), real JSON-RPC stack.
/// </summary>
public sealed class SessionExpiredTests : IAsyncLifetime
{
    private const string Model = "modelide/tiny-stdlib-coder";
    private readonly ExpirySink _sink = new();
    private LocalHub _hub = null!;
    private SidecarConnection _sidecar = null!;

    public async Task InitializeAsync()
    {
        _hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        _sidecar = SidecarConnection.Start(_hub.BaseUri.ToString(), _sink);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _hub.DisposeAsync();
    }

    [Fact]
    public async Task A_token_revoked_mid_session_fails_every_call_with_minus_32002_and_notifies_once_per_session()
    {
        var token = _hub.IssueToken("demo");
        await SignInAsync(token);
        var before = await _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams(_hub.PrivateModelId));
        Assert.NotEmpty(before.Files);

        await RevokeAtHubAsync(token);

        // Several calls, through both API envelopes: each fails with the clear error, the notification comes once.
        var failures = new List<RemoteInvocationException>
        {
            await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams(_hub.PrivateModelId))),
            await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<ModelsSearchResult>(ModelsMethods.Search, new ModelsSearchParams(Query: "tiny", PageNumber: 1, PageSize: 10))),
            await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<ModelDetailDto>(ModelsMethods.Get, new ModelIdParams(Model))),
        };
        Assert.All(failures, f =>
        {
            Assert.Equal(RpcErrorCodes.AuthenticationRequired, f.ErrorCode);
            Assert.Contains("sign in again", f.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(token, f.Message, StringComparison.Ordinal);
        });

        var expired = Assert.Single(await _sink.SettledAsync(_sidecar.Client, expected: 1));
        Assert.Equal(_hub.BaseUri.AbsoluteUri, expired.Endpoint);
        Assert.Equal("demo", expired.UserName);
        Assert.Contains("expired", expired.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(token, expired.Reason, StringComparison.Ordinal);

        // Checking some other (wrong) token is not the session failing: no notification for it.
        var wrong = await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<AuthSessionDto>(AuthMethods.ValidateToken, new ValidateTokenParams(_hub.BaseUri.AbsoluteUri, "ms-not-a-token-0123456789")));
        Assert.Equal(RpcErrorCodes.AuthenticationRequired, wrong.ErrorCode);
        Assert.Single(await _sink.SettledAsync(_sidecar.Client, expected: 1));

        // Signing in again is a new session: calls work, and when that token is revoked too, one more notification.
        var second = _hub.IssueToken("demo");
        await SignInAsync(second);
        var after = await _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams(_hub.PrivateModelId));
        Assert.Equal(before.Files.Select(f => f.Path).Order(), after.Files.Select(f => f.Path).Order());
        Assert.Single(await _sink.SettledAsync(_sidecar.Client, expected: 1));

        await RevokeAtHubAsync(second);
        await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams(_hub.PrivateModelId)));
        await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams(_hub.PrivateModelId)));
        Assert.Equal(2, (await _sink.SettledAsync(_sidecar.Client, expected: 2)).Count);
    }

    [Fact]
    public async Task A_download_cut_by_a_revoked_token_keeps_its_finished_files_and_resumes_after_signing_in_again()
    {
        var token = _hub.IssueToken("demo");
        await SignInAsync(token);
        var listed = (await _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams(Model))).Files
            .Where(f => f.Type == RepoFileKind.File).Select(f => f.Path).ToArray();
        var others = listed.Where(p => p != "model.onnx").ToArray();
        Assert.Contains("model.onnx", listed);
        Assert.NotEmpty(others);

        var cache = Directory.CreateTempSubdirectory("modelide-expiry-").FullName;
        try
        {
            var folder = new ModelCacheLayout(cache).ModelFolder(ModelId.Parse(Model), "master");
            // The hub holds the request for model.onnx back, so the token is revoked while that file is still to come.
            _hub.Faults.Add(new FaultRule { PathRegex = @"FilePath=model\.onnx", DelayMs = 5000, Count = 1 });
            var first = _sidecar.Client.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, new DownloadsStartParams("d1", Model, CacheDir: cache));
            using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            {
                while (!others.All(p => File.Exists(Path.Combine(folder, p))))
                {
                    Assert.False(first.IsCompleted, "the download ended before the token was revoked");
                    await Task.Delay(50, wait.Token);
                }
            }

            Assert.False(first.IsCompleted, "the machine was too slow: model.onnx was fetched before the token could be revoked");
            await RevokeAtHubAsync(token);
            var cut = await Assert.ThrowsAsync<RemoteInvocationException>(() => first);
            Assert.Equal(RpcErrorCodes.AuthenticationRequired, cut.ErrorCode);
            Assert.Single(await _sink.SettledAsync(_sidecar.Client, expected: 1));
            Assert.All(others, p => Assert.True(File.Exists(Path.Combine(folder, p)), $"{p} was lost"));

            await SignInAsync(_hub.IssueToken("demo"));
            _hub.RequestLog.Clear();
            var second = await _sidecar.Client.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, new DownloadsStartParams("d2", Model, CacheDir: cache));
            Assert.Equal(listed.Length, second.Files);
            var original = Path.Combine(ModelIde.TestSupport.RepoPaths.TinyModelDir(), "model.onnx");
            Assert.Equal(await File.ReadAllBytesAsync(original), await File.ReadAllBytesAsync(Path.Combine(second.LocalPath, "model.onnx")));
            // Only what was missing came over the wire the second time.
            var fetched = _hub.BlobRequestLog.Where(r => r.Method == "GET").Select(r => Uri.UnescapeDataString(r.Path.Split('/').Last())).Distinct().ToArray();
            Assert.Equal(["model.onnx"], fetched);
        }
        finally
        {
            _hub.Faults.Clear();
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task Git_refusing_the_sessions_credentials_ends_the_session_like_a_401()
    {
        // The hub rotated the git token after sign-in: the session still holds the old one.
        var token = _hub.IssueToken("demo");
        var session = await _sidecar.Client.InvokeWithParameterObjectAsync<AuthSessionDto>(AuthMethods.ValidateToken, new ValidateTokenParams(_hub.BaseUri.AbsoluteUri, token));
        const string staleGitToken = "git-0123456789abcdef0123456789abcdef";
        await _sidecar.Client.InvokeWithParameterObjectAsync<ActivateResult>(AuthMethods.Activate, new ActivateParams(session.Endpoint, session.AccessToken, session.UserName, staleGitToken));
        var parent = Directory.CreateTempSubdirectory("modelide-git-expiry-").FullName;
        try
        {
            var target = Path.Combine(parent, "clone");
            var refused = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
                _sidecar.Client.InvokeWithParameterObjectAsync<GitCloneResult>(GitMethods.Clone, new GitCloneParams(_hub.PrivateModelId, target)));
            Assert.Equal(RpcErrorCodes.AuthenticationRequired, refused.ErrorCode);
            Assert.DoesNotContain(staleGitToken, refused.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(target, ".git")), "a refused clone leaves no repository behind");

            var expired = Assert.Single(await _sink.SettledAsync(_sidecar.Client, expected: 1));
            Assert.Equal("demo", expired.UserName);
            Assert.DoesNotContain(staleGitToken, expired.Reason, StringComparison.Ordinal);

            // A second refusal in the same session does not ask again.
            await Assert.ThrowsAsync<RemoteInvocationException>(() =>
                _sidecar.Client.InvokeWithParameterObjectAsync<GitCloneResult>(GitMethods.Clone, new GitCloneParams(_hub.PrivateModelId, target)));
            Assert.Single(await _sink.SettledAsync(_sidecar.Client, expected: 1));

            // Signing in again picks up the current git token, and the clone works.
            await SignInAsync(_hub.IssueToken("demo"));
            var cloned = await _sidecar.Client.InvokeWithParameterObjectAsync<GitCloneResult>(GitMethods.Clone, new GitCloneParams(_hub.PrivateModelId, target));
            Assert.True(Directory.Exists(Path.Combine(cloned.Path, ".git")));
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    /// <summary>What the extension does: validate the token, then make it the sidecar's session.</summary>
    private async Task SignInAsync(string token)
    {
        var session = await _sidecar.Client.InvokeWithParameterObjectAsync<AuthSessionDto>(AuthMethods.ValidateToken, new ValidateTokenParams(_hub.BaseUri.AbsoluteUri, token));
        await _sidecar.Client.InvokeWithParameterObjectAsync<ActivateResult>(AuthMethods.Activate, new ActivateParams(session.Endpoint, session.AccessToken, session.UserName, session.GitToken));
    }

    /// <summary>Revokes the token through the hub's admin API, as an administrator (or the token's expiry) would.</summary>
    private async Task RevokeAtHubAsync(string token)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync(new Uri(_hub.BaseUri, "_admin/tokens/expire"), new { token });
        response.EnsureSuccessStatusCode();
    }

    private sealed class ExpirySink
    {
        private readonly List<SessionExpiredParams> _received = [];

        [JsonRpcMethod(AuthMethods.SessionExpired, UseSingleObjectParameterDeserialization = true)]
        public void SessionExpired(SessionExpiredParams p)
        {
            lock (_received)
            {
                _received.Add(p);
            }
        }

        /// <summary>
        /// Waits (bounded) until <paramref name="expected"/> notifications arrived, then makes a round trip so that any
        /// extra one the sidecar sent before its answer has arrived too; returns all of them.
        /// </summary>
        public async Task<IReadOnlyList<SessionExpiredParams>> SettledAsync(JsonRpc client, int expected)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Snapshot().Count < expected && !wait.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }

            await client.InvokeAsync<object>(SidecarMethods.Ping);
            return Snapshot();
        }

        private List<SessionExpiredParams> Snapshot()
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }
}
