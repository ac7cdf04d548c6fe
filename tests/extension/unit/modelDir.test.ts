import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { findRunnableModelDir, modelLabel } from '../../../extension/src/inference/modelDir';

/** A readdir over an in-memory tree: folders are objects, files are null; reading a file throws as fs does. */
function readdirOf(tree: Record<string, unknown>, root: string) {
  return (p: string): string[] => {
    let node: unknown = tree;
    for (const part of path.relative(root, p).split(path.sep).filter(Boolean)) {
      node = (node as Record<string, unknown>)?.[part];
    }
    if (!node || typeof node !== 'object') {
      throw new Error(`ENOTDIR: ${p}`);
    }
    return Object.keys(node);
  };
}

describe('findRunnableModelDir', () => {
  const root = path.join(path.sep, 'cache', 'repo');

  it('gives the repository root of an onnx-community layout, not its onnx/ folder, so the sidecar chooses the variant', () => {
    const tree = { 'config.json': null, 'tokenizer.json': null, onnx: { 'model.onnx': null, 'model.onnx_data': null, 'model_q4.onnx': null } };
    assert.equal(findRunnableModelDir(root, readdirOf(tree, root)), root);
  });

  it('accepts a folder holding only quantized files and a GenAI builder tree nested three levels down', () => {
    assert.equal(findRunnableModelDir(root, readdirOf({ 'model_q4.onnx': null, 'model_q4f16.onnx': null }, root)), root);
    const genai = { 'README.md': null, cpu_and_mobile: { 'cpu-int4-rtn-block-32-acc-level-4': { 'genai_config.json': null, 'model.onnx.data': null } } };
    assert.equal(findRunnableModelDir(root, readdirOf(genai, root)), root);
  });

  it('refuses a folder with no ONNX model, and ONNX files only in hidden folders or deeper than the sidecar looks', () => {
    assert.equal(findRunnableModelDir(root, readdirOf({ 'pytorch_model.bin': null, 'config.json': null }, root)), undefined);
    assert.equal(findRunnableModelDir(root, readdirOf({ '.git': { 'model.onnx': null } }, root)), undefined);
    const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { 'model.onnx': null } : { d: nested(depth - 1) });
    assert.equal(findRunnableModelDir(root, readdirOf(nested(8), root)), root);
    assert.equal(findRunnableModelDir(root, readdirOf(nested(9), root)), undefined);
    assert.equal(findRunnableModelDir(root, () => { throw new Error('ENOENT'); }), undefined);
  });
});

describe('modelLabel', () => {
  it('names a cache snapshot by its model id, and its revision unless master', () => {
    assert.equal(modelLabel('/home/u/.cache/modelscope/models/modelide--tiny-stdlib-coder/snapshots/master'), 'modelide/tiny-stdlib-coder');
    assert.equal(modelLabel('/c/models/Qwen--Qwen2.5-0.5B-Instruct/snapshots/v1.0.1/'), 'Qwen/Qwen2.5-0.5B-Instruct@v1.0.1');
    assert.equal(modelLabel('C:\\cache\\models\\a--b\\snapshots\\master'), 'a/b');
  });

  it('names any other folder by its own name', () => {
    assert.equal(modelLabel('/work/models/tiny-stdlib-coder'), 'tiny-stdlib-coder');
    assert.equal(modelLabel('/x/snapshots/master'), 'master');
  });
});
