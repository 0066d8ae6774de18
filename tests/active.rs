//! Active learning end to end on a tiny random BERT and generated sentences (no downloads):
//! every policy runs, the same config twice gives identical results, and a run killed with
//! SIGKILL resumes to exactly the results of an uninterrupted run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use seqlab::experiment::{Experiment, ExperimentConfig, Progress};
use seqlab::model::tiny::write_tiny_bert;

const NAMES: [&str; 6] = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald"];
const PLACES: [&str; 5] = ["London", "Paris", "Turin", "Boston", "Zurich"];
const ORGS: [&str; 4] = ["IBM", "Google", "Xerox", "Bell"];

/// A CoNLL file of `n` generated sentences (IOB2), deterministic in `k0`.
fn corpus(n: usize, k0: usize) -> String {
    let mut out = String::new();
    for k in k0..k0 + n {
        let name = NAMES[k % NAMES.len()];
        let place = PLACES[(k / 2) % PLACES.len()];
        let org = ORGS[(k / 3) % ORGS.len()];
        let words: Vec<(&str, &str)> = match k % 4 {
            0 => vec![
                (name, "B-PER"),
                ("visited", "O"),
                (place, "B-LOC"),
                (".", "O"),
            ],
            1 => vec![
                (name, "B-PER"),
                ("works", "O"),
                ("for", "O"),
                (org, "B-ORG"),
                ("in", "O"),
                (place, "B-LOC"),
                (".", "O"),
            ],
            2 => vec![
                ("the", "O"),
                (org, "B-ORG"),
                ("office", "O"),
                ("in", "O"),
                (place, "B-LOC"),
                ("is", "O"),
                ("big", "O"),
            ],
            _ => vec![
                (name, "B-PER"),
                (name, "I-PER"),
                ("left", "O"),
                (org, "B-ORG"),
            ],
        };
        for (w, t) in words {
            out.push_str(&format!("{w} {t}\n"));
        }
        out.push('\n');
    }
    out
}

/// Data files, a tiny model and a config in one temporary folder.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(policy: &str, regime: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("train.txt"), corpus(40, 0)).unwrap();
        std::fs::write(p.join("dev.txt"), corpus(8, 100)).unwrap();
        std::fs::write(p.join("test.txt"), corpus(8, 200)).unwrap();
        let mut words: Vec<String> = NAMES
            .iter()
            .chain(&PLACES)
            .chain(&ORGS)
            .map(|w| w.to_lowercase())
            .collect();
        words.extend(
            [
                "visited", "works", "for", "in", "the", "office", "is", "big", "left", ".",
            ]
            .map(String::from),
        );
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        write_tiny_bert(&p.join("model"), &words, 7).unwrap();
        let config = format!(
            r#"
name = "tiny"
seeds = [3, 4]

[data]
train = "train.txt"
dev = "dev.txt"
test = "test.txt"

[model]
encoder = "model"

[train]
epochs = 2
batch_size = 4
learning_rate = 1e-3

[active]
policy = {policy}
seed_size = 6
rounds = 3
query_size = 4
regime = "{regime}"
score_batch_size = 8
"#
        );
        std::fs::write(p.join("tiny.toml"), config).unwrap();
        Setup { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("tiny.toml")
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Rewrites a training checkpoint so that each epoch it holds is recorded as `seconds` long.
fn slow_down_restored_epochs(path: &Path, seconds: f64) {
    use candle_core::{Device, Tensor};
    let mut tensors = candle_core::safetensors::load(path, &Device::Cpu).unwrap();
    let bytes = tensors["state"].to_vec1::<u8>().unwrap();
    let mut state: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let epochs = state["epochs"].as_array_mut().unwrap();
    assert!(!epochs.is_empty(), "{}: no finished epoch", path.display());
    for epoch in epochs {
        epoch["seconds"] = seconds.into();
    }
    let json = serde_json::to_vec(&state).unwrap();
    let n = json.len();
    tensors.insert(
        "state".into(),
        Tensor::from_vec(json, n, &Device::Cpu).unwrap(),
    );
    candle_core::safetensors::save(&tensors, path).unwrap();
}

/// Results without wall times, and the query trace.
fn comparable(dir: &Path) -> (String, String) {
    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !header[i].ends_with("seconds"))
        .collect();
    let rows: Vec<String> = std::iter::once(header.clone())
        .chain(lines.map(|l| l.split(',').collect()))
        .map(|r: Vec<&str>| keep.iter().map(|&i| r[i]).collect::<Vec<_>>().join(","))
        .collect();
    (
        rows.join("\n"),
        std::fs::read_to_string(dir.join("queries.csv")).unwrap(),
    )
}

fn run(setup: &Setup, out: &str) -> seqlab::experiment::Results {
    Experiment::from_config(setup.config())
        .unwrap()
        .with_output(setup.out(out))
        .run_with(&mut Progress::quiet())
        .unwrap()
}

#[test]
fn every_policy_runs_and_keeps_the_pool_invariants() {
    for policy in [
        "\"random\"",
        "\"lc\"",
        "\"lc-mean\"",
        "\"lc-sequence\"",
        "\"nte\"",
        "\"mnlp\"",
        "{ kind = \"qbc\", committee = 2 }",
        "{ kind = \"bald\", samples = 3 }",
    ] {
        let s = Setup::new(policy, "retrain");
        let r = run(&s, "run");
        assert_eq!(
            r.rows.len(),
            2 * 4,
            "{policy}: 2 seeds × (seed round + 3 rounds)"
        );
        for seed in [3, 4] {
            let trace: Vec<usize> = r
                .queries
                .iter()
                .filter(|q| q.0 == seed)
                .map(|q| q.3)
                .collect();
            assert_eq!(trace.len(), 6 + 3 * 4, "{policy}");
            let mut distinct = trace.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(
                distinct.len(),
                trace.len(),
                "{policy}: a sentence was queried twice"
            );
            assert!(trace.iter().all(|&i| i < 40));
            let sizes: Vec<usize> = r
                .rows
                .iter()
                .filter(|x| x.seed == seed)
                .map(|x| x.labeled_sentences)
                .collect();
            assert_eq!(sizes, [6, 10, 14, 18], "{policy}");
        }
        // Non-random policies record their scores in descending order within a round.
        if policy != "\"random\"" {
            let round1: Vec<f64> = r
                .queries
                .iter()
                .filter(|q| q.0 == 3 && q.1 == 1)
                .map(|q| q.4.unwrap())
                .collect();
            assert!(
                round1.windows(2).all(|w| w[0] >= w[1]),
                "{policy}: {round1:?}"
            );
        }
        for f in [
            "results.csv",
            "results.parquet",
            "queries.csv",
            "summary.csv",
            "config.json",
            "provenance.json",
        ] {
            assert!(s.out("run").join(f).is_file(), "{policy}: {f}");
        }
        let df = r.frame().unwrap();
        assert_eq!(df.height(), 8);
        assert!(df.column("test_f1").is_ok() && df.column("test_f1_PER").is_ok());
    }
}

#[test]
fn the_same_config_twice_gives_identical_results() {
    let s = Setup::new("\"lc\"", "warm-start");
    run(&s, "a");
    run(&s, "b");
    assert_eq!(comparable(&s.out("a")), comparable(&s.out("b")));
    // And a run with other seeds differs (the test can fail).
    let other = std::fs::read_to_string(s.config())
        .unwrap()
        .replace("seeds = [3, 4]", "seeds = [5, 6]");
    std::fs::write(s.config(), other).unwrap();
    run(&s, "c");
    assert_ne!(comparable(&s.out("a")).1, comparable(&s.out("c")).1);
}

#[test]
fn seqmix_augments_every_round_reproducibly() {
    let s = Setup::new("\"nte\"", "warm-start");
    let text = std::fs::read_to_string(s.config()).unwrap();
    let augment = "\n[augment]\nkind = \"seqmix\"\nvariant = \"sub\"\nwindow = 2\nmin_density = 0.5\nrate = 0.5\ndiscriminator = { kind = \"none\" }\n";
    std::fs::write(s.config(), format!("{text}{augment}")).unwrap();
    let a = run(&s, "a");
    run(&s, "b");
    assert_eq!(comparable(&s.out("a")), comparable(&s.out("b")));
    // Seed round: ⌊0.5 × 6⌋ = 3 sentences, then ⌊0.5 × 4⌋ = 2 per round: 3 + 3 × 2 = 9.
    let augmented: Vec<usize> = a.rows.iter().map(|r| r.augmented).collect();
    assert_eq!(augmented, vec![3, 5, 7, 9, 3, 5, 7, 9]);
    // The case records sit beside each round: a stats line, then one line per candidate.
    let records = std::fs::read_to_string(s.out("a").join("seed-3/augment-000.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = records
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["stats"]["accepted"], 3);
    let accepted = lines[1..].iter().filter(|c| c["accepted"] == true).count();
    assert_eq!(accepted, 3);
}

#[test]
fn lada_trains_in_the_loop_and_alone_reproducibly() {
    let s = Setup::new("\"lc\"", "warm-start");
    let text = std::fs::read_to_string(s.config()).unwrap();
    let lada = "\n[lada]\nkind = \"intra-inter\"\nk = 2\nembedder = \"model\"\n";
    std::fs::write(s.config(), format!("{text}{lada}")).unwrap();
    run(&s, "a");
    run(&s, "b");
    assert_eq!(comparable(&s.out("a")), comparable(&s.out("b")));
    // The same loop without LADA trains other weights.
    std::fs::write(s.config(), &text).unwrap();
    run(&s, "plain");
    assert_ne!(comparable(&s.out("a")).0, comparable(&s.out("plain")).0);
    // A supervised run on the first sentences: no query round.
    let alone = text
        .replace("rounds = 3", "rounds = 0")
        .replace("seed_size = 6", "seed_size = 12\nseed_strategy = \"first\"");
    std::fs::write(s.config(), format!("{alone}{lada}")).unwrap();
    let r = run(&s, "alone");
    assert_eq!(r.rows.len(), 2);
    assert!(r.rows.iter().all(|row| row.labeled_sentences == 12));
    assert!(r.rows.iter().all(|row| row.paraphrase_kept.is_none()));
    // Semi-LADA records how often a paraphrase kept the predicted entity counts.
    let semi = "[lada.semi]\nparaphrases = { kind = \"neighbours\", rate = 0.5 }\nbatch_size = 4\n";
    std::fs::write(s.config(), format!("{alone}{lada}{semi}")).unwrap();
    let r = run(&s, "semi");
    assert_eq!(r.rows.len(), 2);
    for row in &r.rows {
        let kept = row
            .paraphrase_kept
            .expect("semi rows carry the consistency share");
        assert!((0.0..=100.0).contains(&kept), "{kept}");
    }
    let round: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.out("semi").join("seed-3/round-000.json")).unwrap(),
    )
    .unwrap();
    let c = &round["consistency"];
    // 12 labeled sentences in batches of 4, 2 epochs: 6 steps of 4 unlabeled sentences each.
    assert_eq!(c["compared"], 6 * 4, "{round}");
    let csv = std::fs::read_to_string(s.out("semi").join("results.csv")).unwrap();
    assert!(csv.lines().next().unwrap().contains(",paraphrase_kept"));
}

#[test]
fn a_run_folder_copied_without_models_resumes_to_the_same_results() {
    for regime in ["warm-start", "retrain"] {
        let s = Setup::new("\"nte\"", regime);
        run(&s, "whole");
        // As if copied in the middle of seed 4: its last round is missing, and so are the
        // models. The model is trained again from the recorded rounds, which are kept as
        // they are (a seed started again would rewrite them with new wall times).
        let copy = s.out("copy");
        std::fs::create_dir_all(copy.join("seed-3")).unwrap();
        std::fs::create_dir_all(copy.join("seed-4")).unwrap();
        for f in ["config.json", "provenance.json"] {
            std::fs::copy(s.out("whole").join(f), copy.join(f)).unwrap();
        }
        let mut kept = Vec::new();
        for (seed, rounds) in [("seed-3", 4), ("seed-4", 3)] {
            for r in 0..rounds {
                let f = format!("{seed}/round-{r:03}.json");
                std::fs::copy(s.out("whole").join(&f), copy.join(&f)).unwrap();
                kept.push((f.clone(), std::fs::read(copy.join(&f)).unwrap()));
            }
        }
        Experiment::resume(&copy)
            .unwrap()
            .run_with(&mut Progress::quiet())
            .unwrap();
        assert_eq!(comparable(&s.out("whole")), comparable(&copy), "{regime}");
        for (f, bytes) in kept {
            assert_eq!(
                std::fs::read(copy.join(&f)).unwrap(),
                bytes,
                "{regime}: {f}"
            );
        }
    }
}

#[test]
fn a_folder_written_before_a_defaulted_field_existed_is_the_same_run() {
    let s = Setup::new("\"nte\"", "warm-start");
    run(&s, "whole");
    // An older seqlab wrote config.json without `train.decode` (default: argmax).
    let path = s.out("whole").join("config.json");
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let removed = cfg["train"].as_object_mut().unwrap().remove("decode");
    assert!(removed.is_some());
    std::fs::write(&path, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
    run(&s, "whole");
    // A field that really differs is still refused.
    cfg["train"]["epochs"] = serde_json::json!(3);
    std::fs::write(&path, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
    let err = Experiment::from_config(s.config())
        .unwrap()
        .with_output(s.out("whole"))
        .run_with(&mut Progress::quiet())
        .unwrap_err();
    assert!(err.to_string().contains("different configuration"), "{err}");
}

#[test]
fn seeds_can_be_run_one_at_a_time() {
    let s = Setup::new("\"random\"", "warm-start");
    let whole = run(&s, "whole");
    for seed in [4, 3] {
        Experiment::from_config(s.config())
            .unwrap()
            .with_output(s.out("split"))
            .with_seeds(&[seed])
            .unwrap()
            .run_with(&mut Progress::quiet())
            .unwrap();
    }
    assert!(s.out("split").join("seed-3/round-003.json").is_file());
    assert_eq!(comparable(&s.out("whole")), comparable(&s.out("split")));
    assert_eq!(whole.rows.len(), 8);
    let err = Experiment::from_config(s.config())
        .unwrap()
        .with_seeds(&[9])
        .unwrap_err();
    assert!(err.to_string().contains("seed 9 is not in"), "{err}");
}

#[test]
fn a_learning_curve_report_is_written_from_run_folders() {
    let s = Setup::new("\"lc\"", "warm-start");
    run(&s, "a");
    // A second run with one seed missing is reported as partial.
    let text = std::fs::read_to_string(s.config()).unwrap();
    std::fs::write(
        s.config(),
        text.replace("name = \"tiny\"", "name = \"other\""),
    )
    .unwrap();
    run(&s, "b");
    std::fs::remove_file(s.out("b").join("seed-4/round-003.json")).unwrap();
    let out = s.out("report");
    seqlab::report::learning::LearningReport {
        title: "Tiny learning curves".into(),
        scale: "quick".into(),
        dev: false,
        paper: vec![seqlab::report::paper::PaperCurve {
            run: "tiny".into(),
            label: "Tiny method".into(),
            source: "Table 0".into(),
            split: seqlab::report::paper::Split::Test,
            points: vec![(18, 50.0), (9999, 60.0)],
        }],
        notes: vec!["A protocol difference.".into()],
        groups: vec![],
        dots: Some(seqlab::report::sweep::Dots {
            x_label: "run".into(),
            entries: vec![
                seqlab::report::sweep::DotEntry::new("a", "tiny").paper(50.0),
                seqlab::report::sweep::DotEntry::new("b - a", "other").gain_over("tiny"),
            ],
            reference: Some("tiny".into()),
        }),
        loss: true,
        generated: true,
        claims: vec![
            seqlab::report::claims::Claim::new("other", "tiny", "other beats tiny", "Table 0")
                .gain(1.0),
        ],
        // Run `a` stands in for a full-data run: its last point is the dashed line.
        full_data: Some(s.out("a")),
        not_started: Vec::new(),
    }
    .write(&[s.out("a"), s.out("b")], &out)
    .unwrap();
    let md = std::fs::read_to_string(out.join("index.md")).unwrap();
    // Runs without augmentation records get no generated-words section.
    assert!(!md.contains("## Generated words"), "{md}");
    assert!(!out.join("generated-words.csv").exists());
    assert!(md.contains("## Beside the paper"), "{md}");
    let row = md
        .lines()
        .find(|l| l.starts_with("| Tiny method |") && l.contains("| 18 |"))
        .unwrap_or_else(|| panic!("no comparison row at 18 sentences: {md}"));
    assert!(row.contains("| 50.00 |") && row.contains("(n = "), "{row}");
    // A paper point without a run point says so instead of inventing one.
    assert!(md.contains("| 9999 | 60.00 | not reached yet |"), "{md}");
    assert!(md.contains("1. A protocol difference."), "{md}");
    assert!(md.contains("| labeled sentences | tiny | other |"), "{md}");
    assert!(md.contains("| 18 | "), "{md}");
    assert!(md.contains("**Partial:**"), "{md}");
    assert!(md.contains("Scale: **quick**"), "{md}");
    // The claim is measured on the paired seeds and rounds, and the verdict line sums it up.
    assert!(md.contains("## The papers' claims"), "{md}");
    let claim = md
        .lines()
        .find(|l| l.starts_with("| other beats tiny | Table 0 | other − tiny | +1.00 |"))
        .unwrap_or_else(|| panic!("no claim row: {md}"));
    assert!(claim.contains("(n = "), "{claim}");
    assert!(md.contains("**Verdict:** "), "{md}");
    let svg = std::fs::read_to_string(out.join("curve.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("tiny") && svg.contains("other"));
    let png = std::fs::read(out.join("curve.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("<table>"));
    for f in [
        "results-tiny.csv",
        "config-other.json",
        "provenance-tiny.json",
        "dots.svg",
        "dots.png",
        "loss.svg",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // One value per run, and the gain of `other` over `tiny` paired by seed and round.
    let dots = std::fs::read_to_string(out.join("dots.csv")).unwrap();
    let rows: Vec<&str> = dots.lines().collect();
    assert_eq!(rows[0], "setting,run,n,points,mean,std,paper");
    assert!(
        rows[1].starts_with("\"a\",\"tiny\",") && rows[1].ends_with(",50.00"),
        "{dots}"
    );
    assert!(rows[2].starts_with("\"b - a\",\"other\","), "{dots}");
    assert!(
        md.contains("## One value per setting (run)") && md.contains("dashed line: tiny"),
        "{md}"
    );
    // Every epoch of every seed's first round is kept as data.
    let loss = std::fs::read_to_string(out.join("loss-curves.csv")).unwrap();
    assert!(
        loss.starts_with("run,seed,epoch,train_loss,dev_loss,dev_f1\n"),
        "{loss}"
    );
    assert!(
        loss.lines()
            .any(|l| l.starts_with("tiny,") && l.split(',').nth(2) == Some("2")),
        "{loss}"
    );
    assert!(md.contains("## Dev loss per epoch"), "{md}");
    // The full-data level: the mean of the last point of run `a` over its seeds.
    let a = seqlab::experiment::Experiment::resume(s.out("a"))
        .unwrap()
        .collect()
        .unwrap();
    let curve = seqlab::experiment::learning_curve(&a.rows, |r| r.test_f1);
    let last = curve.last().unwrap();
    let line = format!(
        "Dashed line: full data: tiny, the tagger trained on all {} training sentences: test F1 (%) {:.2} ± {:.2} (n = {}).",
        last.labeled_sentences, last.mean, last.std, last.n
    );
    assert!(md.contains(&line), "{line}\n{md}");
    assert!(svg.contains("full data: tiny"));
    assert!(html.contains(&line));
    // The curves by labeled words: a chart and the mean words per point.
    assert!(md.contains("## By labeled words"), "{md}");
    for f in ["curve-tokens.svg", "curve-tokens.png"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let first = &curve[0];
    let words: Vec<f64> = a
        .rows
        .iter()
        .filter(|r| r.round == first.round)
        .map(|r| r.labeled_tokens as f64)
        .collect();
    let mean_words = words.iter().sum::<f64>() / words.len() as f64;
    assert_eq!(first.labeled_tokens, mean_words);
    let row = format!("| {} | {:.0} |", first.labeled_sentences, mean_words);
    assert!(md.contains(&row), "{row}\n{md}");
    // A full-data run not made yet is named, and no line is drawn.
    let out2 = s.out("report-2");
    seqlab::report::learning::LearningReport {
        title: "Tiny".into(),
        scale: "quick".into(),
        full_data: Some(s.out("not-made")),
        not_started: vec!["later".into()],
        ..Default::default()
    }
    .write(&[s.out("a")], &out2)
    .unwrap();
    let md2 = std::fs::read_to_string(out2.join("index.md")).unwrap();
    assert!(
        md2.contains("Full-data reference not-made: not run yet."),
        "{md2}"
    );
    assert!(!md2.contains("Dashed line"), "{md2}");
    // A run without a folder yet is listed, and makes the report partial.
    assert!(md2.contains("| later | not started | 0 | 0 |"), "{md2}");
    assert!(md2.contains("**Partial:**"), "{md2}");
}

#[test]
fn a_killed_run_resumes_to_the_uninterrupted_results() {
    let s = Setup::new("\"nte\"", "warm-start");
    // Longer rounds, so that the kills land mid-run even on a busy machine.
    let text = std::fs::read_to_string(s.config()).unwrap();
    std::fs::write(s.config(), text.replace("epochs = 2", "epochs = 25")).unwrap();
    let bin = env!("CARGO_BIN_EXE_seqlab");
    let t0 = Instant::now();
    // The reference run saves no checkpoint; the killed ones save one after every epoch, so
    // the timed kills land mid-round with a checkpoint to continue from (or mid-write).
    let status = Command::new(bin)
        .args([
            "run",
            s.config().to_str().unwrap(),
            "--checkpoint-every",
            "off",
            "--out",
        ])
        .arg(s.out("whole"))
        .output()
        .unwrap();
    let whole = t0.elapsed();
    let table = Command::new(bin)
        .arg("summarize")
        .arg(s.out("whole"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    for size in [6, 10, 14, 18] {
        assert!(table.contains(&format!("| {size} | ")), "{table}");
    }
    assert_eq!(table.matches("(n=2)").count(), 4, "{table}");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    // Kill right after a round was committed (three places), right after a mid-round
    // checkpoint, and at two arbitrary moments.
    let points = [
        ("seed-3/round-000.json", None),
        ("seed-3/round-002.json", None),
        ("seed-4/round-001.json", None),
        ("seed-4/partial-002.safetensors", None),
        ("", Some(whole.mul_f64(0.3))),
        ("", Some(whole.mul_f64(0.55))),
    ];
    for (k, (wait_for, after)) in points.iter().enumerate() {
        let out = s.out(&format!("killed-{k}"));
        // A timed kill on a machine busier during the whole run than now may come too late:
        // then it is tried again with half the delay.
        let mut delay = *after;
        loop {
            let mut child = Command::new(bin)
                .args([
                    "run",
                    s.config().to_str().unwrap(),
                    "--checkpoint-every",
                    "0",
                    "--out",
                ])
                .arg(&out)
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let started = Instant::now();
            match delay {
                Some(t) => std::thread::sleep(t),
                None => {
                    while !out.join(wait_for).is_file()
                        && started.elapsed() < Duration::from_secs(120)
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            let finished = out.join("seed-4/round-003.json").is_file();
            match delay {
                Some(t) if finished && t > Duration::from_millis(50) => {
                    std::fs::remove_dir_all(&out).unwrap();
                    delay = Some(t / 2);
                }
                _ => break,
            }
        }
        assert!(
            !out.join("seed-4/round-003.json").is_file(),
            "the run finished before it was killed; the test would prove nothing"
        );
        // Killed right after a checkpoint: its restored epochs are made to have lasted 1000 s
        // each, far longer than the resumed process, so that a round time which leaves them
        // out fails the checks below (a real restored epoch here is shorter than a process
        // start).
        if wait_for.contains("partial-") {
            slow_down_restored_epochs(&out.join(wait_for), 1000.0);
            // `status` reads the round in training from its checkpoint: seed 4 has rounds 0
            // and 1 done and trains round 2 at 1000 s per epoch; seed 3 is done.
            let status = Command::new(bin).arg("status").arg(&out).output().unwrap();
            let table = String::from_utf8_lossy(&status.stdout);
            assert!(status.status.success(), "{table}");
            assert!(table.contains("| tiny | 3 | 4 of 4 | done ("), "{table}");
            assert!(
                table.contains("| tiny | 4 | 2 of 4 | round 2 | ")
                    && table.contains(" of 25 | 17 min | "),
                "{table}"
            );
        }
        let resumed = Command::new(bin)
            .args(["resume", "--checkpoint-every", "0"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            resumed.status.success(),
            "{}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        assert_eq!(
            comparable(&s.out("whole")),
            comparable(&out),
            "killed at {wait_for} {after:?}"
        );
        // Killed mid-round right after a checkpoint: the round continued from it, and its
        // time counts the restored epochs.
        if wait_for.contains("partial-") {
            let log = String::from_utf8_lossy(&resumed.stderr);
            assert!(log.contains("continuing from"), "{log}");
            let round: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(out.join("seed-4/round-002.json")).unwrap(),
            )
            .unwrap();
            let train = round["train_seconds"].as_f64().unwrap();
            assert!(
                train >= 1000.0,
                "the restored epochs' time is left out: {train}"
            );
        }
        // Every round's recorded time covers all its epochs, those of the killed process too.
        for seed in ["seed-3", "seed-4"] {
            for r in 0..4 {
                let path = out.join(format!("{seed}/round-{r:03}.json"));
                let round: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let epochs: f64 = round["epochs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["seconds"].as_f64().unwrap())
                    .sum();
                let train = round["train_seconds"].as_f64().unwrap();
                assert!(train >= epochs, "{}: {train} < {epochs}", path.display());
            }
        }
        // Models and checkpoints of finished seeds are removed; the provenance lists both
        // sessions.
        for seed in ["seed-3", "seed-4"] {
            let left: Vec<String> = std::fs::read_dir(out.join(seed))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("model-") || n.contains("partial-"))
                .collect();
            assert!(left.is_empty(), "{seed}: {left:?}");
        }
        let prov = std::fs::read_to_string(out.join("provenance.json")).unwrap();
        assert_eq!(prov.matches("\"unix_time\"").count(), 2);
        // A further pass over the finished run runs no round and adds no entry.
        let again = Command::new(bin)
            .args(["resume"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(again.status.success());
        let prov = std::fs::read_to_string(out.join("provenance.json")).unwrap();
        assert_eq!(prov.matches("\"unix_time\"").count(), 2);
    }
}

#[test]
fn bad_configs_are_refused_with_the_field_named() {
    let s = Setup::new("\"lc\"", "warm-start");
    let text = std::fs::read_to_string(s.config()).unwrap();
    std::fs::write(s.config(), text.replace("query_size = 4", "query_size = 0")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .args(["run", s.config().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("active.query_size") && err.contains("tiny.toml"),
        "{err}"
    );
    std::fs::write(
        s.config(),
        text.replace("policy = \"lc\"", "policy = \"lcc\""),
    )
    .unwrap();
    let e = ExperimentConfig::from_file(&s.config())
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown policy") && e.contains("line"), "{e}");
}

#[test]
fn every_committed_experiment_config_is_valid() {
    let dir = common::repo().join("notebooks/configs");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let cfg = ExperimentConfig::from_file(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                path.file_stem().unwrap().to_string_lossy(),
                cfg.name,
                "the file is named after the run"
            );
            n += 1;
        }
    }
    assert!(n >= 75, "found {n} configs");
}
