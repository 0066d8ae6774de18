//! The learning-curve report of run folders (`seqlab report`): test (or dev) F1 per
//! data-usage point, mean ± std over the seeds finished so far, as a Markdown and a
//! self-contained HTML page with the chart (SVG inline, PNG beside it), each run's results
//! (CSV), config and provenance. Runs still in progress are reported as such.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::experiment::{ExperimentConfig, Results, RoundRow, learning_curve, markdown_table};
use crate::files::write_atomic;
use crate::report::charts::{Chart, Series};
use crate::report::{Provenance, repo_relative};

/// What the report is about.
#[derive(Debug, Clone)]
pub struct LearningReport {
    /// Title (the table or figure it reproduces).
    pub title: String,
    /// `quick`, `cpu` or `paper`.
    pub scale: String,
    /// Dev F1 instead of test F1.
    pub dev: bool,
}

fn metric(dev: bool) -> impl Fn(&RoundRow) -> f64 + Copy {
    move |r: &RoundRow| if dev { r.dev_f1 } else { r.test_f1 }
}

/// A Markdown table (pipes) as an HTML table.
fn html_table(md: &str) -> String {
    let mut out = String::from("<table>\n");
    for (i, line) in md.lines().filter(|l| l.starts_with('|')).enumerate() {
        if i == 1 {
            continue; // the alignment row
        }
        let tag = if i == 0 { "th" } else { "td" };
        out.push_str("<tr>");
        for cell in line.trim_matches('|').split('|') {
            let _ = write!(out, "<{tag}>{}</{tag}>", html_escape(cell.trim()));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl LearningReport {
    /// Writes `out/{index.md, index.html, curve.svg, curve.png, results-NAME.csv,
    /// config-NAME.json, provenance-NAME.json}` for the runs in `run_dirs`.
    ///
    /// # Errors
    /// Unreadable run folders, or a file that cannot be written.
    pub fn write(&self, run_dirs: &[PathBuf], out: &Path) -> Result<()> {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        let mut runs: Vec<Results> = Vec::new();
        let mut configs: Vec<ExperimentConfig> = Vec::new();
        for dir in run_dirs {
            let path = dir.join("config.json");
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            let cfg = ExperimentConfig::from_json_str(&text)?;
            runs.push(crate::experiment::Experiment::resume(dir)?.collect()?);
            configs.push(cfg);
            for (src, dst) in [("config.json", "config"), ("provenance.json", "provenance")] {
                let p = dir.join(src);
                if p.is_file() {
                    let name = runs.last().map_or("run", |r| r.name.as_str()).to_string();
                    // Paths inside the repository are given relative to it.
                    let root = std::fs::canonicalize(crate::report::repo_root())
                        .map(|r| format!("{}/", r.display()))
                        .unwrap_or_default();
                    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
                    let text = if root.len() > 1 {
                        text.replace(&root, "")
                    } else {
                        text
                    };
                    write_atomic(&out.join(format!("{dst}-{name}.json")), text.as_bytes())?;
                }
            }
        }
        let m = metric(self.dev);
        let what = if self.dev {
            "dev F1 (%)"
        } else {
            "test F1 (%)"
        };
        let series: Vec<Series> = runs
            .iter()
            .map(|r| {
                let pts = learning_curve(&r.rows, m)
                    .into_iter()
                    .map(|p| (p.labeled_sentences as f64, p.mean, p.std))
                    .collect();
                Series::new(r.name.clone(), pts)
            })
            .collect();
        let seeds_done = |r: &Results, planned: usize| -> (usize, usize) {
            let mut per_seed = std::collections::BTreeMap::<u64, usize>::new();
            for row in &r.rows {
                *per_seed.entry(row.seed).or_default() += 1;
            }
            let complete = per_seed.values().filter(|&&n| n > planned).count();
            (complete, per_seed.len())
        };
        let model = configs
            .first()
            .map_or_else(String::new, |c| c.model.encoder.clone());
        let data = configs.first().map_or_else(String::new, |c| {
            let corpus = c
                .data
                .corpus
                .map_or("files".to_string(), |x| x.as_str().to_string());
            format!("{corpus} (pool {})", c.data.pool_subset)
        });
        let chart = Chart {
            title: format!("{} ({} scale, {model})", self.title, self.scale),
            x_label: "labeled sentences".into(),
            y_label: what.into(),
            series,
        };
        let svg = chart.svg()?;
        write_atomic(&out.join("curve.svg"), svg.as_bytes())?;
        chart.write_png(&out.join("curve.png"))?;
        for r in &runs {
            write_atomic(
                &out.join(format!("results-{}.csv", r.name)),
                r.to_csv().as_bytes(),
            )?;
        }
        let table = markdown_table(&runs, m);
        let prov = Provenance::collect();
        let mut md = format!("# {}\n\n", self.title);
        let _ = writeln!(
            md,
            "Scale: **{}**. Model: {model}. Data: {data}. Metric: {what}, mean ± sample std over seeds, per data-usage point.\n",
            self.scale
        );
        let _ = writeln!(
            md,
            "| run | configured seeds | seeds finished | seeds started |\n|---|---|---:|---:|"
        );
        for (r, c) in runs.iter().zip(&configs) {
            let (done, started) = seeds_done(r, c.active.rounds);
            let _ = writeln!(md, "| {} | {:?} | {done} | {started} |", r.name, c.seeds);
        }
        let partial = runs
            .iter()
            .zip(&configs)
            .any(|(r, c)| seeds_done(r, c.active.rounds).0 < c.seeds.len());
        if partial {
            md.push_str("\n**Partial:** some runs are still in progress; cells give the number of seeds they hold (n).\n");
        }
        let _ = write!(md, "\n{table}\n![learning curves](curve.svg)\n\n");
        // Folders inside the repository by their relative path, others by their name only.
        let dirs: Vec<String> = run_dirs
            .iter()
            .map(|d| {
                let rel = repo_relative(d);
                if Path::new(&rel).is_absolute() {
                    d.file_name()
                        .map_or(rel.clone(), |n| n.to_string_lossy().into_owned())
                } else {
                    rel
                }
            })
            .collect();
        let _ = write!(
            md,
            "Produced by `seqlab report {}` from the run folders' finished rounds.\n\n{}",
            dirs.join(" "),
            prov.to_markdown()
        );
        write_atomic(&out.join("index.md"), md.as_bytes())?;
        let mut html = format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:2px 8px;text-align:right}}</style></head><body>\n<h1>{0}</h1>\n",
            html_escape(&self.title)
        );
        let body = md
            .lines()
            .skip(2)
            .take_while(|l| !l.starts_with("| labeled"))
            .collect::<Vec<_>>()
            .join("\n");
        let _ = write!(
            html,
            "<pre>{}</pre>\n{}\n<figure>{svg}</figure>\n<pre>{}</pre>\n</body></html>\n",
            html_escape(&body),
            html_table(&table),
            html_escape(&prov.to_markdown())
        );
        write_atomic(&out.join("index.html"), html.as_bytes())
    }
}
