"""Writes golden.rs: token ids and embeddings of the tiny test BERT, computed independently of
kb-embed with the Python `tokenizers` library and a numpy forward pass (the reference
implementation used for all-MiniLM-L6-v2, sized down).

    python3 crates/embed/tests/data/make_tiny_golden.py > crates/embed/tests/data/golden.rs

The weights follow the formula of tests/tiny.rs (`weight`): a splitmix64 hash of the tensor's
name and the element's index, mapped to a multiple of 1/256 in [-0.5, 0.5] (1 + that / 2 for
LayerNorm weights), so both sides compute the same f32 values exactly.
"""

import json
import os

import numpy as np
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = [line.rstrip("\n") for line in open(os.path.join(HERE, "tiny_vocab.txt"), encoding="utf-8")]
CFG = dict(hidden=8, heads=2, layers=2, inter=16, positions=16, types=2, vocab=len(VOCAB))
MAX_LEN = 16  # min(256, max_position_embeddings): no sentence_bert_config.json
M64 = (1 << 64) - 1


def fnv1a(name):
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def value(name, i):
    x = (fnv1a(name) ^ ((i * 0x9E3779B97F4A7C15) & M64)) & M64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & M64
    x ^= x >> 31
    return (x % 257) - 128


def tensor(name, shape):
    n = int(np.prod(shape))
    v = np.array([value(name, i) for i in range(n)], np.float64)
    v = 1 + v / 512 if name.endswith("LayerNorm.weight") else v / 256
    return v.astype(np.float32).reshape(shape)


def shapes():
    d, i = CFG["hidden"], CFG["inter"]
    s = {
        "embeddings.word_embeddings.weight": [CFG["vocab"], d],
        "embeddings.position_embeddings.weight": [CFG["positions"], d],
        "embeddings.token_type_embeddings.weight": [CFG["types"], d],
        "embeddings.LayerNorm.weight": [d],
        "embeddings.LayerNorm.bias": [d],
    }
    for l in range(CFG["layers"]):
        p = f"encoder.layer.{l}."
        for m in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]:
            s[p + m + ".weight"] = [d, d]
            s[p + m + ".bias"] = [d]
        s[p + "intermediate.dense.weight"] = [i, d]
        s[p + "intermediate.dense.bias"] = [i]
        s[p + "output.dense.weight"] = [d, i]
        s[p + "output.dense.bias"] = [d]
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"]:
            s[p + ln + ".weight"] = [d]
            s[p + ln + ".bias"] = [d]
    return s


W = {name: tensor(name, shape) for name, shape in shapes().items()}


def erf(x):
    # Numerical Recipes erfc (relative error < 1.2e-7), as in the MiniLM reference.
    a = np.abs(x)
    t = 1 / (1 + 0.5 * a)
    y = 1 - t * np.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
    return np.sign(x) * y


def ln(x, p):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-12) * W[p + ".weight"] + W[p + ".bias"]


def embed_ids(ids):
    d, h = CFG["hidden"], CFG["heads"]
    dh = d // h
    n = len(ids)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:n] + W["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, "embeddings.LayerNorm")
    for l in range(CFG["layers"]):
        p = f"encoder.layer.{l}."
        lin = lambda t, m: t @ W[p + m + ".weight"].T + W[p + m + ".bias"]
        q, k, v = (lin(x, "attention.self." + m).reshape(n, h, dh).transpose(1, 0, 2) for m in ["query", "key", "value"])
        a = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(1, 0, 2).reshape(n, d)
        x = ln(x + lin(c, "attention.output.dense"), p + "attention.output.LayerNorm")
        u = lin(x, "intermediate.dense")
        u = 0.5 * u * (1 + erf(u / np.sqrt(2)))
        x = ln(x + lin(u, "output.dense"), p + "output.LayerNorm")
    e = x.mean(0)
    return e / np.linalg.norm(e)


def tokenizer():
    tk = Tokenizer(models.WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]", max_input_chars_per_word=100))
    tk.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tk.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tk.enable_truncation(MAX_LEN)
    return tk


TEXTS = [
    "the cat sat on the mat",
    "Café NAÏVE cats!",
    "unable, running dogs... 123 $9",
    "",
    "   \t\n ",
    "hello [SEP] world[MASK]!",
    "[sep] [Sep] [UNK]",
    "中文 hello中world",
    "the cat sat on the mat " * 5,
    "x\u200bthe\ttab\u00a0the\u3000mat\u0085cat\u000bdog",
    "hello 🙂 world 👩\u200d💻",
    "¿hello? «the» 'cat' — mat",
    "a" * 101 + " cat",
    "e\u0301 É ÉCOLE élan",
    "dog\u00adrun run\ufffdning \u0000the",
    "$$$ 1,2 1.2 12 23 e9 9e",
]


def rust_str(s):
    out = []
    for c in s:
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 0x20 <= ord(c) < 0x7F:
            out.append(c)
        else:
            out.append("\\u{%x}" % ord(c))
    return '"' + "".join(out) + '"'


def main():
    tk = tokenizer()
    print("// Generated by make_tiny_golden.py: do not edit.")
    print("// Token ids (Python `tokenizers`) and embeddings (numpy) of the tiny test BERT.")
    print()
    print("/// (text, ids with [CLS] and [SEP], truncated to 16).")
    print("#[allow(dead_code)]")
    print("pub(crate) const TINY_TOKEN_IDS: &[(&str, &[u32])] = &[")
    for t in TEXTS:
        print(f"    ({rust_str(t)}, &{tk.encode(t).ids}),")
    print("];")
    print()
    print("/// (text, embedding).")
    print("#[allow(dead_code)]")
    print(f"pub(crate) const TINY_EMBEDDINGS: &[(&str, [f32; {CFG['hidden']}])] = &[")
    for t in TEXTS:
        e = embed_ids(tk.encode(t).ids)
        vals = ", ".join(str(np.float32(v)) for v in e)  # the shortest exact f32
        print(f"    ({rust_str(t)}, [{vals}]),")
    print("];")


if __name__ == "__main__":
    main()
