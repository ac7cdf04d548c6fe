#!/usr/bin/python3
"""Makes every ONNX decoder layout and dtype that "Run locally" must handle, from tiny-stdlib-coder's weights.

    /usr/bin/python3 tests/tools/decoder_fixtures/generate.py [OUT_DIR]     (default: .build/fixtures/decoders)

Needs Debian's python3-onnx and python3-numpy (scripts/setup/40-inference-oracles.sh installs them). The generated
models are not committed: tests run this script when OUT_DIR/VERSION does not match GENERATOR_VERSION. Each fixture is
a model folder laid out as a real exporter lays it out (optimum, the legacy merged decoder, onnx-community /
transformers.js, a q4-only folder, the ONNX Runtime GenAI model builder's int4 GroupQueryAttention graph nested in a hub
repo's variant folders), with the tokenizer and config files of tiny-stdlib-coder. fixtures.json lists them with what
each one exercises and which greedy ids it must give: reference.json's where the arithmetic is the same (graph
rewrites, int32 inputs, external data, the fp16/bf16 casts of KV and logits, the builder's fp32 GQA graph), or, for the
int4 weights, ids recorded once by ONNX Runtime GenAI's own decode loop over the same file
(tests/tools/decoder_fixtures/expected-ids.json; re-record with MODELIDE_RECORD_EXPECTED_IDS=1 dotnet test
tests/ModelIde.Core.Tests --filter GenAiParityTests.Expected after changing how those models are made; without the variable
that test checks the file against GenAI).
"""
import json
import pathlib
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GENERATOR_VERSION = "5"
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


# --- The ONNX Runtime GenAI model builder's shape (src/python/py/models/builders/base.py, read at a0c04eb) ----------
# CPU fp32 io: GroupQueryAttention with rotary inside (cos_cache/sin_cache initializers, no position_ids input), packed
# QKV MatMul + packed bias Add, seqlens_k = ReduceSum(mask) - 1 and total_sequence_length = Shape(mask)[1] as int32,
# SimplifiedLayerNormalization then SkipSimplifiedLayerNormalization, SiLU as Sigmoid * x, KV last dim symbolic
# ("kv_cache_dim"), past_present_share_buffer true in genai_config.json. int4: MatMulNBits (bits 4, block 32, symmetric,
# accuracy_level 4) for every projection and the lm_head, the embedding a float Gather.

def tiny_weights():
    """tiny-stdlib-coder's weights by role: the export names MatMul weights onnx::MatMul_N, so read them off the nodes."""
    m = base_model()
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    w = {"embed": init["m.embed_tokens.weight"], "norm": init["m.norm.weight"]}
    for node in m.graph.node:
        if node.op_type == "MatMul" and node.input[1] in init:
            role = node.name.strip("/").split("/")[0]  # q_proj, q_proj_1, ..., lm_head
            base, _, layer = role.rpartition("_") if role[-1].isdigit() else (role, "", "0")
            w[(base, int(layer)) if base != "lm_head" else "lm_head"] = init[node.input[1]]
    for i in range(LAYERS):
        for name in ("q_proj.bias", "k_proj.bias", "v_proj.bias"):
            w[(name, i)] = init[f"m.layers.{i}.self_attn.{name}"]
        for name in ("input_layernorm.weight", "post_attention_layernorm.weight"):
            w[(name, i)] = init[f"m.layers.{i}.{name}"]
    return w


def rope_caches(head, positions=2048, theta=10000.0):
    inv_freq = (1.0 / (theta ** (np.arange(0, head, 2, dtype=np.int64).astype(np.float32) / head))).astype(np.float32)
    freqs = np.outer(np.arange(positions, dtype=np.float32), inv_freq).astype(np.float32)
    return np.cos(freqs).astype(np.float32), np.sin(freqs).astype(np.float32)


def int4_blocks(w, block=32):
    """[K, N] float -> MatMulNBits' B [N, K/block, block/2] uint8 and scales [N * K/block], symmetric (zero point 8)."""
    k, n = w.shape
    blocks = (k + block - 1) // block
    padded = np.zeros((blocks * block, n), dtype=np.float32)
    padded[:k] = w
    per_block = padded.reshape(blocks, block, n)
    scale = np.abs(per_block).max(axis=1) / 7.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(per_block / scale[:, None, :]) + 8, 0, 15).astype(np.uint8).transpose(2, 0, 1)
    return (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8), scale.T.reshape(-1).astype(np.float32)


def genai_builder_model(int4, io=TensorProto.FLOAT):
    w = tiny_weights()
    heads, kv_heads, head, hidden = 8, 2, 32, 256
    vocab = w["embed"].shape[0]
    npio = np.float16 if io == TensorProto.FLOAT16 else np.float32
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def tensor(name, value):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value.astype(npio)), name))
        return name

    def matmul(base, x, weight):
        out = base + "/output_0"
        if int4:
            packed, scales = int4_blocks(weight)
            k, n = weight.shape
            nodes.append(helper.make_node("MatMulNBits", [x, const(base[1:].replace("/", ".") + ".weight_Q4G32", packed),
                                                           tensor(base[1:].replace("/", ".") + ".weight_scales", scales)],
                                          [out], name=base, domain="com.microsoft", K=k, N=n, bits=4, block_size=32, accuracy_level=4))
        else:
            nodes.append(helper.make_node("MatMul", [x, tensor(base[1:].replace("/", ".") + ".weight", weight)], [out], name=base))
        return out

    def node(op, inputs, name, outputs=None, domain=None, **attrs):
        outputs = outputs or [name + "/output_0"]
        nodes.append(helper.make_node(op, inputs, outputs, name=name, domain=domain, **attrs))
        return outputs[0]

    # attention_mask -> seqlens_k (ReduceSum - 1, int32) and total_sequence_length (Shape[1], int32), as the builder does.
    m = "/model/attn_mask_reformat/attn_mask_subgraph"
    s = node("ReduceSum", ["attention_mask", const("/model/constants/INT64/[1]", np.array([1], dtype=np.int64))], m + "/ReduceSum", keepdims=0)
    s = node("Sub", [s, const("/model/constants/INT64/1", np.array(1, dtype=np.int64))], m + "/Sub")
    seqlens_k = node("Cast", [s], m + "/Sub/Cast", to=TensorProto.INT32)
    t = node("Shape", ["attention_mask"], m + "/Shape")
    t = node("Gather", [t, "/model/constants/INT64/1"], m + "/Gather", axis=0)
    total_len = node("Cast", [t], m + "/Gather/Cast", to=TensorProto.INT32)

    cos, sin = rope_caches(head)
    tensor("cos_cache", cos)
    tensor("sin_cache", sin)
    x = node("Gather", [tensor("model.embed_tokens.weight", w["embed"]), "input_ids"], "/model/embed_tokens/Gather")
    eps = 1e-6
    normed = node("SimplifiedLayerNormalization", [x, tensor("model.layers.0.input_layernorm.weight", w[("input_layernorm.weight", 0)])],
                  "/model/layers.0/input_layernorm/LayerNorm", outputs=["/model/layers.0/input_layernorm/output_0"], axis=-1, epsilon=eps, stash_type=1)
    residual = x
    for i in range(LAYERS):
        p = f"/model/layers.{i}"
        qkv_w = np.concatenate([w[("q_proj", i)], w[("k_proj", i)], w[("v_proj", i)]], axis=1)
        qkv = matmul(p + "/attn/qkv_proj/MatMul", normed, qkv_w)
        qkv_b = np.concatenate([w[("q_proj.bias", i)], w[("k_proj.bias", i)], w[("v_proj.bias", i)]])
        qkv = node("Add", [qkv, tensor(f"model.layers.{i}.attn.qkv_proj.Add.bias", qkv_b)], p + "/attn/qkv_proj/Add")
        attn = node("GroupQueryAttention",
                    [qkv, "", "", f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens_k, total_len, "cos_cache", "sin_cache"],
                    p + "/attn/GroupQueryAttention", outputs=[p + "/attn/GroupQueryAttention/output_0", f"present.{i}.key", f"present.{i}.value"],
                    domain="com.microsoft", num_heads=heads, kv_num_heads=kv_heads, scale=float(1 / np.sqrt(head)),
                    local_window_size=-1, softcap=0.0, do_rotary=1, rotary_interleaved=0)
        o = matmul(p + "/attn/o_proj/MatMul", attn, w[("o_proj", i)])
        ln = p + "/post_attention_layernorm"
        node("SkipSimplifiedLayerNormalization", [residual, o, tensor(f"model.layers.{i}.post_attention_layernorm.weight", w[("post_attention_layernorm.weight", i)])],
             ln + "/SkipLayerNorm", outputs=[ln + "/output_0", "", "", ln + "/output_3"], domain="com.microsoft", epsilon=eps)
        normed, residual = ln + "/output_0", ln + "/output_3"
        gate = matmul(p + "/mlp/gate_proj/MatMul", normed, w[("gate_proj", i)])
        up = matmul(p + "/mlp/up_proj/MatMul", normed, w[("up_proj", i)])
        sig = node("Sigmoid", [gate], p + "/mlp/act_fn/Sigmoid")
        act = node("Mul", [gate, sig], p + "/mlp/act_fn/Mul")
        prod = node("Mul", [act, up], p + "/mlp/Mul")
        down = matmul(p + "/mlp/down_proj/MatMul", prod, w[("down_proj", i)])
        last = i == LAYERS - 1
        ln = "/model/layers.%d/final_norm_layernorm" % LAYERS if last else f"/model/layers.{i + 1}/input_layernorm"
        weight = tensor("model.layers.%d.final_norm_layernorm.weight" % LAYERS, w["norm"]) if last else \
            tensor(f"model.layers.{i + 1}.input_layernorm.weight", w[("input_layernorm.weight", i + 1)])
        node("SkipSimplifiedLayerNormalization", [residual, down, weight], ln + "/SkipLayerNorm",
             outputs=[ln + "/output_0"] if last else [ln + "/output_0", "", "", ln + "/output_3"], domain="com.microsoft", epsilon=eps)
        normed = ln + "/output_0"
        residual = None if last else ln + "/output_3"
    lm = matmul("/lm_head/MatMul", normed, w["lm_head"])
    nodes[-1].output[0] = "logits"

    kv_shape = lambda seq: ["batch_size", kv_heads, seq, "kv_cache_dim"]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", io, ["batch_size", "sequence_length", vocab])]
    for i in range(LAYERS):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", io, kv_shape("past_sequence_length")))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}", io, kv_shape("total_sequence_length")))
    graph = helper.make_graph(nodes, "main_graph", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
                              producer_name="modelide decoder_fixtures (onnxruntime-genai builder shape)")
    model.ir_version = 8
    return model


def genai_config(folder, filename="model.onnx", io="fp32"):
    """What the builder writes beside the model (make_genai_config), for tiny-stdlib-coder's config and generation config."""
    cfg = {
        "model": {
            "bos_token_id": 4093, "context_length": 2048,
            "decoder": {
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": [] if io == "fp32" else [{"cuda": {}}]},
                "filename": filename, "head_size": 32, "hidden_size": 256,
                "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                           "past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"},
                "outputs": {"logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value"},
                "num_attention_heads": 8, "num_hidden_layers": LAYERS, "num_key_value_heads": 2,
            },
            "eos_token_id": 4093, "pad_token_id": 4093, "type": "qwen2", "vocab_size": 4096,
        },
        "search": {
            "diversity_penalty": 0.0, "do_sample": False, "early_stopping": True, "length_penalty": 1.0, "max_length": 2048,
            "min_length": 0, "no_repeat_ngram_size": 0, "num_beams": 1, "num_return_sequences": 1,
            "past_present_share_buffer": True, "repetition_penalty": 1.0, "temperature": 1.0, "top_k": 50, "top_p": 1.0,
        },
    }
    (folder / "genai_config.json").write_text(json.dumps(cfg, indent=4) + "\n")


def genai_builder_folder(folder, model, io="fp32"):
    """model.onnx + model.onnx.data + genai_config.json + the tokenizer files, as the builder's output folder holds."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(TINY / name, folder / name)
    genai_config(folder, io=io)
    # The builder's custom ops are not in python3-onnx 1.12's schema registry: no checker here; ONNX Runtime loads it.
    onnx.save_model(model, str(folder / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=1024)


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

    def genai_builder_repo(folder):
        # A hub repo of builder outputs: variants nested two levels down, only a README at the root.
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "README.md").write_text("ONNX Runtime GenAI builder outputs of tiny-stdlib-coder (generated test fixture).\n")
        genai_builder_folder(folder / "cpu_and_mobile" / "cpu-int4-rtn-block-32-acc-level-4", genai_builder_model(int4=True))
        genai_builder_folder(folder / "cuda" / "cuda-fp16", genai_builder_model(int4=False, io=F16), io="fp16")

    return {
        "genai-builder": ("ONNX Runtime GenAI builder repo: cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4/ (MatMulNBits int4, GroupQueryAttention with rotary inside, "
                          "past_present_share_buffer, no position_ids, symbolic KV head size) beside cuda/cuda-fp16/", genai_builder_repo, "genai-int4"),
        "genai-builder-fp32": ("ONNX Runtime GenAI builder cpu fp32 output at the root: GroupQueryAttention + shared KV buffer over tiny-stdlib-coder's own weights",
                               lambda folder: genai_builder_folder(folder, genai_builder_model(int4=False)), "reference"),
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
