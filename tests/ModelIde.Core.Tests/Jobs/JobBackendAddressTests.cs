using System.Diagnostics;
using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

public sealed class JobBackendAddressTests
{
    [Theory]
    [InlineData("ssh://alice@gpu1", JobBackendKind.Ssh, "alice", "gpu1", 22)]
    [InlineData("ssh://alice@10.0.0.5:2222", JobBackendKind.Ssh, "alice", "10.0.0.5", 2222)]
    [InlineData("slurm://bob@login.hpc.example.cn:22/", JobBackendKind.Slurm, "bob", "login.hpc.example.cn", 22)]
    [InlineData("SLURM://bob@[::1]", JobBackendKind.Slurm, "bob", "::1", 22)]
    public void Valid_addresses_parse(string text, JobBackendKind kind, string user, string host, int port)
    {
        Assert.Equal(new JobBackendAddress(kind, user, host, port), JobBackendAddress.Parse(text));
    }

    [Theory]
    [InlineData("gpu1")]
    [InlineData("ssh://gpu1")]
    [InlineData("ssh://a@gpu1:99999")]
    [InlineData("ssh://a;rm@gpu1")]
    [InlineData("k8s://a@gpu1")]
    [InlineData("ssh://a@gp u1")]
    [InlineData("ssh://a@gpu1,victim.example")]     // a known_hosts line for it would trust victim.example too
    [InlineData("ssh://a@gpu1\u0000")]
    [InlineData("ssh://a@-oProxyCommand=x")]
    public void Invalid_addresses_are_refused(string text)
    {
        Assert.Equal(ModelIdeErrorKind.InvalidInput, Assert.Throws<ModelIdeException>(() => JobBackendAddress.Parse(text)).Kind);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("$HOME `id` $(id) \"q\" \\ ;&|<>*?")]
    [InlineData("")]
    [InlineData("line1\nline2")]
    public void Quoted_values_reach_bash_unchanged(string value)
    {
        var psi = new ProcessStartInfo("bash", ["-c", "printf %s " + PosixShell.Quote(value)]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(value, output);
    }
}

public sealed class KnownHostsFileTests
{
    [Fact]
    public void Trusted_fingerprint_is_recognised_and_a_different_one_is_a_mismatch()
    {
        var dir = JobWait.TempDir();
        var file = new KnownHostsFile(Path.Combine(dir, "known_hosts"));
        Assert.Equal(HostKeyStatus.Unknown, file.Check("h", 2222, "SHA256:abc"));
        file.Trust("h", 2222, "abc", "ssh-ed25519");
        Assert.Equal(HostKeyStatus.Trusted, file.Check("h", 2222, "SHA256:abc"));
        Assert.Equal(HostKeyStatus.Mismatch, file.Check("h", 2222, "SHA256:xyz"));
        Assert.Equal(HostKeyStatus.Unknown, file.Check("h", 22, "SHA256:abc"));
        file.Trust("h", 2222, "SHA256:xyz");
        Assert.Equal(HostKeyStatus.Trusted, file.Check("h", 2222, "SHA256:xyz"));
        Assert.Equal(HostKeyStatus.Mismatch, file.Check("h", 2222, "SHA256:abc"));
    }

    [Theory]
    [InlineData("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true)]
    [InlineData("SHA256:LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=", true)]
    [InlineData("ofzkNjhU/4iM/0uOeHXWAMJoI5BBKoz3mzfQsRFIsPo", true)]
    [InlineData("SHA256:good\nvictim.example ssh-rsa SHA256:EVIL", false)]
    [InlineData("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A", false)]
    [InlineData("SHA256:abc", false)]
    [InlineData("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", false)]
    public void Only_an_openssh_sha256_fingerprint_is_taken(string fingerprint, bool taken)
    {
        Assert.Equal(taken, KnownHostsFile.IsSha256Fingerprint(fingerprint));
    }

    [Fact]
    public void OpenSSH_lines_are_read_by_key_blob()
    {
        var dir = JobWait.TempDir();
        var blob = new byte[] { 0, 0, 0, 11, 1, 2, 3, 4, 5 };
        var extra = Path.Combine(dir, "openssh");
        File.WriteAllText(extra, $"# comment\n|1|hashed|entry ssh-ed25519 AAAA\nother,[h]:2200 ssh-ed25519 {Convert.ToBase64String(blob)}\n");
        var file = new KnownHostsFile(Path.Combine(dir, "known_hosts"), [extra]);
        Assert.Equal(HostKeyStatus.Trusted, file.Check("h", 2200, KnownHostsFile.Fingerprint(blob)));
        Assert.Equal(HostKeyStatus.Trusted, file.Check("other", 22, KnownHostsFile.Fingerprint(blob)));
    }
}

public sealed class JobStoreTests
{
    [Fact]
    public void Saves_from_two_stores_on_one_folder_keep_every_job()
    {
        var dir = JobWait.TempDir();
        var a = new JobStore(dir);
        var b = new JobStore(dir);
        Parallel.For(0, 40, i => (i % 2 == 0 ? a : b).Save(new JobInfo { JobId = "job-" + i, SubmittedAt = DateTimeOffset.UnixEpoch.AddMinutes(i) }));
        Assert.Equal(40, new JobStore(dir).List().Count);
        a.Save(new JobInfo { JobId = "job-3", State = JobStateKind.Failed, Reason = "r" });
        Assert.Equal((JobStateKind.Failed, "r"), (b.Get("job-3").State, b.Get("job-3").Reason));
        Assert.Equal(ModelIdeErrorKind.NotFound, Assert.Throws<ModelIdeException>(() => b.Get("nope")).Kind);
    }
}
