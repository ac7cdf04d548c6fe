#!/usr/bin/python3
"""Differential oracle for our SentencePiece encoder: five tiny models trained with Debian's python3-sentencepiece (the
two of record_sentencepiece.py, plus BPE and Unigram without byte fallback, with remove_extra_whitespaces and
user-defined symbols, and a BPE without the dummy prefix), and what sentencepiece gives for 500 seeded random strings
each (words of the training corpus, CJK, emoji, accents, characters outside the vocabulary, runs of spaces, tabs,
newlines): ids (no BOS) and decode(ids). Run with Debian's /usr/bin/python3:

    /usr/bin/python3 tests/oracles/record_sentencepiece_random.py
"""
import io
import json
import pathlib
import random

import sentencepiece as spm

import record_sentencepiece as recorded

FIXTURES = recorded.OUT
OUT = FIXTURES / "sp-random"

ALPHABET = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 .,:;()[]{}=+-*/_'\"\\\t\n")
            + list("机器学习是人工智能的一个分支今天天气很好東京は日本の首都ですカタカナひらがな")
            + ["🙂", "🚀", "é", "ß", "☃", "\u3000", "  ", "   "])
WORDS = ["the", "quick", "fibonacci", "return", "print", "self", "import", "机器学习", "深度", "コーヒー", "name", " in ", "def ", "    "]


def train(kind, **options):
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(recorded.CORPUS * 20), model_writer=buf, model_type=kind, vocab_size=500,
        normalization_rule_name="identity", character_coverage=1.0, split_digits=True, hard_vocab_limit=False,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, minloglevel=2, **options)
    return buf.getvalue()


def texts():
    rnd = random.Random(5)
    out = ["".join(rnd.choice(WORDS) if rnd.random() < 0.4 else rnd.choice(ALPHABET) for _ in range(rnd.randint(1, 12)))
           for _ in range(440)]
    return out + [t + "<tool>" + t for t in out[:60]]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    models = {
        "bpe": (FIXTURES / "sp-bpe" / "tokenizer.model").read_bytes(),
        "unigram": (FIXTURES / "sp-unigram" / "tokenizer.model").read_bytes(),
        "bpe-unk-user": train("bpe", byte_fallback=False, remove_extra_whitespaces=True, user_defined_symbols=["<tool>", "fib"]),
        "unigram-unk-user": train("unigram", byte_fallback=False, remove_extra_whitespaces=True, user_defined_symbols=["<tool>", "fib"]),
        "bpe-no-dummy-prefix": train("bpe", byte_fallback=True, remove_extra_whitespaces=False, add_dummy_prefix=False),
    }
    strings = texts()
    for name, model in models.items():
        if name not in ("bpe", "unigram"):
            (OUT / f"{name}.model").write_bytes(model)
        sp = spm.SentencePieceProcessor(model_proto=model)
        lines = [json.dumps({"text": t, "ids": sp.encode(t), "decoded": sp.decode(sp.encode(t))}, ensure_ascii=False) for t in strings]
        (OUT / f"{name}.expected.json").write_text(
            '{"oracle": "python3-sentencepiece %s (Debian), %s, vocab %d; ids without BOS; decoded = decode(ids)",\n"cases": [\n%s\n]}\n'
            % (spm.__version__, name, sp.get_piece_size(), ",\n".join(lines)), encoding="utf-8")
        print(f"{name}: {sp.get_piece_size()} pieces, {len(strings)} strings")


if __name__ == "__main__":
    main()
