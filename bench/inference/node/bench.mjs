// Baseline: a plain onnxruntime-node greedy KV-cache loop over the same model and prompts as the C# benchmark.
// Usage: node bench.mjs MODEL_DIR THREADS NEW_TOKENS RUNS  → prints one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const [modelDir, threadsArg, newTokensArg, runsArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 2);
const newTokens = Number(newTokensArg ?? 128);
const runs = Number(runsArg ?? 3);
const genai = JSON.parse(fs.readFileSync(path.join(modelDir, 'genai_config.json'), 'utf8')).model.decoder;
const reference = JSON.parse(fs.readFileSync(path.join(modelDir, 'reference.json'), 'utf8'));
const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
});
const layers = genai.num_hidden_layers;
const kv = genai.num_key_value_heads;
const head = genai.head_size;
const hasPositions = session.inputNames.includes('position_ids');

async function generate(promptIds) {
  const feeds = {};
  let pastKeys = [];
  for (let i = 0; i < layers; i++) {
    pastKeys.push(new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, head]));
    pastKeys.push(new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, head]));
  }
  const maxLen = promptIds.length + newTokens;
  const mask = new BigInt64Array(maxLen).fill(1n);
  let ids = BigInt64Array.from(promptIds.map(BigInt));
  let position = 0;
  const out = [];
  const t0 = performance.now();
  let ttft = 0;
  let runMs = 0;
  while (out.length < newTokens) {
    const seq = ids.length;
    const total = position + seq;
    feeds.input_ids = new ort.Tensor('int64', ids, [1, seq]);
    feeds.attention_mask = new ort.Tensor('int64', mask.subarray(0, total), [1, total]);
    if (hasPositions) {
      const pos = new BigInt64Array(seq);
      for (let i = 0; i < seq; i++) pos[i] = BigInt(position + i);
      feeds.position_ids = new ort.Tensor('int64', pos, [1, seq]);
    }
    for (let i = 0; i < layers; i++) {
      feeds[`past_key_values.${i}.key`] = pastKeys[2 * i];
      feeds[`past_key_values.${i}.value`] = pastKeys[2 * i + 1];
    }
    const r0 = performance.now();
    const res = await session.run(feeds);
    runMs += performance.now() - r0;
    const logits = res.logits.data;
    const vocab = res.logits.dims[2];
    const offset = (seq - 1) * vocab;
    let best = 0;
    let bestValue = -Infinity;
    for (let v = 0; v < vocab; v++) {
      if (logits[offset + v] > bestValue) { bestValue = logits[offset + v]; best = v; }
    }
    pastKeys = [];
    for (let i = 0; i < layers; i++) {
      pastKeys.push(res[`present.${i}.key`]);
      pastKeys.push(res[`present.${i}.value`]);
    }
    if (position === 0) ttft = performance.now() - t0;
    position = total;
    ids = BigInt64Array.of(BigInt(best));
    out.push(best);
  }
  const elapsed = performance.now() - t0;
  return { ids: out, ttftMs: ttft, elapsedMs: elapsed, runMs, promptTokens: promptIds.length };
}

await generate(reference.generation[0].prompt_ids); // warm-up
const results = [];
for (let r = 0; r < runs; r++) {
  for (const g of reference.generation) {
    results.push(await generate(g.prompt_ids));
  }
}
const decodeTps = results.map(x => (x.ids.length - 1) / ((x.elapsedMs - x.ttftMs) / 1000));
const prefillTps = results.map(x => x.promptTokens / (x.ttftMs / 1000));
const median = a => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const greedyMatches = reference.generation.every((g, i) => {
  const n = Math.min(g.greedy_ids_onnxruntime.length, results[i].ids.length);
  return g.greedy_ids_onnxruntime.slice(0, n).every((v, k) => v === results[i].ids[k]);
});
console.log(JSON.stringify({
  runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(),
  threads,
  decodeTokensPerSecond: median(decodeTps),
  prefillTokensPerSecond: median(prefillTps),
  timeToFirstTokenMs: median(results.map(x => x.ttftMs)),
  runShare: results.reduce((s, x) => s + x.runMs, 0) / results.reduce((s, x) => s + x.elapsedMs, 0),
  greedyMatchesReference: greedyMatches,
}));
