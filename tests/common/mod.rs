//! Helpers shared by the integration tests: fixture paths and the fetched-data cache.
#![allow(dead_code)] // each test file uses a different subset

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kernel-lib/ has a parent")
        .to_path_buf()
}

/// A committed fixture under `data/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("data/fixtures").join(name)
}

/// A file of the fetched cache, or `None` (with a note on stderr) when it has not been fetched.
///
/// Under CI (`CI=true`) a missing file is a failure: CI fetches the data before testing, so a
/// test that silently skipped there would be a test that cannot fail.
pub fn cached(rel: &str) -> Option<PathBuf> {
    let path = seqlab::data::data_dir().join(rel);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} is missing under CI; .ci/run must fetch the data first (bash data/fetch.sh)",
            path.display()
        );
    }
    eprintln!(
        "skipping: {} not fetched (run `seqlab data fetch` or `bash data/fetch.sh`)",
        path.display()
    );
    None
}
