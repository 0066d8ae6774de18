//! The crate's one error type.
//!
//! Every error that comes from user input names where it happened (file and line, or the
//! configuration field), what is wrong, and how to fix it, on one line:
//!
//! ```text
//! data/train.txt:57: columns: expected 4 columns like line 1, found 3 (every token line needs the same columns)
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (or a name such as `<stdin>` for in-memory input).
    pub file: String,
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: usize,
    /// More precise position inside the line, e.g. `word "Tartus"` in a JSON document.
    pub detail: Option<String>,
}

impl Location {
    /// A location in `file` at 1-based `line` (0 = the whole file).
    pub fn new(file: impl Into<String>, line: usize) -> Self {
        Self {
            file: file.into(),
            line,
            detail: None,
        }
    }

    /// The same location with a position inside the line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// A location in a file on disk.
    pub fn in_path(path: &Path, line: usize) -> Self {
        Self::new(path.display().to_string(), line)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

/// Malformed input, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {field}: {message} ({hint})")]
pub struct InputError {
    /// File and line.
    pub at: Location,
    /// The field or aspect that is wrong (`columns`, `tag`, `encoding`, ...).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Everything that can go wrong in seqlab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },

    /// Malformed input: a corpus, an evaluation file, a label list.
    #[error("{0}")]
    Input(Box<InputError>),

    /// A configuration or argument value is out of range.
    #[error("invalid value for `{field}`: {message}")]
    Config {
        /// The field name as the user wrote it.
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },

    /// A corpus or model is not where it should be.
    #[error("{what} not found at {}: {hint}", path.display())]
    Missing {
        /// What was looked for.
        what: String,
        /// Where it was looked for.
        path: PathBuf,
        /// How to get it.
        hint: String,
    },

    /// Downloading or verifying data failed.
    #[error("fetch failed: {0}")]
    Fetch(String),

    /// A tensor computation failed (shape mismatch, device error, ...).
    #[error("model: {0}")]
    Model(String),

    /// A statistical routine got input it cannot handle.
    #[error("statistics: {0}")]
    Stats(String),
}

impl Error {
    /// An [`Error::Input`] at `at`.
    pub fn input(
        at: Location,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Error::Input(Box::new(InputError {
            at,
            field: field.into(),
            message: message.into(),
            hint: hint.into(),
        }))
    }

    /// An [`Error::Config`] for `field`.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
