//! The Estonian NER corpus as estnltk 1.3 ships it (`estner.json`): JSON lines, one news
//! document per line, with character offsets for sentences and words.
//!
//! ```text
//! {"text": "...", "sentences": [{"start": 0, "end": 29}, ...],
//!  "words": [{"text": "Tallinna", "start": 0, "end": 8, "label": "B-LOC"}, ...], "paragraphs": [...]}
//! ```
//!
//! Sentences are rebuilt by assigning each word to the sentence whose offsets contain it. The
//! document index becomes [`Sentence::doc`] and the file line [`Sentence::line`], so that a
//! document-level split is possible (see [`crate::data::corpora`]).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use crate::data::lines::Lines;
use crate::data::scheme::{Repair, TagScheme, parse_tag};
use crate::data::{Dataset, Sentence, settle_scheme};
use crate::error::{Error, Location, Result};

/// Longest accepted document line: 64 MiB (the largest EstNER document is well under 1 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

#[derive(Deserialize)]
struct Doc {
    sentences: Vec<Offsets>,
    words: Vec<Word>,
}

#[derive(Deserialize)]
struct Offsets {
    start: usize,
    end: usize,
}

#[derive(Deserialize)]
struct Word {
    text: String,
    start: usize,
    end: usize,
    label: Option<String>,
}

/// Reads an EstNER JSON-lines file.
///
/// # Errors
/// The file cannot be read, a line is not a document, a word lies outside every sentence, a
/// label is missing or unknown, or tags break `scheme` and `repair` is [`Repair::Error`].
pub fn read_estner(path: &Path, scheme: Option<TagScheme>, repair: Repair) -> Result<Dataset> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    parse(
        BufReader::new(file),
        &path.display().to_string(),
        scheme,
        repair,
    )
}

/// Parses EstNER JSON lines from any reader; `name` is used in error messages.
///
/// # Errors
/// As [`read_estner`].
pub fn parse<R: BufRead>(
    reader: R,
    name: &str,
    scheme: Option<TagScheme>,
    repair: Repair,
) -> Result<Dataset> {
    let mut lines = Lines::new(reader, name, MAX_DOCUMENT_BYTES);
    let mut sentences = Vec::new();
    let mut doc_index = 0;
    while lines.advance()? {
        let line = lines.text();
        if line.trim().is_empty() {
            continue;
        }
        let at = lines.here();
        let doc: Doc = serde_json::from_str(line).map_err(|e| {
            Error::input(
                at.clone(),
                "json",
                e.to_string(),
                "each line must be one document with `sentences` and `words`",
            )
        })?;
        for s in doc_sentences(doc, &at)? {
            sentences.push(Sentence {
                id: sentences.len(),
                doc: doc_index,
                line: at.line,
                ..s
            });
        }
        doc_index += 1;
    }
    if sentences.is_empty() {
        return Err(Error::input(
            Location::new(name, 0),
            "content",
            "no document with words found",
            "expected JSON lines as shipped in estnltk 1.3 `estner.json`",
        ));
    }
    let mut data = Dataset::new(name, sentences);
    settle_scheme(&mut data, scheme, repair, |s, pos| {
        // All sentences of a document share its line; name the word too.
        Location::new(name, s.line).with_detail(format!("word {:?}", s.tokens[pos]))
    })?;
    Ok(data)
}

fn doc_sentences(mut doc: Doc, at: &Location) -> Result<Vec<Sentence>> {
    doc.sentences.sort_by_key(|o| (o.start, o.end));
    doc.words.sort_by_key(|w| (w.start, w.end));
    let mut out: Vec<Sentence> = doc
        .sentences
        .iter()
        .map(|_| Sentence::new(Vec::<String>::new(), Vec::<String>::new()))
        .collect();
    let mut si = 0;
    for w in doc.words {
        while si < doc.sentences.len() && doc.sentences[si].end < w.end {
            si += 1;
        }
        let inside = doc
            .sentences
            .get(si)
            .is_some_and(|s| s.start <= w.start && w.end <= s.end);
        if !inside || w.start >= w.end {
            return Err(Error::input(
                at.clone(),
                "words",
                format!(
                    "word {:?} at {}..{} lies outside every sentence",
                    w.text, w.start, w.end
                ),
                "word offsets must fall inside a sentence's start..end",
            ));
        }
        if w.text.is_empty() || w.text.contains(char::is_whitespace) {
            return Err(Error::input(
                at.clone(),
                "words",
                format!(
                    "word {:?} at {}..{} is empty or contains whitespace",
                    w.text, w.start, w.end
                ),
                "words must be single tokens",
            ));
        }
        let label = w.label.ok_or_else(|| {
            Error::input(
                at.clone(),
                "label",
                format!("word {:?} at {}..{} has no label", w.text, w.start, w.end),
                "every word needs a `label` (O or B-/I-<TYPE>)",
            )
        })?;
        if parse_tag(&label).is_none() {
            return Err(Error::input(
                at.clone(),
                "label",
                format!("unknown tag {label:?} on word {:?}", w.text),
                "tags are O or PREFIX-TYPE with PREFIX one of B, I, E, S, L, U",
            ));
        }
        out[si].tokens.push(w.text);
        out[si].tags.push(label);
    }
    out.retain(|s| !s.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"text": "Mari elab Tartus . Ta tuli .", "sentences": [{"start": 0, "end": 17}, {"start": 18, "end": 27}], "words": [{"text": "Mari", "start": 0, "end": 4, "label": "B-PER"}, {"text": "elab", "start": 5, "end": 9, "label": "O"}, {"text": "Tartus", "start": 10, "end": 16, "label": "B-LOC"}, {"text": ".", "start": 16, "end": 17, "label": "O"}, {"text": "Ta", "start": 18, "end": 20, "label": "O"}, {"text": "tuli", "start": 21, "end": 25, "label": "O"}, {"text": ".", "start": 26, "end": 27, "label": "O"}]}"#;

    #[test]
    fn rebuilds_sentences_from_offsets() {
        let text = format!("{DOC}\n{DOC}\n");
        let d = parse(text.as_bytes(), "e.json", None, Repair::Error).unwrap();
        assert_eq!(d.len(), 4);
        assert_eq!(d.sentences[0].tokens, ["Mari", "elab", "Tartus", "."]);
        assert_eq!(d.sentences[0].tags, ["B-PER", "O", "B-LOC", "O"]);
        assert_eq!(
            d.sentences
                .iter()
                .map(|s| (s.doc, s.line))
                .collect::<Vec<_>>(),
            [(0, 1), (0, 1), (1, 2), (1, 2)]
        );
        assert_eq!(d.scheme, Some(TagScheme::Iob2));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(
            "{\"sentences\": 3}\n".as_bytes(),
            "e.json",
            None,
            Repair::Error,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("e.json:1: json:"), "{e}");
        let outside = DOC.replace(r#""start": 26, "end": 27"#, r#""start": 26, "end": 40"#);
        let e = parse(
            format!("\n{outside}").as_bytes(),
            "e.json",
            None,
            Repair::Error,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("e.json:2: words: word \".\" at 26..40"),
            "{e}"
        );
        let slip = DOC.replace(
            r#""Tartus", "start": 10, "end": 16, "label": "B-LOC""#,
            r#""Tartus", "start": 10, "end": 16, "label": "I-LOC""#,
        );
        let e = parse(slip.as_bytes(), "e.json", None, Repair::Error)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("e.json:1 (word \"Tartus\"): tag:"), "{e}");
        let d = parse(slip.as_bytes(), "e.json", None, Repair::Begin).unwrap();
        assert_eq!(d.repaired_tags, 1);
    }
}
