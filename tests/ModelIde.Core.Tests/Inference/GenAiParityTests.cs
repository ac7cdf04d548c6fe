using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Core.Inference;
using GenAi = Microsoft.ML.OnnxRuntimeGenAI;

namespace ModelIde.Core.Tests.Inference;

/// <summary>
/// The parity matrix: every generated layout run by our decode loop and by ONNX Runtime GenAI 0.18 (its own C++ decode
/// loop over the same ONNX Runtime, given a genai_config.json naming the same file) wherever GenAI can run it. Where both
/// run, the greedy ids are equal; GenAI must run the int4 files, since it is the oracle behind expected-ids.json.
/// </summary>
[Collection(DecoderFixturesCollection.Name)]
public sealed class GenAiParityTests(DecoderFixtures fixtures, TinyModel tiny, Xunit.Abstractions.ITestOutputHelper output)
{
    private const int NewTokens = 24;

    [Fact]
    public void Our_loop_and_GenAI_give_the_same_greedy_ids_on_every_layout_GenAI_runs()
    {
        var prompt = tiny.Reference.RootElement.GetProperty("generation")[0].GetProperty("prompt").GetString()!;
        var rows = new List<string>();
        var mismatches = new List<string>();
        var genAiRan = new HashSet<string>();
        foreach (var name in fixtures.Names)
        {
            using var ours = DecoderLanguageModel.Load(fixtures.Folder(name), DevicePolicy.PreferCpu, threads: 1);
            var promptIds = ours.Tokenizer.Encode(prompt);
            var ourIds = ours.Generate(promptIds, new GenerationOptions { MaxNewTokens = NewTokens }).TokenIds.ToArray();
            string cell;
            try
            {
                var theirs = RunGenAi(ours, promptIds);
                genAiRan.Add(name);
                cell = theirs.SequenceEqual(ourIds) ? "equal" : "DIFFERENT";
                if (cell != "equal")
                {
                    mismatches.Add($"{name} ({ours.File}): ours [{string.Join(",", ourIds)}] GenAI [{string.Join(",", theirs)}]");
                }
            }
            catch (GenAi.OnnxRuntimeGenAIException e)
            {
                cell = "GenAI cannot run it: " + e.Message.Split('\n')[0];
            }

            rows.Add($"{name,-22} {ours.File,-28} {cell}");
        }

        output.WriteLine(string.Join("\n", rows));
        Assert.Empty(mismatches);
        Assert.Contains("q4-only", genAiRan);
        Assert.Contains("optimum-external-data", genAiRan);
    }

    /// <summary>GenAI on the same file: a temporary folder of links plus a genai_config.json that names it.</summary>
    private static int[] RunGenAi(DecoderLanguageModel ours, IReadOnlyList<int> promptIds)
    {
        var modelDir = Path.GetDirectoryName(ours.Folder.Chosen.ModelPath)!;
        var dir = Directory.CreateTempSubdirectory("modelide-genai-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(modelDir))
            {
                File.CreateSymbolicLink(Path.Combine(dir, Path.GetFileName(file)), file);
            }

            var c = ours.Config;
            var genai = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyModel.Locate(), "genai_config.json")))!.AsObject();
            var decoder = genai["model"]!["decoder"]!.AsObject();
            decoder["filename"] = Path.GetFileName(ours.Folder.Chosen.ModelPath);
            if (c.PositionIds is null)
            {
                decoder["inputs"]!.AsObject().Remove("position_ids");
            }

            genai["search"]!["max_length"] = promptIds.Count + NewTokens;
            File.Delete(Path.Combine(dir, "genai_config.json"));
            File.WriteAllText(Path.Combine(dir, "genai_config.json"), genai.ToJsonString());
            using var model = new GenAi.Model(dir);
            using var parameters = new GenAi.GeneratorParams(model);
            parameters.SetSearchOption("max_length", promptIds.Count + NewTokens);
            parameters.SetSearchOption("do_sample", false);
            using var generator = new GenAi.Generator(model, parameters);
            generator.AppendTokens(promptIds.ToArray());
            while (!generator.IsDone())
            {
                generator.GenerateNextToken();
            }

            return generator.GetSequence(0).ToArray().Skip(promptIds.Count).ToArray();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
