//! `reports/scorer/`: seqlab's evaluation of evaluation files beside the output of the real
//! `conlleval.pl` on the same files, run live with `perl`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::files::{sha256_file, write_atomic};
use crate::metrics::Mode;
use crate::metrics::conlleval::{EvalFormat, read_eval_file};
use crate::report::{Provenance, repo_relative};

/// Runs `perl conlleval.pl` on `input` and returns what it prints.
///
/// # Errors
/// When perl cannot be started or the script fails.
pub fn run_conlleval_pl(script: &Path, input: &[u8]) -> Result<String> {
    let mut child = Command::new("perl")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io(script, e))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    // Write from another thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|e| Error::io(script, e))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(Error::Fetch(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// seqlab's report for one evaluation file, beside conlleval.pl's when it could be run.
#[derive(Debug, Clone)]
pub struct Check {
    /// The evaluation file.
    pub file: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// `seqlab eval` output (conlleval mode).
    pub ours: String,
    /// `perl conlleval.pl` output, if perl and the script were available.
    pub reference: Option<String>,
}

impl Check {
    /// Whether both outputs exist and are byte-identical.
    pub fn identical(&self) -> Option<bool> {
        self.reference.as_ref().map(|r| *r == self.ours)
    }
}

/// Scores `file` and, if `conlleval_pl` is given, runs the script on it too.
///
/// # Errors
/// The file is malformed, or perl fails.
pub fn check(file: &Path, conlleval_pl: Option<&Path>) -> Result<Check> {
    let ours = read_eval_file(file, &EvalFormat::default())?
        .score(Mode::Conlleval)?
        .conlleval_report();
    let reference = match conlleval_pl {
        Some(script) => {
            let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
            Some(run_conlleval_pl(script, &bytes)?)
        }
        None => None,
    };
    Ok(Check {
        file: file.to_path_buf(),
        sha256: sha256_file(file)?,
        ours,
        reference,
    })
}

/// Renders the Markdown report.
pub fn render(checks: &[Check], provenance: &Provenance) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Scorer: seqlab eval beside conlleval.pl\n");
    let _ = writeln!(
        md,
        "Each evaluation file (`token ... gold predicted`) is scored by `seqlab eval` and by the \
         original `conlleval.pl` (from the `seqeval==1.2.2` sdist), run live with perl. The \
         outputs are compared byte for byte.\n"
    );
    let _ = writeln!(
        md,
        "Scale: the files below. Model: none. Seeds: none. Produced by `seqlab reproduce`.\n"
    );
    for c in checks {
        let verdict = match c.identical() {
            Some(true) => "identical to conlleval.pl",
            Some(false) => "DIFFERS from conlleval.pl",
            None => "conlleval.pl not run (perl or the script missing)",
        };
        let _ = writeln!(md, "## `{}`: {verdict}\n", repo_relative(&c.file));
        let _ = writeln!(md, "sha256 `{}`\n", c.sha256);
        let _ = writeln!(md, "seqlab:\n\n```text\n{}```\n", c.ours);
        if let (Some(r), Some(false)) = (&c.reference, c.identical()) {
            let _ = writeln!(md, "conlleval.pl:\n\n```text\n{r}```\n");
        }
    }
    let _ = writeln!(md, "## Provenance\n\n{}", provenance.to_markdown());
    md
}

/// Writes `index.md` into `out_dir`.
///
/// # Errors
/// When the file cannot be written.
pub fn write(out_dir: &Path, checks: &[Check], provenance: &Provenance) -> Result<()> {
    write_atomic(
        &out_dir.join("index.md"),
        render(checks, provenance).as_bytes(),
    )
}
