//! Plain text for unlabeled pools: one pre-tokenized sentence per line, tokens separated by
//! whitespace. Blank lines are skipped.
//!
//! ```
//! use seqlab::data::text;
//!
//! let pool = text::parse_str("Anna lives in Oslo .\n\nHe left .\n", "pool.txt").unwrap();
//! assert_eq!(pool.len(), 2);
//! assert_eq!(pool.sentences[1].tokens, ["He", "left", "."]);
//! assert_eq!(pool.sentences[1].line, 3);
//! assert!(!pool.sentences[0].is_labeled());
//! ```

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::data::lines::{DEFAULT_MAX_LINE_BYTES, Lines};
use crate::data::{Dataset, Sentence};
use crate::error::{Error, Location, Result};

/// Reads a one-sentence-per-line file.
///
/// # Errors
/// The file cannot be read, a line is not valid text, or there is no sentence.
pub fn read_text(path: &Path) -> Result<Dataset> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    parse(BufReader::new(file), &path.display().to_string())
}

/// Parses one-sentence-per-line text held in memory.
///
/// # Errors
/// As [`read_text`].
pub fn parse_str(text: &str, name: &str) -> Result<Dataset> {
    parse(text.as_bytes(), name)
}

/// Parses one-sentence-per-line text from any reader.
///
/// # Errors
/// As [`read_text`].
pub fn parse<R: BufRead>(reader: R, name: &str) -> Result<Dataset> {
    let mut lines = Lines::new(reader, name, DEFAULT_MAX_LINE_BYTES);
    let mut sentences = Vec::new();
    while lines.advance()? {
        let line = lines.text();
        let tokens: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if tokens.is_empty() {
            continue;
        }
        sentences.push(Sentence {
            id: sentences.len(),
            doc: 0,
            line: lines.line_number(),
            tokens,
            tags: Vec::new(),
            extra: Vec::new(),
        });
    }
    if sentences.is_empty() {
        return Err(Error::input(
            Location::new(name, 0),
            "content",
            "no sentence found (the file is empty or blank)",
            "expected one tokenized sentence per line",
        ));
    }
    let mut data = Dataset::new(name, sentences);
    data.scheme = None;
    Ok(data)
}
