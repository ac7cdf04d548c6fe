#!/usr/bin/python3
"""Makes every ONNX decoder layout and dtype that "Run locally" must handle, from tiny-stdlib-coder's weights.

    /usr/bin/python3 tests/tools/decoder_fixtures/generate.py [OUT_DIR]     (default: .build/fixtures/decoders)

Needs Debian's python3-onnx and python3-numpy (scripts/setup/40-inference-oracles.sh installs them). The generated
models are not committed: tests run this script when OUT_DIR/VERSION does not match GENERATOR_VERSION. Each fixture is
a model folder laid out as a real exporter lays it out (optimum, the legacy merged decoder, onnx-community /
transformers.js, a q4-only folder), with the tokenizer and config files of tiny-stdlib-coder. fixtures.json lists them
with what each one exercises and which greedy ids it must give: reference.json's where the arithmetic is the same
(graph rewrites, int32 inputs, external data, and here also the fp16/bf16 casts of KV and logits), or, for the int4
weights, ids recorded once from ONNX Runtime running the same file (tests/tools/decoder_fixtures/expected-ids.json),
which a test checks against ONNX Runtime GenAI's own decode loop.
"""
import json
import pathlib
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GENERATOR_VERSION = "4"
ROOT = pathlib.Path(__file__).resolve().parents[3]
TINY = ROOT / "models" / "tiny-stdlib-coder"
SIDE_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]
LAYERS = 4
INT64_MAX = np.iinfo(np.int64).max


def base_model():
    return onnx.load(str(TINY / "model.onnx"))


def rename_consumers(graph, old, new):
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new


def find_input(graph, name):
    return next(i for i in graph.input if i.name == name)


def find_output(graph, name):
    return next(o for o in graph.output if o.name == name)


def retype_input(graph, name, elem_type, cast_to):
    """The model now takes `name` as elem_type; a Cast gives the original graph what it had."""
    inner = name + "__orig"
    rename_consumers(graph, name, inner)
    find_input(graph, name).type.tensor_type.elem_type = elem_type
    graph.node.insert(0, helper.make_node("Cast", [name], [inner], to=cast_to, name="cast_in_" + name))


def retype_output(graph, name, elem_type):
    """The model now returns `name` as elem_type, cast from what the original graph computed."""
    inner = name + "__orig"
    for node in graph.node:
        for i, out in enumerate(node.output):
            if out == name:
                node.output[i] = inner
    rename_consumers(graph, name, inner)
    find_output(graph, name).type.tensor_type.elem_type = elem_type
    graph.node.append(helper.make_node("Cast", [inner], [name], to=elem_type, name="cast_out_" + name))


def kv_names():
    for i in range(LAYERS):
        for kind in ("key", "value"):
            yield f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"


def with_dtypes(model, mask=TensorProto.INT64, kv=TensorProto.FLOAT, logits=TensorProto.FLOAT):
    g = model.graph
    if mask != TensorProto.INT64:
        retype_input(g, "attention_mask", mask, TensorProto.INT64)
        retype_input(g, "position_ids", mask, TensorProto.INT64)
    if kv != TensorProto.FLOAT:
        for past, present in kv_names():
            retype_input(g, past, kv, TensorProto.FLOAT)
            retype_output(g, present, kv)
    if logits != TensorProto.FLOAT:
        retype_output(g, "logits", logits)
    return model


def without_position_ids(model):
    """Positions computed inside the graph from the past length, as exports without a position_ids input do."""
    g = model.graph
    g.input.remove(find_input(g, "position_ids"))
    c = lambda name, value: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype=np.int64), name))
    nodes = [
        helper.make_node("Shape", ["past_key_values.0.key"], ["pos_past_shape"]),
        c("pos_two", 2), c("pos_one", 1), c("pos_step", 1), c("pos_axes", [0]),
        helper.make_node("Gather", ["pos_past_shape", "pos_two"], ["pos_past_len"], axis=0),
        helper.make_node("Shape", ["input_ids"], ["pos_ids_shape"]),
        helper.make_node("Gather", ["pos_ids_shape", "pos_one"], ["pos_seq_len"], axis=0),
        helper.make_node("Add", ["pos_past_len", "pos_seq_len"], ["pos_end"]),
        helper.make_node("Range", ["pos_past_len", "pos_end", "pos_step"], ["pos_range"]),
        helper.make_node("Unsqueeze", ["pos_range", "pos_axes"], ["position_ids"]),
    ]
    for n in reversed(nodes):
        g.node.insert(0, n)
    return model


def with_logits_to_keep(model):
    """transformers.js exports: an int64 scalar num_logits_to_keep; logits holds only the last that many positions."""
    g = model.graph
    inner = "logits__all"
    for node in g.node:
        for i, out in enumerate(node.output):
            if out == "logits":
                node.output[i] = inner
    g.input.append(helper.make_tensor_value_info("num_logits_to_keep", TensorProto.INT64, []))
    c = lambda name, value: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype=np.int64), name))
    g.node.extend([
        c("keep_axes", [1]), c("keep_end", [INT64_MAX]), c("keep_shape", [1]),
        helper.make_node("Neg", ["num_logits_to_keep"], ["keep_neg"]),
        helper.make_node("Reshape", ["keep_neg", "keep_shape"], ["keep_start"]),
        helper.make_node("Slice", [inner, "keep_start", "keep_end", "keep_axes"], ["logits"]),
    ])
    return model


def merged(model):
    """optimum's legacy merged decoder: a bool use_cache_branch; when false the past inputs are ignored."""
    g = model.graph
    g.input.append(helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1]))
    c = lambda name, value, dt=np.int64: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype=dt), name))
    nodes = [c("ucb_big", [INT64_MAX]), c("ucb_zero", [0]), c("ucb_axes", [2]),
             helper.make_node("Where", ["use_cache_branch", "ucb_big", "ucb_zero"], ["ucb_end"])]
    for past, _ in kv_names():
        inner = past + "__used"
        rename_consumers(g, past, inner)
        nodes.append(helper.make_node("Slice", [past, "ucb_zero", "ucb_end", "ucb_axes"], [inner]))
    for n in reversed(nodes):
        g.node.insert(0, n)
    return model


def quantize_int4(model, block=32):
    """MatMul by a constant weight -> com.microsoft MatMulNBits (4 bits, symmetric blocks of 32, zero point 8)."""
    g = model.graph
    weights = {t.name: t for t in g.initializer}
    replaced = []
    for idx, node in enumerate(g.node):
        if node.op_type != "MatMul" or node.input[1] not in weights:
            continue
        w = numpy_helper.to_array(weights[node.input[1]]).astype(np.float32)  # [K, N]
        k, n = w.shape
        blocks = (k + block - 1) // block
        padded = np.zeros((blocks * block, n), dtype=np.float32)
        padded[:k] = w
        per_block = padded.reshape(blocks, block, n)
        scale = np.abs(per_block).max(axis=1) / 7.0  # [blocks, N]
        scale[scale == 0] = 1.0
        q = np.clip(np.round(per_block / scale[:, None, :]) + 8, 0, 15).astype(np.uint8)  # [blocks, block, N]
        q = q.transpose(2, 0, 1)  # [N, blocks, block]
        packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)  # [N, blocks, block/2]
        name = node.input[1]
        replaced.append((idx, helper.make_node(
            "MatMulNBits", [node.input[0], name + "_q4", name + "_scales"], list(node.output),
            domain="com.microsoft", K=k, N=n, bits=4, block_size=block, accuracy_level=4, name=(node.name or name) + "_q4")))
        g.initializer.remove(weights[name])
        g.initializer.extend([numpy_helper.from_array(packed, name + "_q4"),
                              numpy_helper.from_array(scale.T.reshape(-1).astype(np.float32), name + "_scales")])
    for idx, new in replaced:
        g.node[idx].CopyFrom(new)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model


def quantize_int8(model, dtype):
    """Weights stored as 8-bit integers with a per-tensor scale, dequantized in the graph (QDQ)."""
    g = model.graph
    weights = {t.name: t for t in g.initializer}
    for node in list(g.node):
        if node.op_type != "MatMul" or node.input[1] not in weights:
            continue
        name = node.input[1]
        w = numpy_helper.to_array(weights[name]).astype(np.float32)
        if dtype == np.int8:
            scale, zero = np.abs(w).max() / 127.0, 0
        else:
            lo, hi = min(w.min(), 0.0), max(w.max(), 0.0)
            scale = (hi - lo) / 255.0
            zero = int(np.clip(np.round(-lo / scale), 0, 255))
        q = np.clip(np.round(w / scale) + zero, np.iinfo(dtype).min, np.iinfo(dtype).max).astype(dtype)
        g.initializer.remove(weights[name])
        g.initializer.extend([numpy_helper.from_array(q, name + "_q"),
                              numpy_helper.from_array(np.array(scale, dtype=np.float32), name + "_scale"),
                              numpy_helper.from_array(np.array(zero, dtype=dtype), name + "_zero")])
        g.node.insert(0, helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zero"], [name]))
    return model


def save(model, path, external=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.checker.check_model(model)
    if external:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=external, size_threshold=1024)
    else:
        onnx.save_model(model, str(path))


def side_files(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in SIDE_FILES:
        shutil.copyfile(TINY / name, folder / name)


F16, BF16, I32 = TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.INT32


def fixtures():
    """name -> (what it exercises, builder writing the folder, expected ids: 'reference' or a key of expected-ids.json)."""
    def simple(model_fn, file="model.onnx", external=None):
        def build(folder):
            side_files(folder)
            save(model_fn(), folder / file, external)
        return build

    def merged_layout(folder):
        side_files(folder)
        save(merged(base_model()), folder / "decoder_model_merged.onnx")
        # The two halves that optimum writes beside the merged file: the loader must pick the merged one.
        save(base_model(), folder / "decoder_model.onnx")
        save(base_model(), folder / "decoder_with_past_model.onnx")

    def onnx_community(folder):
        side_files(folder)
        onnx_dir = folder / "onnx"
        save(with_logits_to_keep(base_model()), onnx_dir / "model.onnx", "model.onnx_data")
        save(with_logits_to_keep(with_dtypes(base_model(), kv=F16, logits=F16)), onnx_dir / "model_fp16.onnx")
        save(with_logits_to_keep(quantize_int4(base_model())), onnx_dir / "model_q4.onnx")
        save(with_logits_to_keep(with_dtypes(quantize_int4(base_model()), kv=F16, logits=F16)), onnx_dir / "model_q4f16.onnx")
        save(with_logits_to_keep(quantize_int8(base_model(), np.int8)), onnx_dir / "model_int8.onnx")
        save(with_logits_to_keep(quantize_int8(base_model(), np.uint8)), onnx_dir / "model_uint8.onnx")
        save(with_logits_to_keep(quantize_int8(base_model(), np.uint8)), onnx_dir / "model_quantized.onnx")

    def q4_only(folder):
        side_files(folder)
        save(quantize_int4(base_model()), folder / "model_q4.onnx")
        save(with_dtypes(quantize_int4(base_model()), kv=F16, logits=F16), folder / "model_q4f16.onnx")

    return {
        "optimum-external-data": ("model.onnx + model.onnx_data (external weights)", simple(base_model, external="model.onnx_data"), "reference"),
        "optimum-dot-data": ("model.onnx + model.onnx.data", simple(base_model, external="model.onnx.data"), "reference"),
        "int32-mask": ("int32 attention_mask and position_ids", simple(lambda: with_dtypes(base_model(), mask=I32)), "reference"),
        "fp16-logits": ("fp16 logits", simple(lambda: with_dtypes(base_model(), logits=F16)), "reference"),
        "fp16-kv": ("fp16 KV cache and logits", simple(lambda: with_dtypes(base_model(), kv=F16, logits=F16)), "reference"),
        "bf16-kv": ("bf16 KV cache and logits", simple(lambda: with_dtypes(base_model(), kv=BF16, logits=BF16)), "reference"),
        "no-position-ids": ("no position_ids input (positions computed in the graph)", simple(lambda: without_position_ids(base_model())), "reference"),
        "logits-to-keep": ("num_logits_to_keep input", simple(lambda: with_logits_to_keep(base_model())), "reference"),
        "merged-decoder": ("decoder_model_merged.onnx with use_cache_branch, beside decoder_model.onnx and decoder_with_past_model.onnx", merged_layout, "reference"),
        "onnx-community": ("onnx-community layout: tokenizer at the root, onnx/model{,_fp16,_q4,_q4f16,_int8,_uint8,_quantized}.onnx, external data, num_logits_to_keep", onnx_community, "q4"),
        "q4-only": ("a folder holding only model_q4.onnx and model_q4f16.onnx", q4_only, "q4"),
    }


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".build" / "fixtures" / "decoders"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    listing = {}
    for name, (what, build, expected) in fixtures().items():
        build(out / name)
        listing[name] = {"what": what, "expected": expected}
        print(f"{name}: {what}")
    (out / "fixtures.json").write_text(json.dumps(listing, indent=1) + "\n")
    (out / "VERSION").write_text(GENERATOR_VERSION + "\n")


if __name__ == "__main__":
    main()
