//! `reports/README.md`: one line per report folder with what its `index.md` says — title,
//! scale, whether runs are still partial, and how far ours lies from the paper where the
//! report compares (mean and range of `Δ = ours − paper` over the compared cells). Written by
//! `seqlab report-index`, never by hand; the verdict column is computed from those facts.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::files::write_atomic;

/// What one report says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Folder, relative to the reports folder.
    pub folder: String,
    /// The `# ` title.
    pub title: String,
    /// The scale named on its `Scale:` line (`-` when none).
    pub scale: String,
    /// Whether it says **Partial**.
    pub partial: bool,
    /// `Δ` values of its comparison table.
    pub deltas: Vec<f64>,
    /// Whether the `Δ` values compare gains over a baseline (a dot table whose value column
    /// is a `gain`, e.g. SeqMix Fig. 3), not F1 levels.
    pub gains: bool,
    /// Paper cells without a result of ours yet.
    pub missing: usize,
    /// Its `**Verdict:**` line on the papers' claims ([`crate::report::claims`]), if any.
    pub claims: Option<String>,
}

impl Entry {
    /// The computed verdict.
    pub fn verdict(&self) -> String {
        let compared = self.deltas.len();
        let cells = compared + self.missing;
        let mut state = if (self.partial || self.missing > 0) && cells > 0 {
            format!("partial (seeds or runs missing; {compared} of {cells} paper cells measured)")
        } else if self.partial {
            "partial (seeds or runs missing)".to_string()
        } else if compared > 0 {
            "complete".to_string()
        } else {
            "complete (no paper numbers to compare)".to_string()
        };
        if let Some(c) = &self.claims {
            state = format!("claims {c}; {state}");
        }
        if compared == 0 {
            return state;
        }
        let mean = self.deltas.iter().sum::<f64>() / compared as f64;
        let lo = self.deltas.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self
            .deltas
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let what = if self.gains { "gains" } else { "levels" };
        format!("{state}; {what}, ours − paper: mean {mean:+.2} F1 (range {lo:+.2} … {hi:+.2})")
    }
}

/// The body rows (trimmed cells, at least `min_cells`) of the pipe table whose header line
/// starts with `header`.
fn table_rows<'a>(text: &'a str, header: &str, min_cells: usize) -> Vec<Vec<&'a str>> {
    text.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect::<Vec<_>>()
        })
        .filter(|c| c.len() >= min_cells && !c[0].starts_with("---"))
        .collect()
}

/// Reads one `index.md`.
pub fn read_entry(reports: &Path, index: &Path) -> Result<Entry> {
    let text = std::fs::read_to_string(index).map_err(|e| Error::io(index, e))?;
    let folder = index
        .parent()
        .and_then(|p| p.strip_prefix(reports).ok())
        .map_or_else(String::new, |p| p.display().to_string());
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or(&folder)
        .trim()
        .to_string();
    let scale = text
        .lines()
        .find_map(|l| {
            let i = l.find("Scale: ")?;
            let rest = l[i + "Scale: ".len()..].trim_start_matches("**");
            let end = rest.find(['*', '.', ',']).unwrap_or(rest.len());
            Some(rest[..end].trim().to_string())
        })
        .unwrap_or_else(|| "-".into());
    let mut partial = text.contains("**Partial:**");
    let claims = text.lines().find_map(|l| {
        let v = l.strip_prefix("**Verdict:** ")?;
        Some(v.split(" — ").next().unwrap_or(v).trim().to_string())
    });
    let (mut deltas, mut missing, mut gains) = (Vec::new(), 0, false);
    let mut count = |delta: &str| match delta.parse::<f64>() {
        Ok(d) => deltas.push(d),
        Err(_) => missing += 1,
    };
    let comparison = table_rows(&text, "| method (paper's name)", 7);
    for cells in &comparison {
        count(cells[6]);
    }
    // A dot table (one value per setting): a setting not run yet makes the report partial;
    // its paper column is compared only where no comparison table did it already.
    let dot_gains = text
        .lines()
        .find(|l| l.starts_with("| setting | run |"))
        .is_some_and(|h| {
            h.split('|')
                .nth(3)
                .is_some_and(|c| c.trim().starts_with("gain"))
        });
    for cells in table_rows(&text, "| setting | run |", 6) {
        partial |= cells[2] == "not run yet";
        if comparison.is_empty() && cells[4] != "–" {
            count(cells[5]);
            gains = dot_gains;
        }
    }
    Ok(Entry {
        folder,
        title,
        scale,
        partial,
        deltas,
        gains,
        missing,
        claims,
    })
}

/// Every `index.md` one or two levels below `reports` (e.g. `lada-table3/`, `perf/tagger/`),
/// sorted by folder.
pub fn entries(reports: &Path) -> Result<Vec<Entry>> {
    let mut found: Vec<PathBuf> = Vec::new();
    let list = |d: &Path| -> Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| Error::io(d, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        Ok(v)
    };
    for d in list(reports)? {
        if d.file_name().is_some_and(|n| n == "runs") {
            continue; // run snapshots, not reports
        }
        if d.join("index.md").is_file() {
            found.push(d.join("index.md"));
        } else {
            for sub in list(&d)? {
                if sub.join("index.md").is_file() {
                    found.push(sub.join("index.md"));
                }
            }
        }
    }
    found.iter().map(|p| read_entry(reports, p)).collect()
}

/// Writes `reports/README.md`.
///
/// # Errors
/// An unreadable reports folder or report, or an unwritable index.
pub fn write(reports: &Path) -> Result<()> {
    let list = entries(reports)?;
    let mut md = String::from(
        "# Reports\n\nOne folder per paper table or figure (and the foundation checks). Each holds \
         `index.md`. A report on runs (a notebook's or the main job's) also holds `index.html` \
         (self-contained), its figures (SVG and PNG), the data (CSV), the runs' configs and \
         provenance; a foundation check's folder (datasets, scorer, perf) holds what it measured. \
         Written by `seqlab report-index` from the reports' own `index.md`; the verdict is \
         computed: whether the papers' claims (a method beats its baseline) hold in our runs \
         (reproduced: the paper's sign and Wilcoxon p < 0.05; partly: the sign without \
         significance; not reproduced: no gain or the opposite sign; a claim with fewer than 6 \
         paired points, such as a LADA table's 3 seeds of one point each, cannot reach p < 0.05 \
         and is at best partly, which its verdict says), *partial* while runs or seeds are \
         missing, and the distance of our F1 levels (or our gains, where the paper gives gains \
         over a baseline) to the paper's numbers where the report compares with them (our encoder \
         is MiniLM-L6, the papers' BERT-base, so levels are expected to lie below the paper's; \
         each report's footnotes list the protocol differences).\n\n\
         | report | title | scale | verdict |\n|---|---|---|---|\n",
    );
    for e in &list {
        let _ = writeln!(
            md,
            "| [{0}]({0}/index.md) | {1} | {2} | {3} |",
            e.folder,
            e.title.replace('|', "\\|"),
            e.scale,
            e.verdict()
        );
    }
    write_atomic(&reports.join("README.md"), md.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_title_scale_partial_and_deltas() {
        let dir = tempfile::tempdir().unwrap();
        let item = dir.path().join("item");
        std::fs::create_dir_all(&item).unwrap();
        std::fs::write(
            item.join("index.md"),
            "# Table 9\n\nScale: **cpu**. Model: m.\n\n**Partial:** x\n\n\
             **Verdict:** partly (2 of 2 claims: 1 reproduced, 1 partly) — see below.\n\n\
             | method (paper's name) | source | ours: run | labeled sentences (ours) | paper F1 | ours F1 (mean ± std, n) | Δ (ours − paper) |\n\
             |---|---|---|---:|---:|---:|---:|\n\
             | A | T (test) | a | 700 | 80.00 | 78.00 ± 1.00 (n = 3) | -2.00 |\n\
             | B | T (test) | b | 700 | 81.00 | not run yet |  |\n\
             | C | T (test) | c | 700 | 79.00 | 80.00 (n = 1) | +1.00 |\n\nafter\n",
        )
        .unwrap();
        let e = &entries(dir.path()).unwrap()[0];
        assert_eq!((e.title.as_str(), e.scale.as_str()), ("Table 9", "cpu"));
        assert!(e.partial);
        assert_eq!(e.deltas, vec![-2.0, 1.0]);
        assert_eq!(e.missing, 1);
        let v = e.verdict();
        assert!(
            v.starts_with(
                "claims partly (2 of 2 claims: 1 reproduced, 1 partly); partial (seeds or runs \
                 missing; 2 of 3 paper cells measured)"
            ),
            "{v}"
        );
        assert!(
            v.contains("levels, ours − paper: mean -0.50 F1 (range -2.00 … +1.00)"),
            "{v}"
        );
        write(dir.path()).unwrap();
        let md = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
        assert!(
            md.contains("| [item](item/index.md) | Table 9 | cpu | claims partly"),
            "{md}"
        );
    }

    #[test]
    fn a_dot_table_alone_gives_the_deltas_and_the_missing_settings() {
        let dir = tempfile::tempdir().unwrap();
        let item = dir.path().join("sweep");
        std::fs::create_dir_all(&item).unwrap();
        std::fs::write(
            item.join("index.md"),
            "# Fig. 3\n\nScale: **cpu**.\n\n\
             | setting | run | gain in test F1 (%): ours (mean ± std, n seeds) | points averaged | paper | Δ (ours − paper) |\n\
             |---|---|---:|---:|---:|---:|\n\
             | random | r | 2.00 ± 0.10 (n = 3) | 6 | 2.46 | -0.46 |\n\
             | qbc | q | not run yet | 0 | – |  |\n\n",
        )
        .unwrap();
        let e = &entries(dir.path()).unwrap()[0];
        assert!(e.partial, "a setting not run yet");
        assert_eq!((e.deltas.clone(), e.missing), (vec![-0.46], 0));
        assert_eq!(e.claims, None);
        assert!(e.gains, "the dot table's values are gains");
        let v = e.verdict();
        assert!(
            v.starts_with("partial (seeds or runs missing; 1 of 1 paper cells measured)"),
            "{v}"
        );
        assert!(
            v.ends_with("; gains, ours − paper: mean -0.46 F1 (range -0.46 … -0.46)"),
            "{v}"
        );
    }
}
