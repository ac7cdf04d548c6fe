#!/usr/bin/python3
"""Records what Hugging Face's apply_chat_template renders for the chat-template fixtures, using Debian's python3-jinja2
set up the way transformers sets it up (sandboxed, trim_blocks, lstrip_blocks, loop controls, raise_exception, tojson
with ensure_ascii=False, strftime_now). Run with Debian's /usr/bin/python3:

    /usr/bin/python3 tests/oracles/record_chat_templates.py

It reads tests/ModelIde.Core.Tests/Inference/Fixtures/chat-templates/*.jinja and writes expected.json beside them.
The C# tests render the same cases with ModelIde's engine and compare byte for byte.
"""
import datetime
import json
import pathlib

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "ModelIde.Core.Tests" / "Inference" / "Fixtures" / "chat-templates"
# strftime_now reads this fixed clock, so recordings do not depend on the day they were made.
NOW = datetime.datetime(2026, 3, 7, 9, 5, 2)

# The special tokens each family's tokenizer_config.json sets (transformers passes them all to the template).
TOKENS = {
    "qwen2.5": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "llama-3.1": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "phi-3.5": {"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>", "pad_token": "<|endoftext|>"},
    "phi-4": {"bos_token": "<|endoftext|>", "eos_token": "<|im_end|>", "pad_token": "<|dummy_85|>"},
    "gemma-2": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
    "mistral-nemo": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "mixtral-v0.1": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
}

USER = {"role": "user", "content": "Hi"}
CONVERSATIONS = {
    "one-user": [USER],
    "system-and-user": [{"role": "system", "content": "You are terse."}, USER],
    "multi-turn": [
        {"role": "user", "content": "  Write hello world in C#.  \n"},
        {"role": "assistant", "content": "Console.WriteLine(\"Hello, {world}!\");\n// {{ not a tag }} {% neither %}"},
        {"role": "user", "content": "用中文解释，再加一个表情 🚀\n\n谢谢！"},
    ],
    "system-multi-turn": [
        {"role": "system", "content": "Answer in one line.\nNo markdown."},
        {"role": "user", "content": "What's 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And tabs\tand 'quotes' and \"double\" and \\ backslash?"},
    ],
    "empty-system": [{"role": "system", "content": ""}, USER],
    "not-alternating": [USER, USER],
}


class TemplateRaised(Exception):
    pass


def environment():
    def raise_exception(message):
        raise TemplateRaised(message)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    return env


def main():
    env = environment()
    cases = []
    for path in sorted(FIXTURES.glob("*.jinja")):
        family = path.stem
        template = env.from_string(path.read_text(encoding="utf-8"))
        for name, messages in CONVERSATIONS.items():
            for generation_prompt in (True, False):
                context = dict(TOKENS[family])
                case = {"family": family, "conversation": name, "add_generation_prompt": generation_prompt,
                        "special_tokens": context, "messages": messages}
                try:
                    case["expected"] = template.render(messages=messages, tools=None, documents=None,
                                                       add_generation_prompt=generation_prompt, **context)
                except TemplateRaised as e:
                    case["raises"] = str(e)
                cases.append(case)
    out = {"oracle": f"python3-jinja2 {jinja2.__version__} (Debian), ImmutableSandboxedEnvironment(trim_blocks=True, "
                     "lstrip_blocks=True, loopcontrols) as transformers' apply_chat_template",
           "now": NOW.isoformat(), "cases": cases}
    (FIXTURES / "expected.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases, {sum('raises' in c for c in cases)} raise")


if __name__ == "__main__":
    main()
