//! Readers and writers on the committed fixtures, and on malformed input.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use rand::Rng;

use seqlab::data::conll::{self, Delimiter, WriteOptions};
use seqlab::data::estner::read_estner;
use seqlab::data::scheme::{Repair, TagScheme};
use seqlab::data::{ConllFormat, Dataset, Subset, read_conll, text};

fn read(name: &str) -> Dataset {
    read_conll(&common::fixture(name), &ConllFormat::default()).unwrap()
}

fn tags(d: &Dataset) -> Vec<Vec<String>> {
    d.sentences.iter().map(|s| s.tags.clone()).collect()
}

#[test]
fn the_three_scheme_fixtures_hold_the_same_entities() {
    let iob1 = read("conll_iob1.txt");
    let iob2 = read("conll_iob2.txt");
    let iobes = read("conll_iobes.txt");
    assert_eq!(iob1.scheme, Some(TagScheme::Iob1));
    assert_eq!(iob2.scheme, Some(TagScheme::Iob2));
    assert_eq!(iobes.scheme, Some(TagScheme::Iobes));
    let want: BTreeMap<String, usize> = [("LOC", 13), ("MISC", 7), ("ORG", 12), ("PER", 9)]
        .into_iter()
        .map(|(t, n)| (t.to_string(), n))
        .collect();
    for d in [&iob1, &iob2, &iobes] {
        assert_eq!(d.len(), 20);
        assert_eq!(d.num_tokens(), 147);
        assert_eq!(d.num_documents(), 2);
        assert_eq!(d.entity_counts(), want);
        let spans: Vec<_> = d.sentences.iter().map(|s| s.spans()).collect();
        let reference: Vec<_> = iob2.sentences.iter().map(|s| s.spans()).collect();
        assert_eq!(spans, reference);
    }
    // Conversions reproduce the fixtures written in each scheme.
    assert_eq!(tags(&iob1.converted(TagScheme::Iob2)), tags(&iob2));
    assert_eq!(tags(&iob2.converted(TagScheme::Iob1)), tags(&iob1));
    assert_eq!(tags(&iob2.converted(TagScheme::Iobes)), tags(&iobes));
    assert_eq!(tags(&iobes.converted(TagScheme::Iob2)), tags(&iob2));
    // POS and chunk columns are kept.
    assert_eq!(iob2.sentences[0].extra[0], ["NNP", "B-NP"]);
}

#[test]
fn writing_reproduces_the_file_byte_for_byte() {
    for name in ["conll_iob1.txt", "conll_iob2.txt", "conll_iobes.txt"] {
        let d = read(name);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.txt");
        conll::write_conll(&out, &d, WriteOptions::default()).unwrap();
        let original = std::fs::read_to_string(common::fixture(name)).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), original, "{name}");
    }
}

#[test]
fn tab_separated_crlf_with_tab_only_separator_lines() {
    let d = read("wnut_style.tsv");
    assert_eq!(d.len(), 3);
    assert_eq!(d.sentences[0].tokens[0], "@maria_k");
    assert_eq!(d.sentences[0].tags[6], "B-geo-loc");
    assert_eq!(d.types(), ["facility", "geo-loc", "person", "tvshow"]);
    let tab = ConllFormat {
        delimiter: Delimiter::Char('\t'),
        ..ConllFormat::default()
    };
    let d2 = read_conll(&common::fixture("wnut_style.tsv"), &tab).unwrap();
    assert_eq!(d2.sentences, d.sentences);
}

#[test]
fn estner_and_plain_text_fixtures() {
    let d = read_estner(&common::fixture("estner_sample.jsonl"), None, Repair::Error).unwrap();
    assert_eq!(d.len(), 4);
    assert_eq!(d.num_documents(), 2);
    assert_eq!(
        d.sentences[1].tokens,
        ["Ta", "töötab", "Tartu", "Ülikoolis", "."]
    );
    assert_eq!(d.entity_counts()["PER"], 3);
    let pool = text::read_text(&common::fixture("pool.txt")).unwrap();
    assert_eq!(pool.len(), 3);
    assert_eq!(pool.sentences[2].line, 5);
}

#[test]
fn subsets_of_a_fixture() {
    let d = read("conll_iob2.txt");
    let first = d.subset(&"first:5".parse::<Subset>().unwrap()).unwrap();
    assert_eq!(first.sentences[0].tokens[0], "Ada");
    assert_eq!(first.len(), 5);
    let r1 = d
        .subset(&"random:25%:seed=3".parse::<Subset>().unwrap())
        .unwrap();
    let r2 = d
        .subset(&"random:25%:seed=3".parse::<Subset>().unwrap())
        .unwrap();
    assert_eq!(r1.sentences, r2.sentences);
    assert_eq!(r1.len(), 5);
    assert!(d.subset(&"first:21".parse::<Subset>().unwrap()).is_err());
}

/// Asserts a one-line error that names `file:line` and contains `what`.
fn assert_error_at(result: seqlab::Result<Dataset>, path: &Path, line: usize, what: &str) {
    let e = result
        .expect_err("malformed input must be an error")
        .to_string();
    let at = format!("{}:{line}:", path.display());
    assert!(e.starts_with(&at), "expected {at} in {e}");
    assert!(e.contains(what), "expected {what:?} in {e}");
    assert!(!e.contains('\n'), "one line: {e}");
}

#[test]
fn malformed_files_give_one_line_errors_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let f = ConllFormat::default();

    let p = write(
        "columns.txt",
        b"EU NNP B-ORG\nrejects VBZ O\nGerman B-MISC\n",
    );
    assert_error_at(
        read_conll(&p, &f),
        &p,
        3,
        "expected 3 columns like line 1, found 2",
    );

    let p = write("tag.txt", b"EU NNP B-ORG\nrejects VBZ X-VERB\n");
    assert_error_at(read_conll(&p, &f), &p, 2, "unknown tag \"X-VERB\"");

    let p = write("transition.txt", b"a B-ORG\n\nb O\nc I-PER\n");
    assert_error_at(
        read_conll(&p, &f),
        &p,
        4,
        "\"I-PER\" after \"O\" is not valid IOB2",
    );

    let p = write("utf8.txt", b"EU B-ORG\nM\xfcnchen B-LOC\n");
    assert_error_at(read_conll(&p, &f), &p, 2, "invalid UTF-8");

    let mut junk = b"EU B-ORG\n".to_vec();
    junk.extend([0u8, 1, 2, 3, 0xff, 0x7f, b'\n']);
    let p = write("binary.bin", &junk);
    assert_error_at(read_conll(&p, &f), &p, 2, "encoding");

    let mut long = b"EU B-ORG\n".to_vec();
    long.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    long.extend(b" O\n");
    let p = write("long.txt", &long);
    assert_error_at(read_conll(&p, &f), &p, 2, "line is longer than");

    let p = write("empty.txt", b"");
    let e = read_conll(&p, &f).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: content: no sentence", p.display())),
        "{e}"
    );

    let missing = dir.path().join("nope.txt");
    let e = read_conll(&missing, &f).unwrap_err().to_string();
    assert!(e.starts_with(&missing.display().to_string()), "{e}");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = seqlab::rng::seeded(11);
    let alphabet: &[u8] = b"O B-PER I-LOC E-X S- \t\r\n-DOCSTART-\xff\x00\xc3\xa9ab";
    for _ in 0..3000 {
        let n = rng.random_range(0..200);
        let bytes: Vec<u8> = (0..n)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        for repair in [Repair::Error, Repair::Begin, Repair::Outside] {
            let f = ConllFormat {
                repair,
                ..ConllFormat::default()
            };
            let _ = conll::parse(&bytes[..], "fuzz", &f);
        }
        let _ = text::parse(&bytes[..], "fuzz");
        let _ = seqlab::metrics::conlleval::parse_eval(&bytes[..], "fuzz", &Default::default());
    }
}
