//! The `seqlab` binary as a user runs it.

mod common;

use std::process::{Command, Output};

fn seqlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .args(args)
        .output()
        .expect("the seqlab binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn eval_prints_the_conlleval_report() {
    let path = common::fixture("eval_sample.txt");
    let o = seqlab(&["eval", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with(
        "processed 65 tokens with 18 phrases; found: 19 phrases; correct: 10.\n\
         accuracy:  84.62%; precision:  52.63%; recall:  55.56%; FB1:  54.05\n"
    ));
    let o = seqlab(&["eval", "--averages", path.to_str().unwrap()]);
    assert!(stdout(&o).contains("         weighted: precision:"));
    let o = seqlab(&["eval", "--json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["scores"]["per_type"]["ORG"]["correct"], 4);
}

#[test]
fn eval_on_ground_truth_gives_the_acceptance_figures() {
    let Some(path) = common::cached("conlleval/ground_truth.txt") else {
        return;
    };
    let o = seqlab(&["eval", path.to_str().unwrap()]);
    assert!(stdout(&o).starts_with(
        "processed 961 tokens with 459 phrases; found: 539 phrases; correct: 371.\n\
         accuracy:  84.08%; precision:  68.83%; recall:  80.83%; FB1:  74.35\n"
    ));
}

#[test]
fn bad_input_is_one_line_naming_file_and_line_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &[&str], &str); 5] = [
        (
            "cols.txt",
            b"a NN B-PER\nb O\n",
            &["data", "check"],
            ":2: columns",
        ),
        (
            "tag.txt",
            b"a NN B-PER\nb NN Q-PER\n",
            &["data", "check"],
            ":2: tag",
        ),
        (
            "bin.txt",
            b"a B-PER\n\x00\x01\x02\n",
            &["data", "check"],
            ":2: encoding",
        ),
        ("empty.txt", b"", &["data", "stats"], ": content"),
        (
            "strict.txt",
            b"a B-PER S-PER\n",
            &["eval", "--mode", "strict"],
            ":1: tag",
        ),
    ];
    for (name, bytes, cmd, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let mut args = cmd.to_vec();
        args.push(p.to_str().unwrap());
        let o = seqlab(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        let at = format!("seqlab: error: {}{want}", p.display());
        assert!(err.starts_with(&at), "{name}: want {at}, got {err}");
    }
}

#[test]
fn convert_and_stats_on_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("iobes.txt");
    let o = seqlab(&[
        "data",
        "convert",
        common::fixture("conll_iob1.txt").to_str().unwrap(),
        "--to",
        "iobes",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(common::fixture("conll_iobes.txt")).unwrap()
    );
    let o = seqlab(&[
        "data",
        "stats",
        common::fixture("conll_iob2.txt").to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("all       2         20     147        41   13     7   12    9"),
        "{out}"
    );
}

#[test]
fn stats_of_conll2003() {
    if common::cached("conll2003/train.txt").is_none() {
        return;
    }
    let o = seqlab(&["data", "stats", "conll2003"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for want in ["14,041", "3,250", "3,453", "23,499", "5,942", "5,648"] {
        assert!(out.contains(want), "{want} missing in\n{out}");
    }
}

#[test]
fn unknown_corpus_and_missing_data_are_explained() {
    let o = seqlab(&["data", "stats", "germeval"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown corpus \"germeval\""));
    let o = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .args(["data", "stats", "estner"])
        .env("SEQLAB_DATA", "/nonexistent-seqlab-cache")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("seqlab data fetch"), "{}", stderr(&o));
}

#[test]
fn embed_writes_one_json_vector_per_line() {
    if common::cached("models/all-MiniLM-L6-v2/model.safetensors").is_none() {
        return;
    }
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .arg("embed")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"A man is eating food.\nA man is eating a piece of bread.\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let rows: Vec<Vec<f32>> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!((rows.len(), rows[0].len()), (2, 384));
    let cos: f32 = rows[0].iter().zip(&rows[1]).map(|(a, b)| a * b).sum();
    assert!((cos - 0.7553).abs() < 1e-3, "{cos}");
}

/// `seqlab paraphrase ARGS` on `input`: (stdout, success).
fn paraphrase(args: &[&str], input: &str) -> (String, bool) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .arg("paraphrase")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let o = child.wait_with_output().unwrap();
    (stdout(&o), o.status.success())
}

#[test]
fn paraphrase_writes_a_file_semi_lada_reads() {
    if common::cached("models/all-MiniLM-L6-v2/model.safetensors").is_none() {
        return;
    }
    let input = "Australian coach Geoff Marsh said he was impressed with the opposition .\n\
                 The two buses collided head on this morning , police said .\n";
    let (all, ok) = paraphrase(&["--rate", "1", "--seed", "3"], input);
    assert!(ok);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 2);
    let first: Vec<&str> = lines[0].strip_prefix("0\t").unwrap().split(' ').collect();
    // Same length; capitalised words, numbers and punctuation kept; lowercase words replaced.
    assert_eq!(first.len(), 12);
    assert_eq!(
        (first[0], first[2], first[3]),
        ("Australian", "Geoff", "Marsh")
    );
    assert_ne!(first[4], "said");
    assert_eq!(first[11], ".");
    assert_eq!(
        paraphrase(&["--rate", "1", "--seed", "3"], input).0,
        all,
        "seeded"
    );
    let (none, _) = paraphrase(&["--rate", "0"], input);
    assert!(none.starts_with("0\tAustralian coach Geoff Marsh said he was impressed"));
    // The output is the file format of `paraphrases = { kind = "file" }`.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("para.tsv");
    std::fs::write(&f, &all).unwrap();
    let mut p = seqlab::augment::lada::semi::FileParaphrases::read(&f).unwrap();
    use seqlab::augment::lada::Paraphraser;
    let got = p
        .paraphrase(&[1], &[vec![]], &[], &mut seqlab::rng::seeded(0))
        .unwrap();
    assert_eq!(got[0].join(" "), lines[1].strip_prefix("1\t").unwrap());
    // A rate that is not a probability is refused.
    assert!(!paraphrase(&["--rate", "1.5"], input).1);
}

#[test]
fn wordnet_paraphrases_use_synonyms_of_the_fetched_database() {
    if common::cached("wordnet/index.noun").is_none() {
        return;
    }
    let input = "The two buses collided head on this morning , police said .\n";
    let (out, ok) = paraphrase(&["--wordnet", "--rate", "1", "--seed", "3"], input);
    assert!(ok, "{out}");
    let words: Vec<&str> = out.trim().strip_prefix("0\t").unwrap().split(' ').collect();
    assert_eq!(words.len(), 12);
    // "police" is a lemma with synonyms (WordNet 3.0: constabulary, law); capitalised words,
    // function and number words ("this", "two"), inflected forms ("buses", "said") and
    // punctuation stay.
    assert!(["constabulary", "law"].contains(&words[9]), "{words:?}");
    assert_eq!(
        (words[0], words[1], words[2], words[6], words[8], words[10]),
        ("The", "two", "buses", "this", ",", "said")
    );
    let wn =
        seqlab::data::wordnet::WordNet::load(&seqlab::data::data_dir().join("wordnet")).unwrap();
    assert!(wn.len() > 140_000, "{} lemmas", wn.len());
    // A folder without WordNet is refused with how to fetch it.
    let (_, ok) = paraphrase(
        &["--wordnet", "--wordnet-dir", "/nonexistent", "--rate", "1"],
        input,
    );
    assert!(!ok);
    // With tags only open-class base forms change: the preposition "near" keeps its place,
    // which the untagged paraphraser fills with an adjective or adverb sense.
    let plain = paraphrase(&["--wordnet", "--rate", "1"], "police near Grozny\n").0;
    assert_ne!(plain.trim(), "0\tpolice near Grozny", "{plain}");
    let tagged = "police/NN near/IN Grozny/NNP\n";
    let (out, ok) = paraphrase(&["--wordnet", "--tagged", "--rate", "1"], tagged);
    assert!(ok, "{out}");
    let words: Vec<&str> = out.trim().strip_prefix("0\t").unwrap().split(' ').collect();
    assert!(["constabulary", "law"].contains(&words[0]), "{words:?}");
    assert_eq!((words[1], words[2]), ("near", "Grozny"));
    // A token without its tag is refused.
    let (_, ok) = paraphrase(&["--wordnet", "--tagged"], "police near/IN\n");
    assert!(!ok);
}

#[test]
fn a_corrupt_model_file_is_one_line_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    seqlab::model::tiny::write_tiny_bert(dir.path(), &["anna"], 1).unwrap();
    let weights = dir.path().join("model.safetensors");
    std::fs::write(&weights, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}").unwrap();
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .args(["embed", "--model", dir.path().to_str().unwrap()])
        .env("RUST_BACKTRACE", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The model is read before stdin, so the child may already have exited (broken pipe).
    let _ = child.stdin.take().unwrap().write_all(b"Anna\n");
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&weights.display().to_string()) && !err.contains("panicked"),
        "{err}"
    );
}
