//! Scorer parity: seqlab's conlleval port against the real `conlleval.pl`, and strict mode
//! against seqeval's `mode="strict"`.

mod common;

use rand::Rng;
use rand::seq::IndexedRandom;

use seqlab::data::TagScheme;
use seqlab::metrics::conlleval::{EvalFormat, parse_eval, read_eval_file};
use seqlab::metrics::stats::bootstrap;
use seqlab::metrics::{Mode, micro_f1_of, score, score_each};
use seqlab::report::scorer::run_conlleval_pl;

/// `perl conlleval.pl < ground_truth.txt` (seqeval 1.2.2's tests), the issue's acceptance figures.
const GROUND_TRUTH_REPORT: &str = "\
processed 961 tokens with 459 phrases; found: 539 phrases; correct: 371.
accuracy:  84.08%; precision:  68.83%; recall:  80.83%; FB1:  74.35
             ADJP: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
             ADVP: precision:  45.45%; recall:  62.50%; FB1:  52.63  11
               NP: precision:  64.98%; recall:  78.63%; FB1:  71.16  317
               PP: precision:  83.18%; recall:  98.89%; FB1:  90.36  107
             SBAR: precision:  66.67%; recall:  33.33%; FB1:  44.44  3
               VP: precision:  69.00%; recall:  79.31%; FB1:  73.80  100
";

/// `perl conlleval.pl < data/fixtures/eval_sample.txt`.
const FIXTURE_REPORT: &str = "\
processed 65 tokens with 18 phrases; found: 19 phrases; correct: 10.
accuracy:  84.62%; precision:  52.63%; recall:  55.56%; FB1:  54.05
              LOC: precision:  60.00%; recall:  60.00%; FB1:  60.00  5
             MISC: precision:  50.00%; recall:  50.00%; FB1:  50.00  4
              ORG: precision:  80.00%; recall:  80.00%; FB1:  80.00  5
              PER: precision:  20.00%; recall:  25.00%; FB1:  22.22  5
";

fn report_of(path: &std::path::Path, mode: Mode) -> String {
    let f = read_eval_file(path, &EvalFormat::default()).unwrap();
    f.score(mode).unwrap().conlleval_report()
}

fn conlleval_pl() -> Option<std::path::PathBuf> {
    let script = common::cached("conlleval/conlleval.pl")?;
    let perl = std::process::Command::new("perl").arg("-v").output();
    if !perl.is_ok_and(|o| o.status.success()) {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "perl is needed for the conlleval parity tests"
        );
        eprintln!("skipping: perl not found");
        return None;
    }
    Some(script)
}

#[test]
fn fixture_report_is_conllevals() {
    let path = common::fixture("eval_sample.txt");
    assert_eq!(report_of(&path, Mode::Conlleval), FIXTURE_REPORT);
    if let Some(script) = conlleval_pl() {
        let live = run_conlleval_pl(&script, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(live, FIXTURE_REPORT);
    }
}

#[test]
fn ground_truth_gives_the_acceptance_figures() {
    let Some(path) = common::cached("conlleval/ground_truth.txt") else {
        return;
    };
    assert_eq!(report_of(&path, Mode::Conlleval), GROUND_TRUTH_REPORT);
    if let Some(script) = conlleval_pl() {
        let live = run_conlleval_pl(&script, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(live, GROUND_TRUTH_REPORT);
    }
}

/// Tags drawn for the random files: valid and invalid IOB2, IOBES prefixes, hyphenated and
/// empty types, and conlleval's special `[`, `]`, `.` prefixes.
const TAGS: &[&str] = &[
    "O",
    "O",
    "O",
    "O",
    "B-PER",
    "I-PER",
    "B-LOC",
    "I-LOC",
    "B-ORG",
    "I-ORG",
    "I-MISC",
    "B-MISC",
    "E-PER",
    "S-LOC",
    "E-LOC",
    "B-geo-loc",
    "I-geo-loc",
    "B",
    "I",
    "B-",
    "[",
    "]",
    ".",
    "B-0",
];

fn random_file(rng: &mut impl Rng) -> String {
    let mut out = String::new();
    let sentences = rng.random_range(1..8);
    let valid_only = rng.random_bool(0.3);
    for s in 0..sentences {
        let len = rng.random_range(1..16);
        let gold: Vec<String> = if valid_only {
            // Valid IOB2 from random spans.
            let mut tags = Vec::with_capacity(len);
            while tags.len() < len {
                if rng.random_bool(0.5) {
                    tags.push("O".to_string());
                } else {
                    let ty = ["PER", "LOC", "ORG", "MISC"].choose(rng).unwrap();
                    let n = rng.random_range(1..4).min(len - tags.len());
                    for i in 0..n {
                        tags.push(format!("{}-{ty}", if i == 0 { 'B' } else { 'I' }));
                    }
                }
            }
            tags
        } else {
            (0..len)
                .map(|_| TAGS.choose(rng).unwrap().to_string())
                .collect()
        };
        for (i, g) in gold.iter().enumerate() {
            // Predictions: mostly the gold tag, sometimes another one.
            let p = if rng.random_bool(0.7) {
                g.clone()
            } else {
                TAGS.choose(rng).unwrap().to_string()
            };
            out.push_str(&format!("w{i} {g} {p}\n"));
        }
        let last = s + 1 == sentences;
        if !last || rng.random_bool(0.5) {
            // Blank lines or conlleval's `-X-` boundary lines separate sentences.
            out.push_str(if rng.random_bool(0.8) {
                "\n"
            } else {
                "-X- O O\n"
            });
        }
    }
    out
}

#[test]
fn random_sequences_match_conlleval_pl_exactly() {
    let Some(script) = conlleval_pl() else {
        return;
    };
    // SEQLAB_PARITY_CASES raises the number of random files for a longer local sweep.
    let cases: usize = std::env::var("SEQLAB_PARITY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut rng = seqlab::rng::seeded(2024);
    for case in 0..cases {
        let text = random_file(&mut rng);
        let want = run_conlleval_pl(&script, text.as_bytes()).unwrap();
        let f = parse_eval(text.as_bytes(), "random", &EvalFormat::default()).unwrap();
        let got = f.score(Mode::Conlleval).unwrap().conlleval_report();
        assert_eq!(got, want, "case {case}, input:\n{text}");
    }
}

#[test]
fn strict_mode_matches_seqeval() {
    let Some(path) = common::cached("conlleval/ground_truth.txt") else {
        return;
    };
    let (g, p) = read_eval_file(&path, &EvalFormat::default())
        .unwrap()
        .unzip();
    let strict = score(&g, &p, Mode::Strict(TagScheme::Iob2)).unwrap();
    // seqeval 1.2.2: classification_report(gold, pred, mode="strict", scheme=IOB2, digits=6)
    //   micro avg 0.707692 0.701525 0.704595 459
    //   macro avg 0.563296 0.554035 0.545949 459
    //   weighted avg 0.693625 0.701525 0.695035 459
    //   NP 0.638554 0.606870 0.622309 262; VP 0.788235 0.770115 0.779070 87
    let close = |a: f64, b: f64| (a - b).abs() < 5e-7;
    for (got, want) in [
        (strict.micro(), [0.707692, 0.701525, 0.704595]),
        (strict.macro_avg(), [0.563296, 0.554035, 0.545949]),
        (strict.weighted(), [0.693625, 0.701525, 0.695035]),
        (strict.of_type("NP"), [0.638554, 0.606870, 0.622309]),
        (strict.of_type("VP"), [0.788235, 0.770115, 0.779070]),
    ] {
        assert!(
            close(got.precision, want[0]) && close(got.recall, want[1]) && close(got.f1, want[2]),
            "{got:?} vs {want:?}"
        );
    }
    assert_eq!(strict.total().gold, 459);
    // seqeval's default mode (conlleval-compatible) on the same data:
    //   macro avg 0.548805 0.587764 0.553976; weighted avg 0.681448 0.808279 0.738196
    let lenient = score(&g, &p, Mode::Conlleval).unwrap();
    let m = lenient.macro_avg();
    let w = lenient.weighted();
    assert!(close(m.precision, 0.548805) && close(m.recall, 0.587764) && close(m.f1, 0.553976));
    assert!(close(w.precision, 0.681448) && close(w.recall, 0.808279) && close(w.f1, 0.738196));
}

#[test]
fn strict_and_conlleval_agree_on_valid_iob2() {
    let mut rng = seqlab::rng::seeded(7);
    for _ in 0..200 {
        let text = random_file(&mut rng);
        let (g, p) = parse_eval(text.as_bytes(), "r", &EvalFormat::default())
            .unwrap()
            .unzip();
        let valid = |x: &Vec<Vec<String>>| {
            x.iter()
                .all(|t| seqlab::data::scheme::violations(t, TagScheme::Iob2).is_empty())
        };
        if valid(&g) && valid(&p) {
            assert_eq!(
                score(&g, &p, Mode::Conlleval).unwrap(),
                score(&g, &p, Mode::Strict(TagScheme::Iob2)).unwrap()
            );
        }
    }
}

#[test]
fn sentence_bootstrap_of_f1_is_seeded() {
    let (g, p) = read_eval_file(&common::fixture("eval_sample.txt"), &EvalFormat::default())
        .unwrap()
        .unzip();
    let each = score_each(&g, &p, Mode::Conlleval).unwrap();
    let run = |seed| {
        let mut rng = seqlab::rng::seeded(seed);
        bootstrap(each.len(), 1000, 0.95, &mut rng, |idx| {
            micro_f1_of(&each, idx)
        })
        .unwrap()
    };
    let a = run(1);
    assert_eq!(a, run(1));
    assert!(
        (a.estimate - 20.0 / 37.0).abs() < 1e-12,
        "micro F1 of the fixture"
    );
    assert!(a.low < a.estimate && a.estimate < a.high);
}
