"""The reference SeqMix code's generation routine in numpy, timed on seqlab's mixing inputs.

It re-implements what `seqmix.py` does per generated window (seeds.md §1.4): the window scan
`find_sub_seq` over the batch and the pair loop of `slack_augment` (i < j, first windows), then
for every mixed position `most_similar`: the squared L2 distance from the mixed vector to every
vocabulary row (`np.sum(np.square(value - table), axis=1)`), the 7 nearest by
`np.argpartition`, and the first one outside the exclusion list. The mixed vectors are built
from the same word pieces and λ that seqlab used (exported by `bench_seqmix --export`), so both
sides search the same number of positions. It also checks that seqlab's token is the true
nearest admissible one (exact argmin over the table with seqlab's exclusion rule).

usage: python3 seqmix_reference.py INPUTS.json REPEATS
"""
import json
import statistics
import struct
import sys
import time

import numpy as np


def load_matrix(path, name="embeddings.word_embeddings.weight"):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        key = next(k for k in header if k.endswith(name))
        meta = header[key]
        assert meta["dtype"] == "F32", meta["dtype"]
        start, end = meta["data_offsets"]
        f.seek(8 + n + start)
        return np.frombuffer(f.read(end - start), dtype=np.float32).reshape(meta["shape"])


def find_sub_seq(tags, window=5, valid_bar=3):
    # seqmix.py lines 101-125: the last start is skipped; the window must start on an entity.
    starts = []
    for index in range(0, len(tags) - window):
        sub = tags[index:index + window]
        if sub[0] not in ("O", "[CLS]", "[SEP]", "[UKN]") and sum(t != "O" for t in sub) >= valid_bar:
            starts.append(index)
    return starts


def pair_scan(sentences, target_pairs):
    windows = [find_sub_seq(s["tags"]) for s in sentences]
    pairs = []
    for i in range(len(sentences)):
        if not windows[i]:
            continue
        for j in range(i + 1, len(sentences)):
            if windows[j]:
                pairs.append((i, j, windows[i][0], windows[j][0]))
                if len(pairs) >= target_pairs:
                    return pairs
    return pairs


def most_similar(value, table, vocab, exclude):
    distance = np.sum(np.square(value - table), axis=1)
    for idx in np.argpartition(distance, 6)[:7]:
        if vocab[idx] not in exclude:
            return int(idx)
    return None


def main():
    inputs = json.load(open(sys.argv[1]))
    repeats = int(sys.argv[2])
    table = load_matrix(inputs["model"])[: len(inputs["vocab"])]
    vocab = inputs["vocab"]
    pos = inputs["positions"]
    mixed = []
    for p in pos:
        a = table[p["pieces"][0]].mean(axis=0) if p["pieces"][0] else table[vocab.index("[UNK]")]
        b = table[p["pieces"][1]].mean(axis=0) if p["pieces"][1] else table[vocab.index("[UNK]")]
        mixed.append((p["lambda"] * a + (1 - p["lambda"]) * b).astype(np.float32))
    n_pairs = max(1, len(pos) // 5)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pair_scan(inputs["sentences"], n_pairs)
        for v, p in zip(mixed, pos):
            most_similar(v, table, vocab, {"[UNK]", "[CLS]", "[SEP]", "[PAD]", *(w.lower() for w in p["parents"])})
        times.append(time.perf_counter() - t0)
    # Agreement: seqlab's token against the exact nearest admissible row (paper rule).
    bad = np.array([t.startswith("##") or (t.startswith("[") and t.endswith("]")) or t == "" for t in vocab])
    sq = np.sum(table.astype(np.float64) ** 2, axis=1)
    index = {t: i for i, t in enumerate(vocab)}
    agree = 0
    for v, p in zip(mixed, pos):
        d = sq - 2 * table.astype(np.float64) @ v.astype(np.float64)
        d[bad] = np.inf
        for w in p["parents"]:
            if w.lower() in index:
                d[index[w.lower()]] = np.inf
        agree += int(np.argmin(d)) == p["seqlab"]
    times.sort()
    print(json.dumps({
        "implementation": "numpy reference",
        "numpy": np.__version__,
        "searches": len(pos),
        "median_seconds": times[len(times) // 2],
        "min_seconds": times[0],
        "repeats": len(times),
        "agreement": agree / max(1, len(pos)),
    }))


if __name__ == "__main__":
    main()
