//! CoNLL column files: one token per line, sentences separated by blank lines.
//!
//! Handles what real corpora contain: `-DOCSTART-` document markers (CoNLL-2003), lines holding
//! only whitespace as separators (WNUT-16 uses a lone tab), CRLF line endings, any whitespace or
//! a fixed character between columns, and a configurable token and tag column. Every token line
//! must have as many columns as the first one. Bad input is an [`Error::Input`] naming the file,
//! line and field.
//!
//! ```
//! use seqlab::data::{conll, ConllFormat, TagScheme};
//!
//! let text = "-DOCSTART- -X- O\n\nAnna NNP B-PER\nsings VBZ O\n\nOslo NNP B-LOC\n";
//! let data = conll::parse_str(text, "doc.txt", &ConllFormat::default()).unwrap();
//! assert_eq!(data.len(), 2);
//! assert_eq!(data.sentences[0].tags, ["B-PER", "O"]);
//! assert_eq!(data.sentences[0].extra, [["NNP"], ["VBZ"]]);
//! assert_eq!(data.scheme, Some(TagScheme::Iob2));
//!
//! let bad = conll::parse_str("Anna NNP B-PER\nsings O\n", "bad.txt", &ConllFormat::default());
//! assert_eq!(
//!     bad.unwrap_err().to_string(),
//!     "bad.txt:2: columns: expected 3 columns like line 1, found 2 \
//!      (every token line needs the same columns; sentences are separated by blank lines)"
//! );
//! ```

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::lines::{ColumnCount, DEFAULT_MAX_LINE_BYTES, Lines};
use crate::data::scheme::{Repair, TagScheme, parse_tag};
use crate::data::vocab::LabelVocab;
use crate::data::{Dataset, Sentence, settle_scheme};
use crate::error::{Error, Location, Result};
use crate::files::write_atomic;

/// The document marker line of CoNLL-2003.
pub const DOCSTART: &str = "-DOCSTART-";

/// How columns are separated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delimiter {
    /// Any run of spaces or tabs.
    #[default]
    Whitespace,
    /// Exactly this character (trailing empty columns are dropped).
    Char(char),
}

/// A column counted from the left (0-based) or from the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Column {
    /// 0-based index from the left.
    Index(usize),
    /// The last column.
    Last,
}

impl Column {
    fn resolve(self, n: usize) -> Option<usize> {
        match self {
            Column::Index(i) if i < n => Some(i),
            Column::Index(_) => None,
            Column::Last => n.checked_sub(1),
        }
    }

    fn describe(self) -> String {
        match self {
            Column::Index(i) => format!("column {}", i + 1),
            Column::Last => "the last column".to_string(),
        }
    }
}

/// Options for reading column files. The default reads CoNLL-2003: token in the first column,
/// tag in the last, any whitespace between, scheme detected, invalid transitions refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConllFormat {
    /// Column of the token.
    pub token_column: Column,
    /// Column of the tag, or `None` for unlabeled token files.
    pub tag_column: Option<Column>,
    /// Column separator.
    pub delimiter: Delimiter,
    /// Treat `-DOCSTART-` lines as document boundaries (otherwise they are tokens).
    pub docstart: bool,
    /// The tag scheme, or `None` to detect it.
    pub scheme: Option<TagScheme>,
    /// What to do with tags that break the scheme.
    pub repair: Repair,
    /// If set, every tag must be one of these.
    pub labels: Option<LabelVocab>,
    /// Longest accepted line in bytes.
    pub max_line_bytes: usize,
}

impl Default for ConllFormat {
    fn default() -> Self {
        ConllFormat {
            token_column: Column::Index(0),
            tag_column: Some(Column::Last),
            delimiter: Delimiter::Whitespace,
            docstart: true,
            scheme: None,
            repair: Repair::Error,
            labels: None,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Splits a line into columns.
pub(crate) fn split_columns(line: &str, delimiter: Delimiter) -> Vec<&str> {
    match delimiter {
        Delimiter::Whitespace => line.split_whitespace().collect(),
        Delimiter::Char(c) => {
            let mut cols: Vec<&str> = line.split(c).collect();
            while cols.last().is_some_and(|c| c.is_empty()) {
                cols.pop();
            }
            cols
        }
    }
}

/// Reads a column file.
///
/// # Errors
/// The file cannot be opened, or its content is malformed (see the module docs).
pub fn read_conll(path: &Path, format: &ConllFormat) -> Result<Dataset> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    parse(BufReader::new(file), &path.display().to_string(), format)
}

/// Parses column-file text held in memory; `name` is used in error messages.
///
/// # Errors
/// As [`read_conll`].
pub fn parse_str(text: &str, name: &str, format: &ConllFormat) -> Result<Dataset> {
    parse(text.as_bytes(), name, format)
}

/// Parses column-file text from any reader; `name` is used in error messages.
///
/// # Errors
/// As [`read_conll`].
pub fn parse<R: BufRead>(reader: R, name: &str, format: &ConllFormat) -> Result<Dataset> {
    let mut lines = Lines::new(reader, name, format.max_line_bytes);
    let mut sentences: Vec<Sentence> = Vec::new();
    let mut current: Option<Sentence> = None;
    let mut doc = 0usize;
    let mut seen_docstart = false;
    let mut columns = ColumnCount::default();

    let flush = |current: &mut Option<Sentence>, sentences: &mut Vec<Sentence>| {
        if let Some(mut s) = current.take() {
            s.id = sentences.len();
            sentences.push(s);
        }
    };

    while lines.advance()? {
        let line = lines.text();
        let line_no = lines.line_number();
        if line.trim().is_empty() {
            flush(&mut current, &mut sentences);
            continue;
        }
        let cols = split_columns(line, format.delimiter);
        if format.docstart && cols.first() == Some(&DOCSTART) {
            flush(&mut current, &mut sentences);
            if seen_docstart || !sentences.is_empty() {
                doc += 1;
            }
            seen_docstart = true;
            continue;
        }
        columns.check(
            cols.len(),
            &lines,
            "every token line needs the same columns; sentences are separated by blank lines",
        )?;
        let token_idx = format.token_column.resolve(cols.len()).ok_or_else(|| {
            Error::input(
                lines.here(),
                "columns",
                format!(
                    "the token is in {} but the line has {} columns",
                    format.token_column.describe(),
                    cols.len()
                ),
                "set the token column to one that exists",
            )
        })?;
        let tag_idx = match format.tag_column {
            None => None,
            Some(col) => match col.resolve(cols.len()) {
                Some(i) if i != token_idx => Some(i),
                _ => {
                    return Err(Error::input(
                        lines.here(),
                        "columns",
                        format!(
                            "the tag is in {} but the line has {} column(s)",
                            col.describe(),
                            cols.len()
                        ),
                        "a labeled file needs a token and a tag column; for unlabeled text use the plain-text reader",
                    ));
                }
            },
        };
        let sentence = current.get_or_insert_with(|| Sentence {
            id: 0,
            doc,
            line: line_no,
            tokens: Vec::new(),
            tags: Vec::new(),
            extra: Vec::new(),
        });
        if let Some(ti) = tag_idx {
            let tag = cols[ti];
            check_tag(tag, format, &lines.here(), ti)?;
            sentence.tags.push(tag.to_string());
        }
        sentence.tokens.push(cols[token_idx].to_string());
        let extra: Vec<String> = cols
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != token_idx && Some(i) != tag_idx)
            .map(|(_, c)| c.to_string())
            .collect();
        if !extra.is_empty() {
            sentence.extra.push(extra);
        }
    }
    flush(&mut current, &mut sentences);

    if sentences.is_empty() {
        return Err(Error::input(
            Location::new(name, 0),
            "content",
            "no sentence found (the file is empty or holds only blank lines and document markers)",
            "expected one token per line with its tag, sentences separated by blank lines",
        ));
    }
    let mut data = Dataset::new(name, sentences);
    if format.tag_column.is_some() {
        settle_scheme(&mut data, format.scheme, format.repair, |s, pos| {
            Location::new(name, s.line + pos)
        })?;
    } else {
        data.scheme = None;
    }
    Ok(data)
}

fn check_tag(tag: &str, format: &ConllFormat, at: &Location, col: usize) -> Result<()> {
    if parse_tag(tag).is_none() {
        return Err(Error::input(
            at.clone(),
            "tag",
            format!("unknown tag {tag:?} in column {}", col + 1),
            "tags are O or PREFIX-TYPE with PREFIX one of B, I, E, S, L, U (is the tag column right?)",
        ));
    }
    if let Some(labels) = format.labels.as_ref().filter(|l| l.id(tag).is_none()) {
        return Err(Error::input(
            at.clone(),
            "tag",
            format!("tag {tag:?} is not in the label set"),
            format!("allowed: {}", labels.labels().join(", ")),
        ));
    }
    Ok(())
}

/// Options for writing column files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Column separator.
    pub delimiter: char,
    /// Write a `-DOCSTART-` line before each document.
    pub docstart: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            delimiter: ' ',
            docstart: true,
        }
    }
}

/// Renders a dataset as column text: token, the extra columns, then the tag.
///
/// # Errors
/// If a token or tag contains the delimiter or a line break, or the extra columns are uneven.
pub fn to_string(data: &Dataset, options: WriteOptions) -> Result<String> {
    let mut out = String::new();
    let d = options.delimiter;
    let mut last_doc: Option<usize> = None;
    let columns = data
        .sentences
        .iter()
        .find(|s| !s.is_empty())
        .map(|s| 1 + s.extra.first().map_or(0, Vec::len) + usize::from(s.is_labeled()))
        .unwrap_or(2);
    for s in &data.sentences {
        if options.docstart && last_doc != Some(s.doc) {
            out.push_str(DOCSTART);
            for _ in 2..columns {
                out.push(d);
                out.push_str("-X-");
            }
            if columns > 1 {
                out.push(d);
                out.push('O');
            }
            out.push_str("\n\n");
            last_doc = Some(s.doc);
        }
        for (i, token) in s.tokens.iter().enumerate() {
            let mut fields: Vec<&str> = vec![token];
            if let Some(extra) = s.extra.get(i) {
                fields.extend(extra.iter().map(String::as_str));
            }
            if let Some(tag) = s.tags.get(i) {
                fields.push(tag);
            }
            if fields.len() != columns {
                return Err(Error::config(
                    "columns",
                    format!(
                        "sentence {} token {i} has {} columns, the first sentence has {columns}",
                        s.id,
                        fields.len()
                    ),
                ));
            }
            for f in &fields {
                let bad = f.is_empty()
                    || f.contains(['\n', '\r'])
                    || if d.is_whitespace() && d != '\t' {
                        f.contains(char::is_whitespace)
                    } else {
                        f.contains(d)
                    };
                if bad {
                    return Err(Error::config(
                        "delimiter",
                        format!(
                            "sentence {} has the field {f:?}, which is empty or contains the delimiter {d:?}; write with another delimiter (e.g. a tab)",
                            s.id
                        ),
                    ));
                }
            }
            out.push_str(&fields.join(&d.to_string()));
            out.push('\n');
        }
        out.push('\n');
    }
    Ok(out)
}

/// Writes a dataset as a column file, atomically (a finished file or none).
///
/// # Errors
/// As [`to_string`], or when the file cannot be written.
pub fn write_conll(path: &Path, data: &Dataset, options: WriteOptions) -> Result<()> {
    let text = to_string(data, options)?;
    write_atomic(path, text.as_bytes())
}

/// Writes a dataset to any writer.
///
/// # Errors
/// As [`to_string`], or an I/O error.
pub fn write_to<W: Write>(mut w: W, data: &Dataset, options: WriteOptions) -> Result<()> {
    let text = to_string(data, options)?;
    w.write_all(text.as_bytes())
        .map_err(|e| Error::io("<output>", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_default(text: &str) -> Result<Dataset> {
        parse_str(text, "t.txt", &ConllFormat::default())
    }

    #[test]
    fn reads_documents_crlf_and_whitespace_separators() {
        let text =
            "-DOCSTART- O\r\n\r\nA B-PER\r\nb O\r\n \t \r\nC B-LOC\r\n-DOCSTART- O\r\nD B-ORG\r\n";
        let d = parse_default(text).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(
            d.sentences.iter().map(|s| s.doc).collect::<Vec<_>>(),
            [0, 0, 1]
        );
        assert_eq!(
            d.sentences.iter().map(|s| s.line).collect::<Vec<_>>(),
            [3, 6, 8]
        );
        assert_eq!(d.sentences[2].tags, ["B-ORG"]);
        assert_eq!(d.num_documents(), 2);
    }

    #[test]
    fn tab_delimited_keeps_spaces_inside_tokens() {
        let f = ConllFormat {
            delimiter: Delimiter::Char('\t'),
            ..ConllFormat::default()
        };
        let d = parse_str("New York\tB-LOC\ncity\tO\n\t\n", "t", &f).unwrap();
        assert_eq!(d.sentences[0].tokens, ["New York", "city"]);
    }

    #[test]
    fn errors_name_line_and_field() {
        let cases = [
            ("A B-PER\nB\n", "t.txt:2: columns"),
            ("A X-PER\n", "t.txt:1: tag: unknown tag \"X-PER\""),
            ("", "t.txt: content: no sentence"),
            ("\n\n-DOCSTART- O\n\n", "t.txt: content"),
            (
                "A B-LOC\nB O\nC I-PER\n",
                "t.txt:3: tag: \"I-PER\" after \"O\" is not valid IOB2",
            ),
            (
                "A\n",
                "t.txt:1: columns: the tag is in the last column but the line has 1 column(s)",
            ),
        ];
        for (text, want) in cases {
            let e = parse_default(text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn scheme_and_repair_options() {
        let text = "A O\nB I-PER\nC I-PER\n\nD B-LOC\n";
        let f = ConllFormat {
            repair: Repair::Begin,
            ..ConllFormat::default()
        };
        let d = parse_str(text, "t", &f).unwrap();
        assert_eq!(d.repaired_tags, 1);
        assert_eq!(d.sentences[0].tags, ["O", "B-PER", "I-PER"]);
        // Declared IOB1: the same text is valid, but `B-LOC` after nothing is not.
        let f = ConllFormat {
            scheme: Some(TagScheme::Iob1),
            ..ConllFormat::default()
        };
        let e = parse_str(text, "t", &f).unwrap_err().to_string();
        assert!(e.starts_with("t:5: tag: \"B-LOC\" at the start"), "{e}");
        // A label set restricts tags.
        let f = ConllFormat {
            labels: Some(LabelVocab::from_labels(["O", "B-LOC"]).unwrap()),
            ..ConllFormat::default()
        };
        let e = parse_str("A B-PER\n", "t", &f).unwrap_err().to_string();
        assert!(e.contains("not in the label set"), "{e}");
    }

    #[test]
    fn unlabeled_token_files() {
        let f = ConllFormat {
            tag_column: None,
            ..ConllFormat::default()
        };
        let d = parse_str("A\nb\n\nC\n", "t", &f).unwrap();
        assert_eq!(d.len(), 2);
        assert!(!d.sentences[0].is_labeled());
    }

    #[test]
    fn write_then_read_round_trips() {
        let text = "-DOCSTART- -X- -X- O\n\nAnna NNP B-NP B-PER\nsings VBZ B-VP O\n\n-DOCSTART- -X- -X- O\n\nOslo NNP B-NP B-LOC\n\n";
        let d = parse_default(text).unwrap();
        let out = to_string(&d, WriteOptions::default()).unwrap();
        assert_eq!(out, text);
        let again = parse_default(&out).unwrap();
        assert_eq!(again.sentences, d.sentences);
    }

    #[test]
    fn writer_refuses_tokens_with_the_delimiter() {
        let d = Dataset::new("t", vec![Sentence::new(["New York"], ["B-LOC"])]);
        assert!(to_string(&d, WriteOptions::default()).is_err());
        let tab = WriteOptions {
            delimiter: '\t',
            docstart: false,
        };
        assert_eq!(to_string(&d, tab).unwrap(), "New York\tB-LOC\n\n");
    }
}
