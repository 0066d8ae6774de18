//! Reports written by runs into `reports/<item>/`: Markdown, CSV and the provenance every
//! report states (git commit, crate version, device, threads, data hashes).

pub mod case_study;
pub mod charts;
pub mod claims;
pub mod datasets;
pub mod generated;
pub mod index;
pub mod learning;
pub mod main_job;
pub mod notebook;
pub mod paper;
pub mod scorer;
pub mod sweep;

use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// The seqlab repository root (the folder holding the workspace `Cargo.toml`).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
}

/// `path` relative to the repository root when it lies inside it (reports must not name the
/// machine's folders), else unchanged.
pub fn repo_relative(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = std::fs::canonicalize(repo_root()).unwrap_or_else(|_| repo_root().to_path_buf());
    abs.strip_prefix(&root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// Peak resident memory of this process in MiB (`VmHWM` on Linux; `None` elsewhere).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Where and with what a report was produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// `git rev-parse HEAD` of the seqlab checkout, or `unknown`.
    pub git_commit: String,
    /// Whether tracked files outside `reports/` and the notebooks had uncommitted changes.
    pub git_dirty: bool,
    /// seqlab's version.
    pub crate_version: String,
    /// `cpu` (a `cuda` build reports its device).
    pub device: String,
    /// Threads of the compute pool (rayon's global pool, where candle's matrix products and
    /// seqlab's fused kernels run): the cores, or fewer under `RAYON_NUM_THREADS` (as when
    /// `run-all.sh` runs several queue workers side by side).
    pub threads: usize,
    /// Operating system and architecture.
    pub platform: String,
}

impl Provenance {
    /// Collects the provenance of the current process.
    pub fn collect() -> Self {
        let repo = repo_root();
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(repo)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
        // Outputs that runs write into the tree (reports, notebooks executed in place) do not
        // make the code dirty.
        let dirty = git(&[
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":(exclude)reports",
            ":(exclude)notebooks/*.ipynb",
        ])
        .is_some_and(|s| !s.is_empty());
        Provenance {
            git_commit: commit,
            git_dirty: dirty,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            device: "cpu".into(),
            threads: rayon::current_num_threads(),
            platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }

    /// Markdown bullet list.
    pub fn to_markdown(&self) -> String {
        format!(
            "- git commit: `{}`{}\n- seqlab: {}\n- device: {} ({} threads, {})\n",
            self.git_commit,
            if self.git_dirty {
                " (with uncommitted changes)"
            } else {
                ""
            },
            self.crate_version,
            self.device,
            self.threads,
            self.platform
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_records_the_threads_of_the_pool_the_run_computes_on() {
        // A pool of a size no test machine's core count is likely to match.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a 3-thread pool");
        assert_eq!(pool.install(|| Provenance::collect().threads), 3);
        let markdown = pool.install(Provenance::collect).to_markdown();
        assert!(markdown.contains("(3 threads,"), "{markdown}");
    }
}
