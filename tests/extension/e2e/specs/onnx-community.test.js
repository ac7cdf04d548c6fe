// Issue 13: a model in the onnx-community / transformers.js layout (config and tokenizer at the root, the weights in
// onnx/ as model.onnx + model.onnx_data, model_fp16, model_q4, model_q4f16, model_int8, model_uint8, model_quantized)
// runs from a right-click on the repository's root in the sidebar: Run Locally offers to download only the variant that
// runs here, the playground names that file, and the greedy continuation streams in token by token. The layout is
// made from tiny-stdlib-coder by tests/tools/decoder_fixtures/generate.py; the expected continuation is the ids ONNX
// Runtime gave for model_q4.onnx (tests/tools/decoder_fixtures/expected-ids.json), decoded with the model's vocabulary.
'use strict';
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Workbench, ROOT } = require('../lib/workbench');

const NAME = 'tiny-coder-onnx-community';
const MODEL = `modelide/${NAME}`;
const FIXTURES = path.join(ROOT, 'tests/tools/decoder_fixtures');
// The first reference prompt and what ONNX Runtime generated greedily from model_q4.onnx for it.
const PROMPT = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/tiny-stdlib-coder/reference.json'), 'utf8')).generation[0].prompt;
const Q4 = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected-ids.json'), 'utf8')).q4;

/** Byte-level BPE ids to text: GPT-2's byte-to-symbol table, inverted. */
function decodeByteLevel(tokenizer, ids) {
  const bytes = [];
  for (let b = 0; b < 256; b++) if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) bytes.push(b);
  const symbols = bytes.map((b) => b);
  for (let b = 0, n = 0; b < 256; b++) if (!bytes.includes(b)) { bytes.push(b); symbols.push(256 + n++); }
  const byteOf = new Map(symbols.map((s, i) => [String.fromCodePoint(s), bytes[i]]));
  const tokenOf = new Map(Object.entries(tokenizer.model.vocab).map(([t, id]) => [id, t]));
  const out = [];
  for (const id of ids) for (const ch of tokenOf.get(id)) out.push(byteOf.get(ch));
  return Buffer.from(out).toString('utf8');
}

describe('Run Locally on an onnx-community layout (code-server)', () => {
  const wb = new Workbench('onnx-community');
  const models = path.join(wb.dir, 'hub-models');
  const folder = path.join(models, NAME);
  before(async () => {
    // Only this one layout of the generator (about 4 s), served by the hub as modelide/tiny-coder-onnx-community.
    execFileSync('/usr/bin/python3', ['-c',
      'import pathlib, sys; sys.path.insert(0, sys.argv[1]); import generate; ' +
      'generate.fixtures()["onnx-community"][1](pathlib.Path(sys.argv[2]))', FIXTURES, folder],
    { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
    await wb.start({ models });
  });
  after(async () => { await wb.screenshot('oc-end'); await wb.stop(); });
  afterEach(async (t) => { if (t.passed === false || t.error) await wb.screenshot('oc-failed'); });

  it('(oc) right-click the model root > Run Locally downloads the q4 variant and streams the greedy continuation', async (t) => {
    const page = wb.page;
    assert.ok(fs.existsSync(path.join(folder, 'onnx', 'model.onnx_data')) && fs.existsSync(path.join(folder, 'onnx', 'model_q4.onnx')));
    const { row: root } = await wb.searchModels('onnx-community', MODEL);
    // The repository's root row itself (a collapsed node whose children are its files), not a file under it.
    assert.ok((await root.innerText()).startsWith(MODEL));
    assert.equal(await root.getAttribute('aria-expanded'), 'false');

    await wb.contextMenu(root, 'Run Locally');
    const ask = await wb.notification(`${MODEL} is not downloaded yet`);
    await ask.getByRole('button', { name: 'Download', exact: true }).click();
    // Several variants: only the one that runs here (q4 on a CPU) and the shared files.
    const only = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: /Only .* and the shared files/ }).first();
    await only.waitFor({ state: 'visible', timeout: 60000 });
    await wb.screenshot('oc-variant-choice');
    const offered = await only.innerText();
    assert.match(offered, /Only onnx\/model_q4\.onnx and the shared files/);
    await only.click();

    await page.locator('.tab', { hasText: 'Playground' }).first().waitFor({ state: 'visible', timeout: 180000 });
    const panel = await wb.webview('#device');
    await panel.locator('#device').filter({ hasText: /cpu/i }).waitFor({ timeout: 120000 });
    await panel.locator('#model-file').filter({ hasText: 'onnx/model_q4.onnx' }).waitFor({ timeout: 30000 });
    // Only the chosen variant came down, with the tokenizer and configs from the root.
    const cached = fs.readdirSync(path.join(wb.cacheDir), { recursive: true }).map(String);
    assert.ok(cached.some((f) => f.endsWith(path.join('onnx', 'model_q4.onnx'))), cached.join('\n'));
    assert.ok(!cached.some((f) => f.endsWith('model.onnx_data') || f.endsWith('model_fp16.onnx')), cached.join('\n'));

    // Greedy completion of the reference prompt, as long as the recorded continuation.
    await panel.locator('#mode').selectOption('completion');
    for (const [id, value] of Object.entries({ temperature: '0', topK: '0', topP: '1', repetitionPenalty: '1', maxNewTokens: String(Q4.ids[0].length) })) {
      await panel.locator(`#${id}`).fill(value);
    }
    // Every change of the reply's text, as the webview saw it: streaming means many, one reply at the end means one.
    await panel.locator('#chat').evaluate((chat) => {
      window.__modelideReplies = [];
      new MutationObserver(() => {
        const reply = chat.querySelector('.message.assistant:last-child');
        if (reply) window.__modelideReplies.push(reply.textContent);
      }).observe(chat, { childList: true, characterData: true, subtree: true });
    });
    await panel.locator('#prompt').fill(PROMPT);
    await panel.locator('#send').click();
    await panel.locator('#stats').filter({ hasText: /tokens\/s/ }).waitFor({ timeout: 120000 });
    await wb.screenshot('oc-playground');

    const expected = PROMPT + decodeByteLevel(JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')), Q4.ids[0]);
    const reply = await panel.locator('.message.assistant').last().evaluate((el) => el.textContent);
    assert.equal(reply, expected);
    const seen = await panel.locator('#chat').evaluate(() => window.__modelideReplies);
    const growing = [...new Set(seen)].filter((text) => text.length > PROMPT.length && expected.startsWith(text));
    assert.ok(growing.length >= 2, `the reply arrived in ${growing.length} chunk(s): ${JSON.stringify(seen)}`);
    t.diagnostic(`${Q4.ids[0].length} tokens streamed in ${growing.length} visible chunks; ${await panel.locator('#stats').innerText()}`);
    assert.match(await panel.locator('#stats').innerText(), new RegExp(`\\b${Q4.ids[0].length}\\b`));
  });
});
