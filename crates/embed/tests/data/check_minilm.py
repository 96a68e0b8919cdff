"""Compares kb-embed with a numpy reference of all-MiniLM-L6-v2 (Python `tokenizers` for the
tokens) on varied texts, and optionally on a BEIR corpus. Needs numpy, safetensors, tokenizers.

    cargo build --release -p kb-embed --example embed
    python3 crates/embed/tests/data/check_minilm.py MODEL_DIR target/release/examples/embed \
        [--corpus CORPUS.jsonl N] [--fuzz N]

--corpus adds the first N records of a BEIR corpus (title + " " + text); --fuzz adds N random
short strings mixing ASCII, digits, punctuation, odd whitespace, accents and combining marks,
CJK, Hangul, emoji, control and format characters and the special tokens (a tokenization that
differs from `tokenizers` shows as a large difference). Prints the largest absolute difference
per text and overall; exits 1 above 1e-4.
"""

import json
import random
import subprocess
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MODEL, BINARY = sys.argv[1].rstrip("/") + "/", sys.argv[2]
W = load_file(MODEL + "model.safetensors")
CFG = json.load(open(MODEL + "config.json"))
TK = Tokenizer.from_file(MODEL + "tokenizer.json")
TK.enable_truncation(256)
TK.no_padding()


W = {k[5:] if k.startswith("bert.") else k: v.astype(np.float32) for k, v in W.items()}


def g(n):
    return W[n]


def ln(x, p):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + CFG["layer_norm_eps"]) * g(p + ".weight") + g(p + ".bias")


def erf(x):
    a = np.abs(x)
    t = 1 / (1 + 0.5 * a)
    y = 1 - t * np.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
    return np.sign(x) * y


def embed(text):
    ids = TK.encode(text).ids
    n, d, h = len(ids), CFG["hidden_size"], CFG["num_attention_heads"]
    dh = d // h
    x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[:n] + g("embeddings.token_type_embeddings.weight")[0]
    x = ln(x, "embeddings.LayerNorm")
    for l in range(CFG["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        lin = lambda t, m: t @ g(p + m + ".weight").T + g(p + m + ".bias")
        q, k, v = (lin(x, "attention.self." + m).reshape(n, h, dh).transpose(1, 0, 2) for m in ["query", "key", "value"])
        a = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(1, 0, 2).reshape(n, d)
        x = ln(x + lin(c, "attention.output.dense"), p + "attention.output.LayerNorm")
        u = lin(x, "intermediate.dense")
        x = ln(x + lin(0.5 * u * (1 + erf(u / np.sqrt(2))), "output.dense"), p + "output.LayerNorm")
    e = x.mean(0)
    return e / np.linalg.norm(e), len(ids)


TEXTS = [
    "This is an example sentence",
    "Each sentence is converted",
    "",
    "   ",
    "Café, naïve résumé; Ångström — Zürich Straße! ÉCOLE élan façade",
    "Numbers: 3.14159, 1,000,000; 42nd; 10^-3 mol/L ± 0.5% (p < 0.001) $19.99 #1 @home",
    "Punctuation!!! ??? ... --- ((nested [brackets] {braces})) \"quotes\" 'single' `tick` ~tilde~ |pipe|",
    "中文文本 and 日本語のテキスト, 한국어 텍스트",
    "Emoji 🙂👍🏽 and 👩\u200d💻 zero\u200bwidth soft\u00adhyphen tab\tnew\nline\r\nnbsp\u00a0ideographic\u3000space",
    "Ελληνικά κείμενα, русский текст, עברית, العربية, हिन्दी पाठ",
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "x" * 150 + " long word",
    "special [SEP] tokens [CLS] in [MASK] text [UNK] and [sep]",
    "BRCA1 mutations increase breast-cancer risk; IL-6/STAT3 signalling in CD4+ T-cells (n=1,234).",
    " ".join(f"word{i} and some more text, with numbers {i * 37 % 1000}." for i in range(120)),
    "The quick brown fox jumps over the lazy dog. " * 40,
]


ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 3)
    + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    + [" ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u2009", "\u3000", "\u2028", "\u0085", "\u000b"]
    + list("éèêëàâäôöûüçñÉÀÇÑßøåæœ") + ["\u0301", "\u0308", "\u0327", "\u0903", "\u20dd"]
    + list("中文字日本語한국어テキスト") + ["\U00020000", "\uf900"]
    + list("αβγδЖжשלוםمرحباनमस्ते") + list("«»¿¡—–…‘’“”•€£¥©®°±×÷µ¶§")
    + ["🙂", "👍🏽", "👩\u200d💻", "🇫🇷", "\u200b", "\u200d", "\u00ad", "\ufeff", "\ue000", "\x00", "\x07", "\ufffd", "\U0010fffd"]
    + ["[SEP]", "[CLS]", "[MASK]", "[UNK]", "[PAD]", "[sep]", " the ", " protein ", "ing", "##"]
)


def fuzz(n):
    rng = random.Random(20250101)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def main():
    texts = list(TEXTS)
    args = sys.argv[3:]
    while args:
        if args[0] == "--corpus":
            with open(args[1]) as f:
                for line, _ in zip(f, range(int(args[2]))):
                    r = json.loads(line)
                    texts.append(r.get("title", "") + " " + r.get("text", ""))
            args = args[3:]
        elif args[0] == "--fuzz":
            texts += fuzz(int(args[1]))
            args = args[2:]
        else:
            sys.exit(f"unknown argument {args[0]}")
    out = subprocess.run([BINARY, "vectors", MODEL], input="\n".join(json.dumps(t) for t in texts) + "\n", capture_output=True, text=True, check=True)
    got = [np.array(json.loads(line), np.float32) for line in out.stdout.splitlines()]
    assert len(got) == len(texts)
    worst = 0.0
    for i, (t, v) in enumerate(zip(texts, got)):
        ref, n = embed(t)
        diff = float(np.abs(ref - v).max())
        worst = max(worst, diff)
        if i < len(TEXTS) or diff > 1e-5:
            print(f"{diff:.2e}  {n:3d} tokens  {t[:60]!r}")
    a, b = got[0], got[1]
    print("first dims", " ".join(f"{x:.8f}" for x in a[:6]), " cosine", f"{float(a @ b):.7f}")
    print(f"max abs diff over {len(texts)} texts: {worst:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
