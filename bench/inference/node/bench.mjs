// Baseline: a plain onnxruntime-node greedy KV-cache loop, driven by the C# benchmark so the two alternate run by run.
// Usage: node bench.mjs MODEL_DIR THREADS. Prints {"ready":…} once the session is loaded, then answers each stdin line
// {"prompt":[ids],"newTokens":N,"stopIds":[ids]} with one JSON line of timings and the generated ids. Session options match
// ModelIde's: intra-op THREADS, sequential execution, all graph optimizations, default spinning and arena.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import ort from 'onnxruntime-node';

const [modelDir, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 2);
const genaiConfig = JSON.parse(fs.readFileSync(path.join(modelDir, 'genai_config.json'), 'utf8'));
const genai = genaiConfig.model.decoder;
// GroupQueryAttention exports (the GenAI builder's): one [1, kv, max, head] buffer per K/V, fed as the past and fetched
// as the present, so GQA writes each new token in place, as GenAI and ModelIde do with past_present_share_buffer.
const shareBuffer = genaiConfig.search?.past_present_share_buffer === true;
const loadStart = performance.now();
const session = await ort.InferenceSession.create(path.join(modelDir, genai.filename ?? 'model.onnx'), {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
});
const loadMs = performance.now() - loadStart;
const layers = genai.num_hidden_layers;
const kv = genai.num_key_value_heads;
const head = genai.head_size;
const hasPositions = session.inputNames.includes('position_ids');
const emptyCache = new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, head]);

async function generate(promptIds, newTokens, stopIds) {
  const feeds = {};
  const maxLen = promptIds.length + newTokens;
  const mask = new BigInt64Array(maxLen).fill(1n);
  let ids = BigInt64Array.from(promptIds.map(BigInt));
  let pasts = null;
  const shared = shareBuffer ? {} : null;
  if (shared) {
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value']) {
        const t = new ort.Tensor('float32', new Float32Array(kv * maxLen * head), [1, kv, maxLen, head]);
        feeds[`past_key_values.${i}.${kind}`] = t;
        shared[`present.${i}.${kind}`] = t;
      }
    }
  }
  let position = 0;
  const out = [];
  let ttft = 0;
  let runMs = 0;
  let runs = 0;
  const t0 = performance.now();
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
    for (let i = 0; !shared && i < layers; i++) {
      // The previous step's presents are this step's pasts.
      feeds[`past_key_values.${i}.key`] = pasts ? pasts[`present.${i}.key`] : emptyCache;
      feeds[`past_key_values.${i}.value`] = pasts ? pasts[`present.${i}.value`] : emptyCache;
    }
    const r0 = performance.now();
    const res = shared ? await session.run(feeds, { logits: null, ...shared }) : await session.run(feeds);
    runMs += performance.now() - r0;
    runs++;
    const logits = res.logits.data;
    const vocab = res.logits.dims[2];
    const offset = (seq - 1) * vocab;
    let best = 0;
    let bestValue = -Infinity;
    for (let v = 0; v < vocab; v++) {
      if (logits[offset + v] > bestValue) { bestValue = logits[offset + v]; best = v; }
    }
    pasts = res;
    if (position === 0) ttft = performance.now() - t0;
    position = total;
    if (stopIds.includes(best)) break; // as ModelIde does: EOS ends the generation and is not returned
    ids = BigInt64Array.of(BigInt(best));
    out.push(best);
  }
  const elapsedMs = performance.now() - t0;
  return { ids: out, promptTokens: promptIds.length, ttftMs: ttft, elapsedMs, runMs, decodeSteps: runs - 1 };
}

console.log(JSON.stringify({ ready: true, runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(), threads, loadMs }));
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  console.log(JSON.stringify(await generate(request.prompt, request.newTokens, request.stopIds ?? [])));
}
