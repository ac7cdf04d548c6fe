using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.ProtocolGen;

// ModelIde.ProtocolGen write|check [--root DIR]: the generated TypeScript contract and docs/protocol.md's tables.
// ModelIde.ProtocolGen samples: sample messages (JSON) for the extension's round-trip test.
// ModelIde.ProtocolGen roundtrip < FILE: reads the samples the extension sent back; exit 1 when one does not come back as sent.
var command = args.FirstOrDefault();
var rootIndex = Array.IndexOf(args, "--root");
var root = rootIndex >= 0 && rootIndex + 1 < args.Length ? args[rootIndex + 1] : FindRoot(Directory.GetCurrentDirectory());
var model = ProtocolModel.Load();
switch (command)
{
    case "write":
    case "check":
        var stale = new List<string>();
        foreach (var (path, content) in GeneratedFiles.For(model, root))
        {
            var full = Path.Combine(root, path);
            var current = File.Exists(full) ? File.ReadAllText(full) : null;
            if (current == content)
            {
                continue;
            }

            if (command == "write")
            {
                File.WriteAllText(full, content);
                Console.Error.WriteLine($"protocol: wrote {path}");
            }
            else
            {
                stale.Add(path);
            }
        }

        if (stale.Count > 0)
        {
            Console.Error.WriteLine($"protocol: {string.Join(" and ", stale)} do not match backend/ModelIde.Protocol. Run `bash scripts/protocol.sh` and commit the result.");
            return 1;
        }

        return 0;
    case "samples":
        Console.Out.Write(new SampleMessages(model).Create().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    case "roundtrip":
        var returned = JsonNode.Parse(Console.In.ReadToEnd())?.AsObject() ?? throw new InvalidDataException("roundtrip: expected a JSON object on stdin.");
        var problems = new SampleMessages(model).Compare(returned);
        foreach (var p in problems)
        {
            Console.Out.WriteLine(p);
        }

        return problems.Count == 0 ? 0 : 1;
    default:
        Console.Error.WriteLine("usage: ModelIde.ProtocolGen write|check [--root DIR] | samples | roundtrip < FILE");
        return 2;
}

static string FindRoot(string start)
{
    for (var dir = start; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, "ModelIde.sln")))
        {
            return dir;
        }
    }

    throw new DirectoryNotFoundException("No ModelIde.sln above the current folder; pass --root.");
}
