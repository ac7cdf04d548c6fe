using Microsoft.Win32.SafeHandles;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Where one file's bytes wait until they are verified: <c>&lt;file&gt;.modelide-partial</c> beside the target, with
/// its resume state in <c>&lt;file&gt;.modelide-partial.json</c> when it may have gaps.
/// <para>
/// The Python SDK resumes <c>&lt;file&gt;.incomplete</c> from its length (<c>Range: bytes=N-</c>), so a file with gaps
/// from parallel parts must never carry that name (docs/modelscope-api.md §3.3). We take the SDK's partial file over
/// when we download the same file (it is a plain prefix), and move ModelIde's older gapped <c>.incomplete</c> files
/// (with their <c>.incomplete.parts.json</c>) out of the SDK's way. A listing that names any of these files itself
/// keeps them: listed names are never used as partial names (a <c>~N</c> suffix is added) and never taken over.
/// Nothing here follows a link (see <see cref="NoFollow"/>).
/// </para>
/// </summary>
internal sealed class PartialFile
{
    public const string Suffix = ".modelide-partial";
    public const string StateSuffix = ".json";

    /// <summary>The SDK's partial file (and ModelIde's before 2026-12), a plain prefix for the SDK.</summary>
    private const string SdkSuffix = ".incomplete";

    /// <summary>ModelIde's resume state beside a gapped <c>.incomplete</c> file, before 2026-12.</summary>
    private const string OldStateSuffix = ".incomplete.parts.json";

    private readonly string? _sdkPartial;
    private readonly string? _oldState;

    private PartialFile(string target, string dataPath, string? sdkPartial, string? oldState)
    {
        Target = target;
        DataPath = dataPath;
        StatePath = dataPath + StateSuffix;
        _sdkPartial = sdkPartial;
        _oldState = oldState;
    }

    public string Target { get; }

    public string DataPath { get; }

    public string StatePath { get; }

    /// <summary>
    /// The partial-file names for <paramref name="repoPath"/> (at <paramref name="target"/>), chosen so that none of them
    /// is a path of the listing (<paramref name="listed"/>, compared ignoring case).
    /// </summary>
    public static PartialFile For(string target, string repoPath, IReadOnlySet<string> listed)
    {
        var n = 0;
        string Name(int i) => repoPath + Suffix + (i == 0 ? "" : "~" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        while (listed.Contains(Name(n)) || listed.Contains(Name(n) + StateSuffix))
        {
            n++;
        }

        var sdkListed = listed.Contains(repoPath + SdkSuffix);
        return new PartialFile(
            target,
            target + Name(n)[repoPath.Length..],
            sdkListed ? null : target + SdkSuffix,
            sdkListed || listed.Contains(repoPath + OldStateSuffix) ? null : target + OldStateSuffix);
    }

    /// <summary>
    /// Opens the partial file to fill, with what is already in it: our own (with its state, or a plain prefix without
    /// one), else the SDK's partial file or an older ModelIde one taken over, else a new empty file. StateOnDisk says
    /// whether a state was found on disk (then it must be kept up to date there).
    /// </summary>
    public (SafeFileHandle Handle, DownloadResumeState State, bool StateOnDisk) Open(string? sha256, long size)
    {
        // One look at our own partial file decides what follows (a folder of many small files pays for every lstat).
        var dataKind = TakeOverLeftovers(sha256, size);
        var handle = dataKind == NoFollow.Entry.None ? null : NoFollow.OpenExisting(DataPath);
        DownloadResumeState? state = null;
        var onDisk = false;
        if (handle is not null)
        {
            var length = RandomAccess.GetLength(handle);
            state = DownloadResumeState.TryLoad(StatePath, sha256, size);
            onDisk = state is not null;
            if (state is null && NoFollow.Kind(StatePath) == NoFollow.Entry.None && length <= size)
            {
                // No state: a plain prefix (a single stream wrote it, or the SDK did).
                state = DownloadResumeState.Create(sha256, size);
                state.MarkWritten(0, length);
            }
            else if (state is null || length < state.WrittenEnd)
            {
                // A state that does not fit this file, or a file shorter than its state says (truncated by hand): start over.
                handle.Dispose();
                handle = null;
                state = null;
                onDisk = false;
            }
        }

        if (handle is null)
        {
            NoFollow.RemoveUnlessFolder(StatePath);
            // Where nothing was, O_CREAT|O_EXCL alone refuses whatever may have appeared since (a link included).
            handle = dataKind == NoFollow.Entry.None ? NoFollow.CreateWhereNothingIs(DataPath) : NoFollow.CreateNew(DataPath);
            state = DownloadResumeState.Create(sha256, size);
        }

        return (handle, state!, onDisk);
    }

    /// <summary>
    /// Moves the verified file into place (a rename replaces whatever entry is at the target, a link included) and drops
    /// the state, when <paramref name="stateOnDisk"/> says one was written (<see cref="Open"/> removed any other).
    /// </summary>
    public void Finish(bool stateOnDisk)
    {
        File.Move(DataPath, Target, overwrite: true);
        if (stateOnDisk)
        {
            NoFollow.RemoveUnlessFolder(StatePath);
        }
    }

    /// <summary>Removes the partial file and its state (a wrong hash, a size the host does not have).</summary>
    public void Discard()
    {
        NoFollow.RemoveUnlessFolder(DataPath);
        NoFollow.RemoveUnlessFolder(StatePath);
    }

    /// <summary>
    /// The target is already there and verified: drop our partial files for it, and an older ModelIde's gapped
    /// <c>.incomplete</c> with its state. The SDK's own <c>.incomplete</c> (no state beside it) is the SDK's business,
    /// unless it is a link, which no one should write through.
    /// </summary>
    public void CleanUpBesideFinished()
    {
        Discard();
        if (_oldState is not null && NoFollow.Kind(_oldState) != NoFollow.Entry.None)
        {
            NoFollow.RemoveUnlessFolder(_oldState);
            if (_sdkPartial is not null)
            {
                NoFollow.RemoveUnlessFolder(_sdkPartial);
            }
        }
        else if (_sdkPartial is not null && NoFollow.Kind(_sdkPartial) == NoFollow.Entry.Link)
        {
            File.Delete(_sdkPartial);
        }
    }

    /// <summary>
    /// Takes over (renames, so nothing is copied or followed) a partial file the SDK or an older ModelIde left for this
    /// file; returns what is then at <see cref="DataPath"/>.
    /// </summary>
    private NoFollow.Entry TakeOverLeftovers(string? sha256, long size)
    {
        if (_sdkPartial is null)
        {
            return NoFollow.Kind(DataPath);
        }

        var sdkKind = NoFollow.Kind(_sdkPartial);
        var oldState = _oldState is not null && NoFollow.Kind(_oldState) != NoFollow.Entry.None ? _oldState : null;
        if (sdkKind == NoFollow.Entry.Link)
        {
            // A link named like the SDK's partial file: the SDK would append through it; remove it, follow nothing.
            File.Delete(_sdkPartial);
            sdkKind = NoFollow.Entry.None;
        }

        if (NoFollow.Kind(DataPath) is var dataKind and not NoFollow.Entry.None)
        {
            // We have our own partial file; an older ModelIde state for the SDK's name is stale either way.
            if (oldState is not null)
            {
                NoFollow.RemoveUnlessFolder(oldState);
                if (sdkKind == NoFollow.Entry.File)
                {
                    File.Delete(_sdkPartial);
                }
            }

            return dataKind;
        }

        if (oldState is not null)
        {
            // ModelIde's older layout: a gapped .incomplete the SDK would misread, with its state. Keep what it holds.
            var old = DownloadResumeState.TryLoad(oldState, sha256, size);
            var kept = NoFollow.Entry.None;
            if (old is not null && sdkKind == NoFollow.Entry.File)
            {
                NoFollow.RemoveUnlessFolder(StatePath);
                old.Save(StatePath);
                File.Move(_sdkPartial, DataPath);
                kept = NoFollow.Entry.File;
            }
            else if (sdkKind == NoFollow.Entry.File)
            {
                File.Delete(_sdkPartial);
            }

            NoFollow.RemoveUnlessFolder(oldState);
            return kept;
        }

        if (sdkKind == NoFollow.Entry.File)
        {
            // The SDK's partial file: a plain prefix of this file (we hold the SDK's lock for it, so it is not being written).
            NoFollow.RemoveUnlessFolder(StatePath);
            File.Move(_sdkPartial, DataPath);
            return NoFollow.Entry.File;
        }

        return NoFollow.Entry.None;
    }
}
