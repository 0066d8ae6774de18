//! Line-by-line reading of untrusted text files with bounded memory.
//!
//! Every line is checked before a reader sees it: valid UTF-8, no binary control characters,
//! not longer than a limit. Problems become [`Error::Input`] with the file and line.

use std::io::BufRead;

use crate::error::{Error, Location, Result};

/// Default longest accepted line: 1 MiB. A CoNLL token line is a few dozen bytes; a line
/// this long means the file is not what the reader expects.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Reads lines from a [`BufRead`], numbering them from 1.
pub struct Lines<R> {
    inner: R,
    file: String,
    line: usize,
    max_bytes: usize,
    buf: Vec<u8>,
    current: String,
}

impl<R: BufRead> Lines<R> {
    /// Lines of `inner`, which is called `file` in error messages.
    pub fn new(inner: R, file: impl Into<String>, max_bytes: usize) -> Self {
        Lines {
            inner,
            file: file.into(),
            line: 0,
            max_bytes,
            buf: Vec::new(),
            current: String::new(),
        }
    }

    /// The name used in error messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The number of the line last returned.
    pub fn line_number(&self) -> usize {
        self.line
    }

    /// A location on the line last returned.
    pub fn here(&self) -> Location {
        Location::new(self.file.clone(), self.line)
    }

    /// The current line, without its `\n` or `\r\n` (empty before the first [`Lines::advance`]).
    pub fn text(&self) -> &str {
        &self.current
    }

    /// Moves to the next line; `false` at the end of the input.
    ///
    /// # Errors
    /// An I/O failure, invalid UTF-8, a control character other than tab, or a line longer
    /// than the limit.
    pub fn advance(&mut self) -> Result<bool> {
        self.buf.clear();
        let mut too_long = false;
        let mut saw_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(self.file.clone(), e)),
            };
            if available.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], true),
                None => (available, false),
            };
            if !too_long {
                if self.buf.len() + chunk.len() > self.max_bytes {
                    too_long = true;
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            let used = chunk.len() + usize::from(done);
            self.inner.consume(used);
            if done {
                break;
            }
        }
        if !saw_any {
            self.current.clear();
            return Ok(false);
        }
        self.line += 1;
        if too_long {
            return Err(Error::input(
                self.here(),
                "line length",
                format!("line is longer than {} bytes", self.max_bytes),
                "the file is probably not in the expected format; one token per line is expected",
            ));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        let text = match std::str::from_utf8(&self.buf) {
            Ok(t) => t,
            Err(e) => {
                return Err(Error::input(
                    self.here(),
                    "encoding",
                    format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
                    "the file must be UTF-8 text; convert it, e.g. `iconv -f LATIN1 -t UTF-8`",
                ));
            }
        };
        if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\t') {
            return Err(Error::input(
                self.here(),
                "encoding",
                format!("control character U+{:04X} in the line", c as u32),
                "this looks like binary data, not a text corpus",
            ));
        }
        self.current.clear();
        self.current.push_str(text);
        Ok(true)
    }
}

/// Checks that every line of a column file has as many columns as the first one.
#[derive(Debug, Default)]
pub struct ColumnCount {
    first: Option<(usize, usize)>,
}

impl ColumnCount {
    /// Records the first count, or compares `n` with it; `hint` says what a line should hold.
    ///
    /// # Errors
    /// When `n` differs from the first line's count, naming both lines.
    pub fn check<R: BufRead>(&mut self, n: usize, lines: &Lines<R>, hint: &str) -> Result<()> {
        match self.first {
            None => self.first = Some((n, lines.line_number())),
            Some((want, line)) if want != n => {
                return Err(Error::input(
                    lines.here(),
                    "columns",
                    format!("expected {want} columns like line {line}, found {n}"),
                    hint,
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Result<Vec<String>> {
        let mut lines = Lines::new(input, "t.txt", max);
        let mut out = Vec::new();
        while lines.advance()? {
            out.push(lines.text().to_string());
        }
        Ok(out)
    }

    #[test]
    fn splits_lf_and_crlf_and_keeps_last_line_without_newline() {
        assert_eq!(all(b"a\r\nb\n\nc", 100).unwrap(), ["a", "b", "", "c"]);
        assert_eq!(all(b"", 100).unwrap(), Vec::<String>::new());
        assert_eq!(all(b"\n", 100).unwrap(), [""]);
    }

    #[test]
    fn reports_bad_lines_with_their_number() {
        let e = all(b"ok\n\xff\xfe\n", 100).unwrap_err().to_string();
        assert!(e.starts_with("t.txt:2: encoding: invalid UTF-8"), "{e}");
        let e = all(b"ok\nok\na\0b\n", 100).unwrap_err().to_string();
        assert!(
            e.starts_with("t.txt:3: encoding: control character U+0000"),
            "{e}"
        );
        let e = all(b"short\n0123456789abc\n", 10).unwrap_err().to_string();
        assert!(e.starts_with("t.txt:2: line length"), "{e}");
    }

    #[test]
    fn long_line_does_not_grow_the_buffer() {
        let mut big = vec![b'x'; 5_000_000];
        big.push(b'\n');
        let mut lines = Lines::new(std::io::BufReader::new(&big[..]), "big", 1024);
        assert!(lines.advance().is_err());
        assert!(lines.buf.capacity() < 1 << 20);
    }
}
