//! A line-for-line port of `conlleval.pl` (version 2004-01-26, as shipped in seqeval 1.2.2's
//! tests): the chunk start/end rules, the running "is the current chunk still correct" state
//! and the per-type counts. It reads tags the way conlleval does, so an `I-X` after `O` starts
//! an entity, `E-`/`[`/`]`/`.` prefixes follow conlleval's rules, and a tag without a hyphen is
//! a prefix with an empty type.
//!
//! The only intended differences from running the script, all in [`read_eval_file`]: any run of
//! whitespace separates columns by default (conlleval splits on single spaces), CRLF is
//! accepted, and `-DOCSTART-` lines are document boundaries rather than tokens tagged `O O`
//! (which conlleval counts in its token total and accuracy).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::conll::{DOCSTART, Delimiter, split_columns};
use crate::data::lines::{ColumnCount, DEFAULT_MAX_LINE_BYTES, Lines};
use crate::error::{Error, Location, Result};
use crate::metrics::scores::{Counts, Scores};

/// conlleval's sentence boundary field.
pub const BOUNDARY: &str = "-X-";

/// Splits a tag as conlleval's `/^([^-]*)-(.*)$/` does, including Perl's truthiness rule that
/// turns a type of `"0"` into the empty type.
fn split(tag: &str) -> (&str, &str) {
    match tag.split_once('-') {
        Some((p, t)) if t != "0" => (p, t),
        Some((p, _)) => (p, ""),
        None => (tag, ""),
    }
}

/// conlleval's `endOfChunk`.
fn end_of_chunk(prev_tag: &str, tag: &str, prev_type: &str, ty: &str) -> bool {
    matches!(
        (prev_tag, tag),
        ("B", "B") | ("B", "O") | ("I", "B") | ("I", "O") | ("E", "E") | ("E", "I") | ("E", "O")
    ) || (prev_tag != "O" && prev_tag != "." && prev_type != ty)
        || prev_tag == "]"
        || prev_tag == "["
}

/// conlleval's `startOfChunk`.
fn start_of_chunk(prev_tag: &str, tag: &str, prev_type: &str, ty: &str) -> bool {
    matches!(
        (prev_tag, tag),
        ("B", "B") | ("I", "B") | ("O", "B") | ("O", "I") | ("E", "E") | ("E", "I") | ("O", "E")
    ) || (tag != "O" && tag != "." && prev_type != ty)
        || tag == "["
        || tag == "]"
}

/// The running state of conlleval's main loop.
#[derive(Debug, Clone)]
pub struct Counter {
    in_correct: bool,
    last_correct: String,
    last_correct_type: String,
    last_guessed: String,
    last_guessed_type: String,
    scores: Scores,
}

impl Default for Counter {
    fn default() -> Self {
        Counter {
            in_correct: false,
            last_correct: "O".into(),
            last_correct_type: String::new(),
            last_guessed: "O".into(),
            last_guessed_type: String::new(),
            scores: Scores::default(),
        }
    }
}

impl Counter {
    /// Processes one token line (`gold`, `guessed`), or a sentence boundary.
    pub fn step(&mut self, gold: &str, guessed: &str, boundary: bool) {
        let (correct, correct_type) = if boundary { ("O", "") } else { split(gold) };
        let (guessed, guessed_type) = if boundary { ("O", "") } else { split(guessed) };
        let lc = self.last_correct.as_str();
        let lct = self.last_correct_type.as_str();
        let lg = self.last_guessed.as_str();
        let lgt = self.last_guessed_type.as_str();

        if self.in_correct {
            let end_c = end_of_chunk(lc, correct, lct, correct_type);
            let end_g = end_of_chunk(lg, guessed, lgt, guessed_type);
            if end_c && end_g && lgt == lct {
                self.in_correct = false;
                self.count(lct.to_string()).correct += 1;
            } else if end_c != end_g || guessed_type != correct_type {
                self.in_correct = false;
            }
        }
        let lc = self.last_correct.as_str();
        let lct = self.last_correct_type.as_str();
        let start_c = start_of_chunk(lc, correct, lct, correct_type);
        let start_g = start_of_chunk(
            &self.last_guessed,
            guessed,
            &self.last_guessed_type,
            guessed_type,
        );
        if start_c && start_g && guessed_type == correct_type {
            self.in_correct = true;
        }
        if start_c {
            self.count(correct_type.to_string()).gold += 1;
        }
        if start_g {
            self.count(guessed_type.to_string()).predicted += 1;
        }
        if !boundary {
            if correct == guessed && guessed_type == correct_type {
                self.scores.correct_tags += 1;
            }
            self.scores.tokens += 1;
        }
        self.last_correct = correct.to_string();
        self.last_correct_type = correct_type.to_string();
        self.last_guessed = guessed.to_string();
        self.last_guessed_type = guessed_type.to_string();
    }

    fn count(&mut self, ty: String) -> &mut Counts {
        self.scores.per_type.entry(ty).or_default()
    }

    /// Ends the input (conlleval's final `if ($inCorrect)`) and returns the scores.
    pub fn finish(mut self) -> Scores {
        if self.in_correct {
            let ty = self.last_correct_type.clone();
            self.count(ty).correct += 1;
        }
        self.scores
    }
}

/// Scores sentences of gold and predicted tags in conlleval's way. Sentences are separated by
/// boundaries, so no entity crosses them. Lengths must already agree.
pub fn score_sentences<S: AsRef<str>>(gold: &[Vec<S>], pred: &[Vec<S>]) -> Scores {
    score_stream(gold, pred, true)
}

/// As [`score_sentences`], with control over the boundary after the last sentence.
///
/// conlleval's result can depend on whether its input ends with a blank line: with unusual
/// tags (`]`, `.`, a bare `S`) a chunk still "correct so far" at the end of the input is
/// counted by its final check but not when a boundary line comes first.
pub fn score_stream<S: AsRef<str>>(
    gold: &[Vec<S>],
    pred: &[Vec<S>],
    final_boundary: bool,
) -> Scores {
    let mut c = Counter::default();
    let n = gold.len();
    for (k, (g, p)) in gold.iter().zip(pred).enumerate() {
        for (a, b) in g.iter().zip(p) {
            c.step(a.as_ref(), b.as_ref(), false);
        }
        if k + 1 < n || final_boundary {
            c.step("O", "O", true);
        }
    }
    c.finish()
}

/// How to read an evaluation file (`token ... gold predicted` per line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalFormat {
    /// Column separator; conlleval's `-d`.
    pub delimiter: Delimiter,
    /// Tags carry no B-/I- prefix: every non-outside tag is one-token chunk (`-r`).
    pub raw: bool,
    /// The outside tag in raw mode (`-o`).
    pub outside: String,
    /// Treat `-DOCSTART-` lines as boundaries.
    pub docstart: bool,
}

impl Default for EvalFormat {
    fn default() -> Self {
        EvalFormat {
            delimiter: Delimiter::Whitespace,
            raw: false,
            outside: "O".into(),
            docstart: true,
        }
    }
}

/// Gold and predicted tags of one sentence of an evaluation file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalSentence {
    /// 1-based line of its first token.
    pub line: usize,
    /// Gold tags (second-to-last column).
    pub gold: Vec<String>,
    /// Predicted tags (last column).
    pub pred: Vec<String>,
}

/// The sentences of an evaluation file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalFile {
    /// Sentences in file order.
    pub sentences: Vec<EvalSentence>,
    /// Whether a boundary (blank or `-X-` line) follows the last token.
    pub ends_with_boundary: bool,
}

impl EvalFile {
    /// Gold and predicted tag lists.
    pub fn unzip(&self) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        unzip(&self.sentences)
    }

    /// Scores the file; in conlleval mode exactly as `conlleval.pl` would, including its
    /// handling of the end of the input.
    ///
    /// # Errors
    /// In strict mode, a tag the scheme cannot read.
    pub fn score(&self, mode: crate::metrics::Mode) -> Result<Scores> {
        let (g, p) = self.unzip();
        match mode {
            crate::metrics::Mode::Conlleval => Ok(score_stream(&g, &p, self.ends_with_boundary)),
            _ => crate::metrics::score(&g, &p, mode),
        }
    }
}

/// Reads an evaluation file.
///
/// # Errors
/// The file cannot be read, a line has fewer than two columns or another column count than
/// the first one, or there is no token.
pub fn read_eval_file(path: &Path, format: &EvalFormat) -> Result<EvalFile> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    parse_eval(BufReader::new(file), &path.display().to_string(), format)
}

/// Parses an evaluation file from a reader; `name` is used in error messages.
///
/// # Errors
/// As [`read_eval_file`].
pub fn parse_eval<R: BufRead>(reader: R, name: &str, format: &EvalFormat) -> Result<EvalFile> {
    let mut lines = Lines::new(reader, name, DEFAULT_MAX_LINE_BYTES);
    let mut out: Vec<EvalSentence> = Vec::new();
    let mut current: Option<EvalSentence> = None;
    let mut columns = ColumnCount::default();
    // Whether the last line processed was a boundary (blank or `-X-` or -DOCSTART-).
    let mut at_boundary = false;
    let raw_tag = |t: &str| -> String {
        if t == format.outside || t == "O" {
            "O".to_string()
        } else {
            format!("B-{t}")
        }
    };
    while lines.advance()? {
        let line = lines.text();
        let cols = split_columns(line, format.delimiter);
        if cols.is_empty() || (format.docstart && cols[0] == DOCSTART) {
            out.extend(current.take());
            at_boundary = true;
            continue;
        }
        columns.check(
            cols.len(),
            &lines,
            "every line needs the same columns: token(s), gold tag, predicted tag",
        )?;
        if cols.len() < 2 {
            return Err(Error::input(
                lines.here(),
                "columns",
                format!("found {} column, need at least 2", cols.len()),
                "the last two columns are the gold and the predicted tag",
            ));
        }
        if cols[0] == BOUNDARY {
            out.extend(current.take());
            at_boundary = true;
            continue;
        }
        at_boundary = false;
        let (g, p) = (cols[cols.len() - 2], cols[cols.len() - 1]);
        let (g, p) = if format.raw {
            (raw_tag(g), raw_tag(p))
        } else {
            (g.to_string(), p.to_string())
        };
        let s = current.get_or_insert_with(|| EvalSentence {
            line: lines.line_number(),
            gold: Vec::new(),
            pred: Vec::new(),
        });
        s.gold.push(g);
        s.pred.push(p);
    }
    out.extend(current.take());
    if out.is_empty() {
        return Err(Error::input(
            Location::new(name, 0),
            "content",
            "no token found",
            "expected lines `token ... gold predicted`, sentences separated by blank lines",
        ));
    }
    Ok(EvalFile {
        sentences: out,
        ends_with_boundary: at_boundary,
    })
}

/// Splits evaluation sentences into gold and predicted tag lists.
pub fn unzip(sentences: &[EvalSentence]) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    sentences
        .iter()
        .map(|s| (s.gold.clone(), s.pred.clone()))
        .unzip()
}

/// Per-type counts of gold entities only (conlleval's phrase counts), e.g. for data statistics.
pub fn count_gold<S: AsRef<str>>(gold: &[Vec<S>]) -> BTreeMap<String, usize> {
    score_sentences(gold, gold)
        .per_type
        .into_iter()
        .map(|(t, c)| (t, c.gold))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn exact_match_and_boundary_errors() {
        let gold = vec![v("B-PER I-PER O B-LOC"), v("B-ORG")];
        let pred = vec![v("B-PER I-PER O B-ORG"), v("B-ORG")];
        let s = score_sentences(&gold, &pred);
        let t = s.total();
        assert_eq!((t.gold, t.predicted, t.correct), (3, 3, 2));
        assert_eq!(s.per_type["LOC"].correct, 0);
        assert_eq!(s.per_type["ORG"].predicted, 2);
        assert_eq!((s.tokens, s.correct_tags), (5, 4));
    }

    #[test]
    fn stray_i_starts_a_chunk_and_span_mismatch_is_wrong() {
        let gold = vec![v("O I-PER I-PER O")];
        let pred = vec![v("O B-PER O O")];
        let s = score_sentences(&gold, &pred);
        let t = s.total();
        assert_eq!((t.gold, t.predicted, t.correct), (1, 1, 0));
    }

    #[test]
    fn the_end_of_the_input_matters_as_in_conlleval() {
        // `perl conlleval.pl` counts 1 correct chunk without a final blank line, 0 with one.
        let gold = vec![v("I ]")];
        let pred = vec![v("I .")];
        assert_eq!(score_stream(&gold, &pred, false).total().correct, 1);
        assert_eq!(score_stream(&gold, &pred, true).total().correct, 0);
    }

    #[test]
    fn perl_truthiness_of_type_zero() {
        let s = score_sentences(&[v("B-0")], &[v("B-0")]);
        assert!(s.per_type.contains_key(""));
    }

    #[test]
    fn reads_eval_files() {
        let text = "a NN B-PER B-PER\nb NN I-PER O\n\n-X- -X- O O\nc NN O B-LOC\n";
        let f = parse_eval(text.as_bytes(), "e", &EvalFormat::default()).unwrap();
        assert!(!f.ends_with_boundary);
        let s = f.sentences;
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].line, 5);
        assert_eq!(s[1].pred, ["B-LOC"]);
        let e = parse_eval("a B-PER O\nb O\n".as_bytes(), "e", &EvalFormat::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("e:2: columns: expected 3 columns like line 1, found 2"),
            "{e}"
        );
        let e = parse_eval("x\n".as_bytes(), "e", &EvalFormat::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("e:1: columns: found 1 column"), "{e}");
        let raw = EvalFormat {
            raw: true,
            outside: "NONE".into(),
            ..EvalFormat::default()
        };
        let s = parse_eval("a PER NONE\n\n".as_bytes(), "e", &raw).unwrap();
        assert!(s.ends_with_boundary);
        let s = s.sentences;
        assert_eq!(
            (s[0].gold[0].as_str(), s[0].pred[0].as_str()),
            ("B-PER", "O")
        );
    }
}
