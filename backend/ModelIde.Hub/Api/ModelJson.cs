using System.Globalization;
using ModelIde.Hub.Models;

namespace ModelIde.Hub.Api;

/// <summary>Maps models and files to the field names the SDKs read (see docs/modelscope-api.md §1.4).</summary>
internal static class ModelJson
{
    public static Dictionary<string, object?> OpenApiItem(HubModel m) => new()
    {
        ["id"] = m.Id,
        ["owner"] = m.Owner,
        ["name"] = m.Name,
        ["display_name"] = m.DisplayName,
        ["chinese_name"] = m.ChineseName,
        ["description"] = m.Description,
        ["downloads"] = m.Downloads,
        ["likes"] = m.Likes,
        ["license"] = m.License,
        ["library"] = m.Library,
        ["model_type"] = m.ModelType,
        ["tags"] = m.Tags,
        ["tasks"] = m.Tasks,
        ["private"] = m.Private,
        ["gated"] = m.Gated,
        ["login_required"] = m.Private,
        ["file_size"] = m.FileSize,
        ["created_at"] = Iso(m.CreatedAt),
        ["last_modified"] = Iso(m.LastModified),
    };

    public static Dictionary<string, object?> OpenApiDetail(HubModel m)
    {
        var item = OpenApiItem(m);
        item["default_revision"] = "master";
        item["revisions"] = m.Revisions.Select(r => r.Name).ToList();
        return item;
    }

    public static Dictionary<string, object?> LegacyItem(HubModel m) => new()
    {
        ["Id"] = m.NumericId,
        ["Name"] = m.Name,
        ["Path"] = m.Owner,
        ["ChineseName"] = m.ChineseName,
        ["Visibility"] = m.Private ? 1 : 5,
        ["IsPublished"] = 1,
        ["IsOnline"] = 1,
        ["AlreadyStar"] = false,
        ["Description"] = m.Description,
        ["License"] = m.License,
        ["Downloads"] = m.Downloads,
        ["Stars"] = m.Likes,
        ["Likes"] = m.Likes,
        ["CreatedTime"] = m.CreatedAt.ToUnixTimeSeconds(),
        ["LastUpdatedTime"] = m.LastModified.ToUnixTimeSeconds(),
        ["Architectures"] = m.ModelType == "qwen2" ? ["Qwen2ForCausalLM"] : Array.Empty<string>(),
        ["ModelType"] = new[] { m.ModelType },
        ["Libraries"] = new[] { m.Library },
        ["Tasks"] = m.Tasks.Select(t => new Dictionary<string, object?> { ["Name"] = t, ["ChineseName"] = t, ["Type"] = "nlp" }).ToList(),
        ["Tags"] = m.Tags,
        ["Organization"] = new Dictionary<string, object?> { ["Id"] = Math.Abs(StableHash(m.Owner)), ["Name"] = m.Owner, ["FullName"] = m.Owner, ["Avatar"] = "" },
        ["CreatedBy"] = m.Owner,
        ["IsAccessible"] = 1,
        ["Revision"] = "master",
        ["RelatedArxivId"] = Array.Empty<string>(),
        ["ProtectedMode"] = m.Gated ? 1 : 2,
        ["StorageSize"] = m.FileSize,
    };

    public static Dictionary<string, object?> LegacyDetail(HubModel m)
    {
        var item = LegacyItem(m);
        item["ReadMeContent"] = m.ReadMeContent;
        return item;
    }

    public static Dictionary<string, object?> LegacyFile(HubFile f, bool corruptHash) => new()
    {
        ["Id"] = f.Sha256[..16],
        ["Name"] = f.Name,
        ["Path"] = f.Path,
        ["Type"] = "blob",
        ["Size"] = f.Size,
        ["Sha256"] = corruptHash ? new string(f.Sha256.Reverse().ToArray()) : f.Sha256,
        ["Revision"] = f.CommitId,
        ["CommitMessage"] = f.CommitMessage,
        ["CommittedDate"] = f.CommittedAt.ToUnixTimeSeconds(),
        ["CommitterName"] = "ModelIde",
        ["InCheck"] = false,
        ["IsLFS"] = f.IsLfs,
        ["Mode"] = "100644",
    };

    public static Dictionary<string, object?> LegacyTree(string path, HubRevision revision) => new()
    {
        ["Id"] = "",
        ["Name"] = path[(path.LastIndexOf('/') + 1)..],
        ["Path"] = path,
        ["Type"] = "tree",
        ["Size"] = 0,
        ["Sha256"] = "",
        ["Revision"] = revision.CommitId,
        ["CommitMessage"] = "",
        ["CommittedDate"] = revision.CreatedAt.ToUnixTimeSeconds(),
        ["CommitterName"] = "ModelIde",
        ["InCheck"] = false,
        ["IsLFS"] = false,
        ["Mode"] = "040000",
    };

    public static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var ch in s)
        {
            h = unchecked((h * 31) + ch);
        }

        return h == int.MinValue ? 0 : h;
    }
}
