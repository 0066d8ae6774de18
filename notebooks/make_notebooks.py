"""Writes the notebooks of this folder (evcxr `rust` kernel) from the cell lists below, without
outputs. `execute.sh` runs them; the committed copies keep the outputs of their `cpu` run.

usage: python3 notebooks/make_notebooks.py [NAME...]   (default: all; an existing notebook
with outputs is overwritten only when named)"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

DEP = ':dep seqlab = { path = "../kernel-lib" }'


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": text.strip("\n")}


SCALES = """Scale: `SEQLAB_SCALE` = `quick` (default; seconds per run on real data and the real model,
what CI executes), `cpu` (reads the runs of the paper protocol made on 2 CPU cores with
MiniLM and writes the committed report), or `paper` (runs at the paper's sizes on a GPU)."""


def item_notebook(title, intro, item_code, notes_md):
    return [
        md(f"# {title}\n\n{intro}\n\n{SCALES}"),
        code(DEP),
        code("use seqlab::report::notebook::{Item, ItemReport};\nuse seqlab::report::paper;"),
        code(item_code),
        md("Quick scale runs the shrunk configs here (a line per round); at the cpu scale the runs "
           "come from `notebooks/configs/run-*.sh` (resumable) and this only finds them."),
        code("let dirs: Vec<std::path::PathBuf> = item.prepare()?;\ndirs.len()"),
        code("let report: ItemReport = item.write_report()?;\nprintln!(\"written to {}\", report.dir.display());\nreport"),
        md(notes_md),
    ]


LADA_NOTES = [
    "Encoder: all-MiniLM-L6-v2 (6 layers, hidden 384, uncased, plus seqlab's word-shape embeddings) instead of BERT-base; Inter-LADA mixes at layer 4 or 5 of 6 for the paper's {8, 9, 10} of 12.",
    "Training: 20 epochs, batch 16 as the authors' code, learning rate 1e-4 (not 5e-5) for the smaller encoder, the epoch with the best dev F1 kept; argmax decoding as the paper.",
    "Seeds: 3 per method (the paper averages 5 runs).",
    "Semi-LADA: paraphrases by embedding-neighbour substitution (rate 0.3) instead of back-translation, which needs translation models this machine cannot get; 10,000 unlabeled sentences as the paper.",
]

NOTEBOOKS = {
    "lada_table3": item_notebook(
        "LADA Table 3: CoNLL-2003 with 5 %, 10 % and 30 % of the training set",
        "Tagger vs + Intra-LADA, + Inter-LADA, + Intra&Inter-LADA, + Semi-Intra-LADA and "
        "+ Semi-Inter-LADA, trained on the first 700 / 1,400 / 4,200 sentences of CoNLL-2003, "
        "test F1 (conlleval), beside the paper's BERT rows (LADA Table 3).",
        """let item: Item = {
    let methods = ["base", "intra", "inter", "intra-inter", "semi-intra", "semi-inter"];
    let runs: Vec<String> = [5, 10, 30].iter()
        .flat_map(|s| methods.iter().map(move |m| format!("lada-conll-{s}-{m}")))
        .collect();
    let names: Vec<&str> = runs.iter().map(String::as_str).collect();
    Item::new("lada-table3", "LADA Table 3 (CoNLL-2003, 5/10/30 % of train, test F1)", &names)?
        .with_paper(paper::lada_table3_conll())
        .with_notes(&NOTES)
        .group_sizes()
        .quick_only(&names[..6])
};
println!("{} scale, {} runs", item.scale, item.runs.len());""".replace(
            "&NOTES", "&[\n        " + ",\n        ".join(json.dumps(n) for n in LADA_NOTES) + ",\n    ]"),
        "Ours: mean ± sample std over the seeds finished so far (n in each cell); the report "
        "marks runs still in progress as partial and methods not started as \"not run yet\".",
    ),
    "lada_table3_estner": item_notebook(
        "LADA Table 3, second half: EstNER at 5 % (our GermEval 2014 stand-in)",
        "The same six methods on the first 5 % of EstNER's training set, beside the paper's "
        "GermEval 5 % column (a different language and corpus: the comparison is of effects, "
        "not of levels).",
        """let item: Item = {
    let methods = ["base", "intra", "inter", "intra-inter", "semi-intra", "semi-inter"];
    let runs: Vec<String> = methods.iter().map(|m| format!("lada-estner-5-{m}")).collect();
    let names: Vec<&str> = runs.iter().map(String::as_str).collect();
    Item::new("lada-table3-estner", "LADA Table 3 (EstNER for GermEval, 5 % of train, test F1)", &names)?
        .with_paper(paper::lada_table3_germeval_5())
        .with_notes(&NOTES)
        .quick_only(&names[..3])
};
println!("{} scale, {} runs", item.scale, item.runs.len());""".replace(
            "&NOTES", "&[\n        " + ",\n        ".join(json.dumps(n) for n in LADA_NOTES + [
                "Corpus: EstNER (Estonian, from estnltk 1.3) instead of GermEval 2014 (German), which no registry package ships; 5 % = its first 555 training sentences (GermEval: 1,200).",
            ]) + ",\n    ]"),
        "The paper's GermEval numbers use multilingual BERT on German; ours use the English "
        "MiniLM on Estonian, so compare the gains over the tagger row, not the levels.",
    ),
    "seqmix_fig2_conll": item_notebook(
        "SeqMix Fig. 2 (CoNLL-03): F1 against data usage",
        "Active learning with NTE queries, 200 seed sentences and 5 rounds of 100: no "
        "augmentation vs whole-sequence, sub-sequence and label-constrained sub-sequence "
        "mixup. Fig. 2 prints no numbers; App. Table 4 gives the validation F1 of NTE and of "
        "sub-sequence mixup, shown beside our dev F1.",
        """let item: Item = Item::new("seqmix-fig2-conll", "SeqMix Fig. 2 (CoNLL-03, NTE, test F1)",
    &["conll-nte", "seqmix-whole", "seqmix-sub", "seqmix-lc"])?
    .with_paper(paper::seqmix_app_table4())
    .with_notes(&[
        "Encoder: all-MiniLM-L6-v2 (uncased, plus word-shape embeddings) instead of bert-base-cased; learning rate 1e-4, batch 16, 10 epochs per round with warm starts, the last epoch kept.",
        "Discriminator: SmolLM2-135M perplexity instead of GPT-2, with the range set by percentiles of the training sentences' perplexity (the paper's (0, 500) is a GPT-2 scale).",
        "The paper's numbers are validation F1 (App. Table 4); the comparison rows use our dev F1, the chart shows test F1.",
        "Pool: 700 random training sentences (seed 1), as the paper's section 4.1.",
    ]);
println!("{} scale, {} runs", item.scale, item.runs.len());""",
        "Significance of the gains (Wilcoxon over the data-usage points) is in the "
        "`seqlab summarize` output of the runs.",
    ),
    "seqmix_app_table4": item_notebook(
        "SeqMix App. Table 4: validation F1 of the query policies on CoNLL-03",
        "Random, least confidence, normalized token entropy and query-by-committee sampling, "
        "200 seed sentences and 5 rounds of 100, dev F1 beside the paper's App. Table 4.",
        """let item: Item = Item::new("seqmix-app-table4", "SeqMix App. Table 4 (CoNLL-03, query policies, dev F1)",
    &["conll-random", "conll-lc", "conll-nte", "conll-qbc"])?
    .with_paper(paper::seqmix_app_table4())
    .with_notes(&[
        "Encoder: all-MiniLM-L6-v2 (uncased, plus word-shape embeddings) instead of bert-base-cased; learning rate 1e-4, batch 16, 10 epochs per round with warm starts, the last epoch kept.",
        "Seeds: 3 per policy (NTE: 5, shared with the SeqMix runs); the paper averages 5.",
        "QBC: vote entropy (Eq. 4) over a committee of 3: the main tagger and 2 taggers trained on bootstrap resamples of the labeled set (identical copies, as in the authors' code, would never disagree).",
    ])
    .dev_f1();
println!("{} scale, {} runs", item.scale, item.runs.len());""",
        "Least confidence uses the best valid sequence (constrained Viterbi), as SeqMix Eq. 1.",
    ),
    "00_tour": [
        md("""# A ten-minute tour of seqlab

From a real corpus to a trained tagger, an active-learning round, a SeqMix pair and a chart,
each in a cell or two. Everything runs on the CPU with the fetched all-MiniLM-L6-v2
(`bash data/fetch.sh` first).

""" + SCALES),
        code(DEP),
        code("""use seqlab::data::{corpora, CorpusName, CorpusStats, Subset, TagScheme};
use seqlab::report::notebook::Scale;
use seqlab::train::{fit, evaluate, Decode, Tagger, TaggerOptions, TrainConfig, TrainItem};"""),
        md("## Data\nCoNLL-2003 from the fetched package, its statistics, and a reproducible subset."),
        code("""let scale: Scale = Scale::from_env()?;
let corpus: seqlab::data::Corpus = corpora::load_corpus(CorpusName::Conll2003, &corpora::data_dir())?;
println!("{}", CorpusStats::of(&corpus).to_text());"""),
        code("""let (n, n_dev) = if scale == Scale::Quick { (300, 200) } else { (700, 1000) };
let train: seqlab::data::Dataset = corpus.train.subset(&format!("first:{n}").parse::<Subset>()?)?;
let dev: seqlab::data::Dataset = corpus.dev.subset(&format!("first:{n_dev}").parse::<Subset>()?)?;
println!("{} training sentences; the first: {:?}", train.len(), train.sentences[0].tokens);"""),
        md("## A tagger\nMiniLM plus a linear head; every random draw comes from the seeded RNG."),
        code("""let mut rng: seqlab::rng::SeqRng = seqlab::rng::seeded(1);
let tagger: Tagger = Tagger::from_pretrained(
    &corpora::data_dir().join("models/all-MiniLM-L6-v2"),
    corpus.vocab(), TagScheme::Iob2, &TaggerOptions::default(),
    &seqlab::candle_core::Device::Cpu, &mut rng)?;
let items: Vec<TrainItem> = train.sentences.iter()
    .map(|s| TrainItem::from_sentence(s, tagger.labels()))
    .collect::<seqlab::Result<_>>()?;
let cfg: TrainConfig = TrainConfig { epochs: if scale == Scale::Quick { 3 } else { 10 }, batch_size: 16,
    learning_rate: if scale == Scale::Quick { 2e-4 } else { 1e-4 }, ..TrainConfig::default() };
let fitted: seqlab::train::TrainReport = fit(&tagger, &items, Some(&dev), &cfg, &mut rng, &mut |e| println!("{e}"))?;
fitted.best_epoch"""),
        code("""let sentence: Vec<&'static str> = vec!["Ada", "Lovelace", "met", "Charles", "Babbage", "in", "London", "."];
let pred: Vec<seqlab::train::Prediction> = tagger.predict(&[sentence.clone()], 8)?;
sentence.iter().zip(pred[0].tags(tagger.labels())).map(|(w, t)| format!("{w}/{t}")).collect::<Vec<_>>().join(" ")"""),
        code("""for decode in [Decode::Argmax, Decode::Viterbi] {
    let e = evaluate(&tagger, &dev, seqlab::metrics::Mode::Conlleval, decode, 64)?;
    println!("dev (first {}) F1 with {decode} decoding: {:.2}", dev.len(), 100.0 * e.scores.micro().f1);
}"""),
        md("## Experiments, reports, charts\nA whole active-learning experiment is a config "
           "(`notebooks/configs/*.toml`); `Item` runs it at the notebook's scale and writes the "
           "report with its chart. The other notebooks are built on this."),
        code("""use seqlab::report::notebook::{Item, ItemReport};
let item: Item = Item::new("tour", "Tour: NTE active learning", &["conll-nte"])?;
if item.scale == Scale::Quick { item.prepare()?; }
let report: ItemReport = item.write_report()?;
report"""),
    ],
}


def write(name, cells):
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
            "language_info": {"codemirror_mode": "rust", "file_extension": ".rs",
                              "mimetype": "text/rust", "name": "Rust", "pygment_lexer": "rust",
                              "version": ""},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, c in enumerate(nb["cells"]):
        c["id"] = f"{name}-{i}"
    with open(os.path.join(HERE, f"{name}.ipynb"), "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    names = sys.argv[1:] or list(NOTEBOOKS)
    for n in names:
        path = os.path.join(HERE, f"{n}.ipynb")
        if os.path.exists(path) and not sys.argv[1:]:
            has_out = any(c.get("outputs") for c in json.load(open(path))["cells"])
            if has_out:
                print(f"keeping {n}.ipynb (it has outputs; name it to overwrite)")
                continue
        write(n, NOTEBOOKS[n])
        print(f"wrote {n}.ipynb")
