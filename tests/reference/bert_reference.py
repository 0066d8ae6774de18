"""PyTorch + transformers reference numbers for seqlab's BERT encoder (tests/models.rs).

Runs outside the Rust build and outside CI; its output JSON is committed.

    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch transformers
    /tmp/torch-venv/bin/python tests/reference/bert_reference.py data/cache/models/all-MiniLM-L6-v2 \
        > tests/reference/minilm_reference.json
"""
import json
import sys

import torch
import transformers
from transformers import AutoTokenizer, BertModel

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "EU rejects German call to boycott British lamb .",
    "Müller's U.S.-based start-up raised $3.5m in 2024!",
]


def main(model_dir):
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    out = {
        "model_dir": model_dir.rstrip("/").split("/")[-1],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentences": [],
    }
    with torch.no_grad():
        for s in SENTENCES:
            enc = tok(s, return_tensors="pt")
            res = model(**enc, output_hidden_states=True)
            h = res.last_hidden_state[0]
            pooled = h.mean(0)
            pooled = pooled / pooled.norm()
            out["sentences"].append(
                {
                    "text": s,
                    "ids": enc["input_ids"][0].tolist(),
                    "layer3": [[round(float(x), 7) for x in row] for row in res.hidden_states[3][0]],
                    "last": [[round(float(x), 7) for x in row] for row in h],
                    "embedding": [round(float(x), 7) for x in pooled],
                }
            )
    e = [torch.tensor(s["embedding"]) for s in out["sentences"]]
    out["cos_food_bread"] = round(float(e[0] @ e[1]), 7)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
