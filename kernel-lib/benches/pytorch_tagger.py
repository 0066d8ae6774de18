"""The PyTorch + transformers side of benches/tagger_vs_pytorch.sh: the same MiniLM tagger
(BertForTokenClassification), the same batches (written by the seqlab example), the same
number of threads, AdamW with lr 5e-5 and clipping at norm 1. Prints one JSON line."""
import json
import sys
import time

import torch
from transformers import BertForTokenClassification


def main(model_dir, batches_file, steps, threads, attention="sdpa"):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    data = json.load(open(batches_file))
    model = BertForTokenClassification.from_pretrained(
        model_dir, num_labels=data["num_labels"], attn_implementation=attention)
    batches = [(torch.tensor(i), torch.tensor(m), torch.tensor(l)) for i, m, l in data["batches"]]
    decay = [p for n, p in model.named_parameters() if not (n.endswith(".bias") or "LayerNorm" in n)]
    rest = [p for n, p in model.named_parameters() if n.endswith(".bias") or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": rest, "weight_decay": 0.0}], lr=5e-5, eps=1e-8)

    def step(b):
        ids, mask, labels = b
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()

    cycle = [batches[i % len(batches)] for i in range(steps)]
    model.train()
    for b in batches[:3]:
        step(b)
    t0 = time.perf_counter()
    for b in cycle:
        step(b)
    train = sum(int(b[1].sum()) for b in cycle) / (time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        for b in batches[:3]:
            model(input_ids=b[0], attention_mask=b[1]).logits.softmax(-1)
        t0 = time.perf_counter()
        for b in cycle:
            model(input_ids=b[0], attention_mask=b[1]).logits.softmax(-1)
        infer = sum(int(b[1].sum()) for b in cycle) / (time.perf_counter() - t0)
        a = torch.randn(1024, 1024)
        best = min((lambda t: (a @ a, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(10))
    print(json.dumps({"implementation": "pytorch", "threads": torch.get_num_threads(), "steps": steps,
                      "train_tokens_per_s": train, "infer_tokens_per_s": infer,
                      "matmul_gflops": 2 * 1024 ** 3 / best / 1e9,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
