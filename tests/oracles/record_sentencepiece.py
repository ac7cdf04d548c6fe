#!/usr/bin/python3
"""Trains two tiny SentencePiece models (BPE and Unigram, byte_fallback, two user-defined chat tokens) with Debian's
python3-sentencepiece, writes each as tokenizer.model and as a tokenizer.json laid out the way transformers' converters
write SentencePiece tokenizers (BPE: Prepend/Replace "▁" normalizer, merges, byte_fallback, ByteFallback/Fuse/Strip
decoder; Unigram: Metaspace pre-tokenizer and decoder), and records what sentencepiece itself gives for 40 strings:
ids (with BOS, as add_bos_token does) and the decoded text. Run with Debian's /usr/bin/python3:

    /usr/bin/python3 tests/oracles/record_sentencepiece.py
"""
import io
import json
import pathlib

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

OUT = pathlib.Path(__file__).resolve().parents[1] / "ModelIde.Core.Tests" / "Inference" / "Fixtures" / "tokenizers"
SPECIALS = ["<|im_start|>", "<|im_end|>"]

CORPUS = [
    "The quick brown fox jumps over the lazy dog.", "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)",
    "import os\nfor name in os.listdir('.'):\n    print(name)", "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y",
    "机器学习是人工智能的一个分支。", "深度学习模型需要大量的数据和计算资源。", "今天天气很好，我们去公园散步吧。",
    "東京は日本の首都です。", "私は毎朝コーヒーを飲みます。", "ひらがなとカタカナと漢字を使います。",
    "Hello, world! How are you today?", "ModelScope hosts models and datasets for machine learning.",
    "x = [i * i for i in range(10) if i % 2 == 0]", "while True:\n\tline = input()\n\tif not line:\n\t\tbreak",
    "SELECT name, count(*) FROM users GROUP BY name;", "<html><body><p>Hi</p></body></html>",
    "numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14159", "Emoji are rare in this corpus 🙂 but not absent.",
]


def train(kind, vocab):
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_writer=buf, model_type=kind, vocab_size=vocab, byte_fallback=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=True, character_coverage=1.0, split_digits=True, hard_vocab_limit=False,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, minloglevel=2)
    return buf.getvalue()


def added_tokens(proto):
    """<unk>, <s>, </s> where SentencePiece put them, and the chat tokens appended after the vocabulary, as
    Phi-3 and others add theirs."""
    out = []
    for i, p in enumerate(proto.pieces):
        if p.type in (model_pb2.ModelProto.SentencePiece.CONTROL, model_pb2.ModelProto.SentencePiece.UNKNOWN):
            out.append({"id": i, "content": p.piece, "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": False, "special": True})
    for j, content in enumerate(SPECIALS):
        out.append({"id": len(proto.pieces) + j, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                    "normalized": False, "special": True})
    return out


def encode_like_transformers(sp, text, specials):
    """transformers' slow SentencePiece tokenizers (legacy): split on the added tokens, encode each piece of text in
    between with SentencePiece (each one gets the dummy prefix), the added tokens by their ids."""
    ids, rest = [], text
    while rest:
        hits = [(rest.find(s), s) for s in specials if rest.find(s) >= 0]
        if not hits:
            ids += sp.encode(rest)
            break
        at, special = min(hits)
        if at > 0:
            ids += sp.encode(rest[:at])
        ids.append(specials[special])
        rest = rest[at + len(special):]
    return ids


def bos_post_processor(proto):
    bos = proto.pieces[1].piece
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [1], "tokens": [bos]}}}


def bpe_json(proto):
    vocab = {p.piece: i for i, p in enumerate(proto.pieces)}
    # Merges as transformers' SentencePieceExtractor derives them: every split of a piece into two pieces of the vocab,
    # ordered by the merged piece's id (SentencePiece BPE ranks merges by score, which falls with the id).
    merges = []
    for piece, rank in vocab.items():
        for cut in range(1, len(piece)):
            a, b = piece[:cut], piece[cut:]
            if a in vocab and b in vocab:
                merges.append((rank, vocab[a], vocab[b], a, b))
    merges.sort()
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens(proto),
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                           {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
        "pre_tokenizer": None, "post_processor": bos_post_processor(proto),
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                                                     {"type": "ByteFallback"}, {"type": "Fuse"},
                                                     {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for _, _, _, a, b in merges]},
    }


def unigram_json(proto):
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens(proto),
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": bos_post_processor(proto),
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": True,
                  "vocab": [[p.piece, p.score] for p in proto.pieces]},
    }


STRINGS = [
    "Hello world", "hello", " leading space", "trailing space ", "two  spaces", "many     spaces here",
    "tabs\tand\ttabs", "line one\nline two", "blank lines\n\n\nend", "\n starts with a newline",
    "def add(a, b):\n    return a + b", "for i in range(3):\n\tprint(i)", "x=[1,2,3];y={'k':None}", "if (a && b) || !c { return; }",
    "机器学习", "人工智能的一个分支。", "今天天气很好", "中文和English混合", "東京は日本の首都です。", "カタカナ",
    "ひらがな と 漢字", "🙂", "emoji 🚀🔥 rocket", "family 👨‍👩‍👧 zwj", "accents: café naïve résumé", "Ελληνικά και русский",
    "<|im_start|>user\nhi<|im_end|>\n", "<|im_start|>assistant\n", "text<|im_end|>", "numbers 1234567890 3.14",
    "   ", "a", "UPPER lower MiXeD", "symbols ~!@#$%^&*()_+`-=", "unknown char ☃ snowman", "quotes 'single' \"double\"",
    "back\\slash", "url https://modelscope.cn/models?q=qwen", "日本語のテキストと中文文本", "end.",
]


def record(kind, vocab):
    model = train(kind, vocab)
    proto = model_pb2.ModelProto()
    proto.ParseFromString(model)
    folder = OUT / f"sp-{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.model").write_bytes(model)
    tokenizer = bpe_json(proto) if kind == "bpe" else unigram_json(proto)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    specials = {content: len(proto.pieces) + j for j, content in enumerate(SPECIALS)}
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
         "added_tokens_decoder": {str(i): {"content": c, "special": True} for c, i in specials.items()}}, indent=1) + "\n")
    sp = spm.SentencePieceProcessor(model_proto=model)
    cases = []
    for s in STRINGS:
        ids = [sp.bos_id()] + encode_like_transformers(sp, s, specials)
        # Decoding skips the added tokens, as transformers' decode(skip_special_tokens=True) does.
        cases.append({"text": s, "ids": ids, "decoded": sp.decode([i for i in ids[1:] if i < len(proto.pieces)])})
    (folder / "expected.json").write_text(json.dumps(
        {"oracle": f"python3-sentencepiece {spm.__version__} (Debian), {kind}, vocab {len(proto.pieces)}; ids start with BOS "
                   "(add_bos_token); added chat tokens split out first as transformers does; decoded = decode(ids without BOS and added tokens)", "cases": cases}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{kind}: {len(proto.pieces)} pieces, {len(cases)} strings")


if __name__ == "__main__":
    record("bpe", 600)
    record("unigram", 600)
