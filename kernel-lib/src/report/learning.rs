//! The learning-curve report of run folders (`seqlab report`): test (or dev) F1 per
//! data-usage point, mean ± std over the seeds finished so far, as a Markdown and a
//! self-contained HTML page with the chart (SVG inline, PNG beside it), each run's results
//! (CSV), config and provenance. Runs still in progress are reported as such.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::experiment::{
    CurvePoint, ExperimentConfig, Results, RoundRow, learning_curve, markdown_table, points_table,
};
use crate::files::write_atomic;
use crate::metrics::stats::mean_pm_std;
use crate::report::charts::{Chart, Figure, Series};
use crate::report::claims::{Claim, check, claims_table, overall};
use crate::report::generated::{GeneratedWords, generated_tables, no_pairs_note};
use crate::report::paper::{PaperCurve, Split};
use crate::report::sweep::{DotChart, Dots, dots_csv, dots_table};
use crate::report::{Provenance, repo_relative};

/// What the report is about.
#[derive(Debug, Clone, Default)]
pub struct LearningReport {
    /// Title (the table or figure it reproduces).
    pub title: String,
    /// `quick`, `cpu` or `paper`.
    pub scale: String,
    /// Dev F1 instead of test F1.
    pub dev: bool,
    /// The paper's numbers for (some of) the runs: a `paper | ours | Δ` table and hollow
    /// markers in the chart.
    pub paper: Vec<PaperCurve>,
    /// Footnotes: every protocol difference from the paper.
    pub notes: Vec<String>,
    /// `(run, series)`: runs drawn as one series (e.g. one method at several training-set
    /// sizes); runs not listed are their own series.
    pub groups: Vec<(String, String)>,
    /// A dot chart of one value per run (sweeps, ablations, gains): `dots.svg`, `dots.csv`.
    pub dots: Option<Dots>,
    /// Per-epoch dev-loss curves of the runs' first round (LADA Fig. 3): `loss.svg`,
    /// `loss-curves.csv`.
    pub loss: bool,
    /// The words SeqMix generated in each run (a table of shares and examples,
    /// `generated-words.csv`; [`crate::report::generated`]).
    pub generated: bool,
    /// The papers' claims checked against the runs ([`crate::report::claims`]): a table and
    /// the report's `**Verdict:**` line.
    pub claims: Vec<Claim>,
    /// A run trained on all training data (e.g. `lada-conll-full-base`): its final F1 is
    /// drawn as a dashed line, the ceiling the low-resource curves approach. A folder that
    /// does not exist yet is named as not run.
    pub full_data: Option<PathBuf>,
    /// Runs of the report that have no folder yet: listed as not started, and the report
    /// marked partial.
    pub not_started: Vec<String>,
}

/// The level of a full-data run: its label and the last point of its curve.
fn full_data_level(
    dir: &Path,
    m: impl Fn(&RoundRow) -> f64 + Copy,
) -> Result<Option<(String, CurvePoint)>> {
    if !dir.join("config.json").is_file() {
        return Ok(None);
    }
    let r = crate::experiment::Experiment::resume(dir)?.collect()?;
    Ok(learning_curve(&r.rows, m)
        .pop()
        .map(|p| (format!("full data: {}", r.name), p)))
}

/// `| labeled sentences | run … |` with `cell` of each run's curve of `metric` at each point.
fn per_point_table(
    runs: &[Results],
    metric: impl Fn(&RoundRow) -> f64 + Copy,
    cell: impl Fn(&CurvePoint) -> String,
) -> String {
    let curves: Vec<(String, Vec<CurvePoint>)> = runs
        .iter()
        .map(|r| (r.name.clone(), learning_curve(&r.rows, metric)))
        .collect();
    points_table(&curves, cell)
}

/// `| labeled sentences | run … |` with the mean wall time of a run (over seeds, minutes) at
/// each point.
fn wall_time_table(runs: &[Results]) -> String {
    per_point_table(
        runs,
        |x| x.seconds / 60.0,
        |p| format!("{:.1} (n={})", p.mean, p.n),
    )
}

/// `| labeled sentences | run … |` with the mean labeled words (over seeds) at each point.
fn tokens_table(runs: &[Results]) -> String {
    per_point_table(runs, |x| x.test_f1, |p| format!("{:.0}", p.labeled_tokens))
}

impl LearningReport {
    fn group_of(&self, run: &str) -> String {
        self.groups
            .iter()
            .find(|(r, _)| r == run)
            .map_or_else(|| run.to_string(), |(_, g)| g.clone())
    }

    /// The runs a claim may name: every run, and every group of runs (one method over several
    /// sizes), whose merged rows pair by seed and size.
    fn claim_runs(&self, runs: &[Results]) -> Vec<Results> {
        let mut out = runs.to_vec();
        for g in self.merged(runs) {
            if !out.iter().any(|r| r.name == g.name) {
                out.push(g);
            }
        }
        out
    }

    /// The runs merged by [`LearningReport::groups`], in order of first appearance. Rows of
    /// runs without query rounds are keyed by their size (`round` = labeled sentences), so
    /// that the sizes stay separate points of one curve. A group's curve is planned to have
    /// the points of all its member runs, started or not (they share their round count), so
    /// that a seed counts as complete (its wall time, the area under the curve) only once it
    /// has every size.
    fn merged(&self, runs: &[Results]) -> Vec<Results> {
        if self.groups.is_empty() {
            return runs.to_vec();
        }
        let mut out: Vec<Results> = Vec::new();
        for r in runs {
            let g = self.group_of(&r.name);
            let mut rows = r.rows.clone();
            if r.planned_rounds == 0 {
                rows.iter_mut().for_each(|x| x.round = x.labeled_sentences);
            }
            match out.iter_mut().find(|o| o.name == g) {
                Some(o) => o.rows.extend(rows),
                None => {
                    let members = self.groups.iter().filter(|(_, m)| *m == g).count();
                    out.push(Results {
                        name: g,
                        rows,
                        planned_rounds: members.max(1) * (r.planned_rounds + 1) - 1,
                        ..r.clone()
                    })
                }
            }
        }
        out
    }
}

/// `paper | ours (mean ± std, n) | Δ` rows for every paper curve. Ours is the run's dev F1
/// where the paper's number is a validation F1, else its test F1. A single-point paper curve
/// is matched with the run's last data-usage point; a run not started yet says so.
pub fn comparison_table(paper: &[PaperCurve], runs: &[Results]) -> String {
    let mut md = String::from(
        "| method (paper's name) | source | ours: run | labeled sentences (ours) | paper F1 | ours F1 (mean ± std, n) | Δ (ours − paper) |\n|---|---|---|---:|---:|---:|---:|\n",
    );
    for c in paper {
        let dev = c.split == Split::Dev;
        let curve = runs
            .iter()
            .find(|r| r.name == c.run)
            .map(|r| learning_curve(&r.rows, metric(dev)))
            .unwrap_or_default();
        let split = if dev { "dev" } else { "test" };
        for &(x, v) in &c.points {
            let ours = if c.points.len() == 1 {
                curve.last()
            } else {
                curve.iter().find(|p| p.labeled_sentences == x)
            };
            let missing = if curve.is_empty() {
                "not run yet"
            } else {
                "not reached yet"
            };
            let (o, d) = ours.map_or((missing.to_string(), String::new()), |p| {
                (
                    format!(
                        "{} (n = {})",
                        mean_pm_std(p.mean, p.std, p.n, 2, false),
                        p.n
                    ),
                    format!("{:+.2}", p.mean - v),
                )
            });
            let size = ours.map_or(x, |p| p.labeled_sentences);
            let _ = writeln!(
                md,
                "| {} | {} ({split}) | {} | {size} | {v:.2} | {o} | {d} |",
                c.label, c.source, c.run
            );
        }
    }
    md
}

/// Dev loss per epoch of every run's first round: the chart (mean ± std over seeds), the
/// data as CSV (`run,seed,epoch,train_loss,dev_loss,dev_f1`) and a Markdown table of the
/// lowest mean dev loss and the last epoch's, per run.
fn loss_curves(
    title: &str,
    scale: &str,
    model: &str,
    seeds: &str,
    run_dirs: &[PathBuf],
) -> Result<(Chart, String, String)> {
    let mut csv = String::from("run,seed,epoch,train_loss,dev_loss,dev_f1\n");
    let mut table = String::from(
        "| run | seeds with epoch logs | lowest mean dev loss (epoch) | last epoch's mean dev loss (epoch) |\n|---|---:|---:|---:|\n",
    );
    let mut series = Vec::new();
    let mut logged = Vec::new();
    for dir in run_dirs {
        let exp = crate::experiment::Experiment::resume(dir)?;
        let name = exp.config().name.clone();
        let mut by_epoch: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
        let mut seeds = 0;
        for (seed, r) in exp.rounds()?.into_iter().filter(|(_, r)| r.round == 0) {
            if r.epochs.iter().any(|e| e.dev.is_some()) {
                seeds += 1;
            }
            for e in &r.epochs {
                let (dl, df) = e.dev.map_or((String::new(), String::new()), |d| {
                    (format!("{:.6}", d.loss), format!("{:.4}", 100.0 * d.f1))
                });
                let _ = writeln!(
                    csv,
                    "{name},{seed},{},{:.6},{dl},{df}",
                    e.epoch, e.train_loss
                );
                if let Some(d) = e.dev {
                    by_epoch.entry(e.epoch).or_default().push(d.loss);
                }
            }
        }
        let pts: Vec<(f64, f64, f64)> = by_epoch
            .iter()
            .filter_map(|(&ep, v)| {
                crate::metrics::stats::summarize(v)
                    .ok()
                    .map(|s| (ep as f64, s.mean, s.std))
            })
            .collect();
        let lowest = pts
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or("–".into(), |p| format!("{:.4} ({})", p.1, p.0));
        let last = pts
            .last()
            .map_or("–".into(), |p| format!("{:.4} ({})", p.1, p.0));
        let _ = writeln!(table, "| {name} | {seeds} | {lowest} | {last} |");
        if !pts.is_empty() {
            series.push(Series::new(name, pts));
            logged.push(seeds);
        }
    }
    // The seeds behind the curves: those with epoch logs, which may be fewer than the runs'.
    let seeds = seeds_phrase(&logged).unwrap_or_else(|| seeds.to_string());
    let chart = Chart {
        title: format!("{title}: dev loss ({scale} scale, {model}, {seeds})"),
        x_label: "epoch".into(),
        y_label: "dev loss (cross-entropy)".into(),
        series,
        hlines: Vec::new(),
    };
    Ok((chart, csv, table))
}

const TOKENS_INTRO: &str = "The same curves against the number of labeled words (mean over seeds at each point), the annotation cost of a policy that prefers long sentences. Mean labeled words:";

const WALL_INTRO: &str = "Minutes to train and test one run at each size, mean over the seeds finished there (the table above sums a seed's sizes only once it has all of them):";

const CONSISTENCY_INTRO: &str = "How often a paraphrase kept its sentence's entity counts per type, both predicted by the model in training (argmax of the first word piece), over every unlabeled batch of training: per seed the share of compared pairs, then mean ± sample std over seeds. The consistency loss (LADA Eq. 5) assumes the counts agree; a low share means the paraphrases change what the loss asks the model to keep equal.";

const PARAPHRASE_INTRO: &str = "What the paraphraser did to the unlabeled sentences (per seed the share over all of them, then mean ± sample std over seeds; runs recorded before this was kept are left out), and the first changed sentences of one run, replaced words in bold:";

/// The paraphrasers' changes per run (`| run | seeds | words replaced | sentences unchanged |`)
/// and the examples of the first run and seed that recorded them; `None` when no round
/// recorded the changes.
fn paraphrase_tables(run_dirs: &[PathBuf]) -> Result<Option<(String, String)>> {
    let mut table = String::from(
        "| run | seeds measured | words replaced (%) | sentences left unchanged (%) |\n|---|---:|---:|---:|\n",
    );
    let mut examples: Option<String> = None;
    let mut any = false;
    for dir in run_dirs {
        let exp = crate::experiment::Experiment::resume(dir)?;
        let name = exp.config().name.clone();
        let (mut words, mut unchanged) = (Vec::new(), Vec::new());
        for (seed, r) in exp.rounds()? {
            let Some(c) = r.consistency.and_then(|c| c.change) else {
                continue;
            };
            if c.sentences == 0 {
                continue;
            }
            words.push(100.0 * c.replaced as f64 / c.words.max(1) as f64);
            unchanged.push(100.0 * c.unchanged as f64 / c.sentences as f64);
            if examples.is_none() && !c.examples.is_empty() {
                let mut t =
                    format!("| {name}, seed {seed}: training sentence | paraphrase |\n|---|---|\n");
                for (_, a, b) in &c.examples {
                    let (a, b) = (md_cell(a), md_cell(b));
                    let _ = writeln!(t, "| {a} | {} |", bold_changes(&a, &b));
                }
                examples = Some(t);
            }
        }
        if let (Ok(w), Ok(u)) = (
            crate::metrics::stats::summarize(&words),
            crate::metrics::stats::summarize(&unchanged),
        ) {
            any = true;
            let _ = writeln!(
                table,
                "| {name} | {} | {} | {} |",
                w.n,
                mean_pm_std(w.mean, w.std, w.n, 1, false),
                mean_pm_std(u.mean, u.std, u.n, 1, false)
            );
        }
    }
    Ok(any.then(|| (table, examples.unwrap_or_default())))
}

/// Text for a Markdown table cell: `|` escaped.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `b` with the words that differ from `a` at the same position in bold (all of them when the
/// lengths differ).
fn bold_changes(a: &str, b: &str) -> String {
    let (wa, wb): (Vec<&str>, Vec<&str>) = (
        a.split_whitespace().collect(),
        b.split_whitespace().collect(),
    );
    let kept = crate::augment::lada::kept_positions(&wa, &wb);
    wb.iter()
        .enumerate()
        .map(|(i, w)| {
            if kept.as_ref().is_some_and(|k| k[i]) {
                (*w).to_string()
            } else {
                format!("**{w}**")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many seeds the runs hold, for chart titles: "3 seeds", "4–5 seeds per run".
fn seeds_label(runs: &[Results]) -> String {
    let counts: Vec<usize> = runs
        .iter()
        .filter(|r| !r.rows.is_empty())
        .map(|r| {
            r.rows
                .iter()
                .map(|row| row.seed)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        })
        .collect();
    seeds_phrase(&counts).unwrap_or_else(|| "no runs yet".into())
}

/// "1 seed", "3 seeds" or "2–3 seeds per run" for seed counts per run; `None` for no run.
fn seeds_phrase(counts: &[usize]) -> Option<String> {
    match (counts.iter().min(), counts.iter().max()) {
        (Some(1), Some(1)) => Some("1 seed".into()),
        (Some(a), Some(b)) if a == b => Some(format!("{a} seeds")),
        (Some(a), Some(b)) => Some(format!("{a}–{b} seeds per run")),
        _ => None,
    }
}

/// Mean ± std over seeds of each run's share of consistent paraphrases (runs without the
/// measure are left out; `None` when no run has it).
fn consistency_table(runs: &[Results]) -> Option<String> {
    let mut table = String::from(
        "| run | seeds measured | paraphrases that kept the entity counts (%) |\n|---|---:|---:|\n",
    );
    let mut any = false;
    for r in runs {
        let mut per_seed = std::collections::BTreeMap::<u64, Vec<f64>>::new();
        for row in &r.rows {
            if let Some(v) = row.paraphrase_kept {
                per_seed.entry(row.seed).or_default().push(v);
            }
        }
        let means: Vec<f64> = per_seed
            .values()
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            .collect();
        if let Ok(sm) = crate::metrics::stats::summarize(&means) {
            any = true;
            let _ = writeln!(
                table,
                "| {} | {} | {} |",
                r.name,
                sm.n,
                mean_pm_std(sm.mean, sm.std, sm.n, 1, false)
            );
        }
    }
    any.then_some(table)
}

const CLAIMS_INTRO: &str = "Each claim: the paper's gain of a method over its baseline, beside ours. Ours: per seed, the mean over the data-usage points of (run − baseline), paired by seed and round; mean ± sample std over seeds; a two-sided Wilcoxon signed-rank test over every paired point. Reproduced: the paper's sign and p < 0.05; partly: the paper's sign without significance; not reproduced: no gain or the opposite sign. Magnitudes are shown, not judged (MiniLM-L6, not BERT-base).";

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
        // `\|` is a pipe inside a cell.
        let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
        for cell in inner.replace("\\|", "\u{1}").split('|') {
            let text = html_inline(cell.trim()).replace('\u{1}', "|");
            let _ = write!(out, "<{tag}>{text}</{tag}>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

/// Paragraphs and pipe tables of a Markdown fragment as HTML (`**bold**` kept as bold).
fn md_to_html(md: &str) -> String {
    let mut out = String::new();
    let mut table = String::new();
    for line in md.lines().chain(std::iter::once("")) {
        if line.starts_with('|') {
            table.push_str(line);
            table.push('\n');
            continue;
        }
        if !table.is_empty() {
            out.push_str(&html_table(&table));
            table.clear();
        }
        if !line.trim().is_empty() {
            let _ = writeln!(out, "<p>{}</p>", html_inline(line));
        }
    }
    out
}

/// The compute threads of every session that trained a run, from its `provenance.json`
/// (`sessions[].provenance.threads`), sorted and without repeats; empty when the file records
/// none.
fn session_threads(provenance_json: &str) -> Vec<u64> {
    let mut threads: Vec<u64> = serde_json::from_str::<serde_json::Value>(provenance_json)
        .ok()
        .and_then(|v| v.get("sessions").and_then(|s| s.as_array()).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.pointer("/provenance/threads").and_then(|t| t.as_u64()))
        .collect();
    threads.sort_unstable();
    threads.dedup();
    threads
}

/// A footnote when the runs of a report trained with different numbers of compute threads
/// (e.g. some as one of two 1-thread queue workers, `SEQLAB_WORKERS=2`), whose wall times
/// then compare only within one thread count; `None` when all used the same.
fn threads_note(per_run: &[(String, Vec<u64>)]) -> Option<String> {
    let mut all: Vec<u64> = per_run
        .iter()
        .flat_map(|(_, t)| t.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    if all.len() < 2 {
        return None;
    }
    let list = per_run
        .iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(name, t)| {
            let t: Vec<String> = t.iter().map(u64::to_string).collect();
            format!("{name} {}", t.join(" and "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    Some(format!(
        "Wall time: the runs trained with different numbers of compute threads, so their wall \
         times compare only within one thread count (reports/perf/queue-workers: on 2 cores a \
         1-thread run takes about 1.5× as long as a 2-thread one, with the same results). \
         Threads per run, over its sessions (provenance-NAME.json): {list}."
    ))
}

/// Markdown inline text as HTML: escaped, `**bold**` as bold.
fn html_inline(md: &str) -> String {
    let mut p = html_escape(md);
    while let (Some(a), true) = (p.find("**"), p.matches("**").count() >= 2) {
        p.replace_range(a..a + 2, "<strong>");
        if let Some(b) = p.find("**") {
            p.replace_range(b..b + 2, "</strong>");
        }
    }
    p
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
        let mut threads: Vec<(String, Vec<u64>)> = Vec::new();
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
                    if src == "provenance.json" {
                        threads.push((name.clone(), session_threads(&text)));
                    }
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
        let shown = self.merged(&runs);
        let mut series: Vec<Series> = shown
            .iter()
            .map(|r| {
                let pts = learning_curve(&r.rows, m)
                    .into_iter()
                    .map(|p| (p.labeled_sentences as f64, p.mean, p.std))
                    .collect();
                Series::new(r.name.clone(), pts)
            })
            .collect();
        let mut refs: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for c in &self.paper {
            if (c.split == Split::Dev) != self.dev {
                continue; // the chart shows one split
            }
            let pts = match runs.iter().find(|r| r.name == c.run) {
                // A single-point curve is drawn at our run's last data-usage point.
                Some(r) if c.points.len() == 1 => learning_curve(&r.rows, m)
                    .last()
                    .map(|p| vec![(p.labeled_sentences as f64, c.points[0].1)])
                    .unwrap_or_default(),
                // Other curves, and those of a run not made yet (the target to compare
                // with), at the paper's own sizes.
                _ => c.points.iter().map(|&(x, v)| (x as f64, v)).collect(),
            };
            let g = format!("paper {}", self.group_of(&c.run));
            match refs.iter_mut().find(|(n, _)| *n == g) {
                Some((_, p)) => p.extend(pts),
                None => refs.push((g, pts)),
            }
        }
        for (name, mut pts) in refs {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            series.push(Series::reference(name, pts));
        }
        let seeds_done = |r: &Results, planned: usize| -> (usize, usize) {
            let mut per_seed = std::collections::BTreeMap::<u64, usize>::new();
            for row in &r.rows {
                *per_seed.entry(row.seed).or_default() += 1;
            }
            let complete = per_seed.values().filter(|&&n| n > planned).count();
            (complete, per_seed.len())
        };
        let none = || "– (no run yet)".to_string();
        let model = configs
            .first()
            .map_or_else(none, |c| c.model.encoder.clone());
        let data = configs.first().map_or_else(none, |c| {
            let corpus = c
                .data
                .corpus
                .map_or("files".to_string(), |x| x.as_str().to_string());
            format!("{corpus} (pool {})", c.data.pool_subset)
        });
        let seeds = seeds_label(&runs);
        let full = match &self.full_data {
            Some(d) => full_data_level(d, m)?,
            None => None,
        };
        let hlines: Vec<(String, f64)> = full.iter().map(|(l, p)| (l.clone(), p.mean)).collect();
        let chart = Chart {
            title: format!("{} ({} scale, {model}, {seeds})", self.title, self.scale),
            x_label: "labeled sentences".into(),
            y_label: what.into(),
            series,
            hlines: hlines.clone(),
        };
        let svg = chart.svg()?;
        write_atomic(&out.join("curve.svg"), svg.as_bytes())?;
        chart.write_png(&out.join("curve.png"))?;
        // The same curves against labeled words, where a curve has more than one point.
        let by_tokens = if shown.iter().any(|r| learning_curve(&r.rows, m).len() > 1) {
            let series = shown
                .iter()
                .map(|r| {
                    let pts = learning_curve(&r.rows, m)
                        .into_iter()
                        .map(|p| (p.labeled_tokens, p.mean, p.std))
                        .collect();
                    Series::new(r.name.clone(), pts)
                })
                .collect();
            let chart = Chart {
                title: format!(
                    "{} by labeled words ({} scale, {model}, {seeds})",
                    self.title, self.scale
                ),
                x_label: "labeled words (mean over seeds)".into(),
                y_label: what.into(),
                series,
                hlines,
            };
            let svg = chart.svg()?;
            write_atomic(&out.join("curve-tokens.svg"), svg.as_bytes())?;
            chart.write_png(&out.join("curve-tokens.png"))?;
            Some((svg, tokens_table(&shown)))
        } else {
            None
        };
        for r in &runs {
            write_atomic(
                &out.join(format!("results-{}.csv", r.name)),
                r.to_csv().as_bytes(),
            )?;
        }
        let table = markdown_table(&shown, m);
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
        for name in &self.not_started {
            let _ = writeln!(md, "| {name} | not started | 0 | 0 |");
        }
        let partial = !self.not_started.is_empty()
            || runs
                .iter()
                .zip(&configs)
                .any(|(r, c)| seeds_done(r, c.active.rounds).0 < c.seeds.len());
        if partial {
            md.push_str("\n**Partial:** some runs are still in progress or not started; cells give the number of seeds they hold (n).\n");
        }
        let claim_runs = self.claim_runs(&runs);
        let checks: Vec<_> = self
            .claims
            .iter()
            .map(|c| check(c, &claim_runs, &m))
            .collect();
        if !checks.is_empty() {
            let _ = writeln!(
                md,
                "\n**Verdict:** {} — see the claims table below.",
                overall(&checks)
            );
        }
        let full_line = match (&self.full_data, &full) {
            (_, Some((label, p))) => format!(
                "Dashed line: {label}, the tagger trained on all {} training sentences: {what} {} (n = {}).\n\n",
                p.labeled_sentences,
                mean_pm_std(p.mean, p.std, p.n, 2, false),
                p.n
            ),
            (Some(d), None) => format!(
                "Full-data reference {}: not run yet.\n\n",
                d.file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            ),
            (None, None) => String::new(),
        };
        let _ = write!(
            md,
            "\n{table}\n{full_line}![learning curves](curve.svg)\n\n"
        );
        let mut figures = String::new();
        if let Some((svg, t)) = &by_tokens {
            let _ = write!(
                md,
                "## By labeled words\n\n{TOKENS_INTRO}\n\n{t}\n![learning curves by labeled words](curve-tokens.svg)\n\n"
            );
            let _ = write!(
                figures,
                "<h2>By labeled words</h2>\n<p>{}</p>\n{}\n<figure>{svg}</figure>\n",
                html_escape(TOKENS_INTRO),
                html_table(t)
            );
        }
        if !self.groups.is_empty() {
            let t = wall_time_table(&shown);
            let _ = write!(md, "## Wall time per size\n\n{WALL_INTRO}\n\n{t}\n");
            let _ = write!(
                figures,
                "<h2>Wall time per size</h2>\n<p>{}</p>\n{}\n",
                html_escape(WALL_INTRO),
                html_table(&t)
            );
        }
        if let Some(dots) = &self.dots {
            let values = dots.values(&runs, &m);
            let reference = dots.reference_value(&runs, &m);
            let y_label = if dots.entries.iter().any(|e| e.baseline.is_some()) {
                format!("gain in {what}")
            } else {
                format!("mean {what}")
            };
            let chart = DotChart {
                title: format!("{} ({} scale, {model}, {seeds})", self.title, self.scale),
                x_label: dots.x_label.clone(),
                y_label: y_label.clone(),
                values: values.clone(),
                reference: reference.clone(),
            };
            let svg = chart.svg()?;
            write_atomic(&out.join("dots.svg"), svg.as_bytes())?;
            chart.write_png(&out.join("dots.png"))?;
            write_atomic(&out.join("dots.csv"), dots_csv(&values).as_bytes())?;
            let t = dots_table(&values, &y_label);
            let _ = write!(
                md,
                "## One value per setting ({})\n\nEach seed's {what} averaged over the data-usage points that the run's most advanced seed finished (points averaged), then mean ± sample std over the seeds that finished them all{}.\n\n{t}\n![one value per setting](dots.svg)\n\n",
                dots.x_label,
                reference.as_ref().map_or(String::new(), |(n, v)| format!(
                    "; dashed line: {n} ({v:.2})"
                ))
            );
            let _ = write!(
                figures,
                "<h2>One value per setting ({})</h2>\n{}\n<figure>{svg}</figure>\n",
                html_escape(&dots.x_label),
                html_table(&t)
            );
        }
        if self.loss {
            let (chart, csv, t) = loss_curves(&self.title, &self.scale, &model, &seeds, run_dirs)?;
            let svg = chart.svg()?;
            write_atomic(&out.join("loss.svg"), svg.as_bytes())?;
            chart.write_png(&out.join("loss.png"))?;
            write_atomic(&out.join("loss-curves.csv"), csv.as_bytes())?;
            let _ = write!(
                md,
                "## Dev loss per epoch\n\nMean word-level cross-entropy on the dev split after every epoch of the first round, mean ± std over seeds (data: `loss-curves.csv`).\n\n{t}\n![dev loss per epoch](loss.svg)\n\n"
            );
            let _ = write!(
                figures,
                "<h2>Dev loss per epoch</h2>\n{}\n<figure>{svg}</figure>\n",
                html_table(&t)
            );
        }
        if let Some(t) = consistency_table(&runs) {
            let _ = write!(
                md,
                "## Semi-LADA: paraphrase consistency\n\n{CONSISTENCY_INTRO}\n\n{t}\n"
            );
            let _ = write!(
                figures,
                "<h2>Semi-LADA: paraphrase consistency</h2>\n<p>{}</p>\n{}\n",
                html_escape(CONSISTENCY_INTRO),
                html_table(&t)
            );
            if let Some((t, examples)) = paraphrase_tables(run_dirs)? {
                let _ = write!(md, "{PARAPHRASE_INTRO}\n\n{t}\n{examples}\n");
                let _ = write!(
                    figures,
                    "<p>{}</p>\n{}\n{}\n",
                    html_escape(PARAPHRASE_INTRO),
                    html_table(&t),
                    html_table(&examples)
                );
            }
        }
        if self.generated {
            let counts = runs
                .iter()
                .zip(run_dirs)
                .map(|(r, d)| Ok((r.name.clone(), GeneratedWords::of_run(d)?)))
                .collect::<Result<Vec<_>>>()?;
            if let Some((t, examples, csv)) = generated_tables(&counts) {
                write_atomic(&out.join("generated-words.csv"), csv.as_bytes())?;
                let note = no_pairs_note(&counts);
                let _ = write!(
                    md,
                    "## Generated words\n\nThe words of the mixed windows of every accepted sentence, all seeds and rounds (data: `generated-words.csv`; every candidate is in the runs' `augment-RRR.jsonl`). Sentences wanted: the augment rate times the sentences of each generation's batch, summed over seeds and rounds; pairs found: the candidate pairs of the pairing function. Latin letters: words whose letters are all ASCII; other scripts: a word with any other letter; numbers and punctuation are neither.\n\n{t}\n{}The first accepted windows of each run:\n\n{examples}\n",
                    note.as_ref()
                        .map_or_else(String::new, |n| format!("**{n}**\n\n"))
                );
                let _ = write!(
                    figures,
                    "<h2>Generated words</h2>\n{}\n{}<p>The first accepted windows of each run:</p>\n{}\n",
                    html_table(&t),
                    note.map_or_else(String::new, |n| format!(
                        "<p><strong>{}</strong></p>\n",
                        html_escape(&n)
                    )),
                    html_table(&examples)
                );
            }
        }
        let comparison = if self.paper.is_empty() {
            String::new()
        } else {
            comparison_table(&self.paper, &runs)
        };
        if !comparison.is_empty() {
            let _ = write!(
                md,
                "## Beside the paper\n\nThe paper's numbers are transcribed from its text (hollow markers, `paper …` in the chart).\n\n{comparison}\n"
            );
        }
        let claims = if checks.is_empty() {
            String::new()
        } else {
            claims_table(&checks)
        };
        if !claims.is_empty() {
            let _ = write!(md, "## The papers' claims\n\n{CLAIMS_INTRO}\n\n{claims}\n");
        }
        let notes: Vec<String> = self
            .notes
            .iter()
            .cloned()
            .chain(threads_note(&threads))
            .collect();
        if !notes.is_empty() {
            md.push_str("Protocol differences:\n\n");
            for (i, n) in notes.iter().enumerate() {
                let _ = writeln!(md, "{}. {n}", i + 1);
            }
            md.push('\n');
        }
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
        let produced = if dirs.is_empty() {
            "No run folder exists yet: the tables and charts fill in as the runs above finish their rounds.".to_string()
        } else {
            format!(
                "Produced by `seqlab report {}` from the run folders' finished rounds.",
                dirs.join(" ")
            )
        };
        let _ = write!(md, "{produced}\n\n{}", prov.to_markdown());
        write_atomic(&out.join("index.md"), md.as_bytes())?;
        let mut html = format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:2px 8px;text-align:right}}</style></head><body>\n<h1>{0}</h1>\n",
            html_escape(&self.title)
        );
        let body = md_to_html(
            &md.lines()
                .skip(2)
                .take_while(|l| !l.starts_with("| labeled"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let mut extra = String::new();
        if !comparison.is_empty() {
            let _ = write!(
                extra,
                "<h2>Beside the paper</h2>\n{}",
                html_table(&comparison)
            );
        }
        if !claims.is_empty() {
            let _ = write!(
                extra,
                "<h2>The papers' claims</h2>\n<p>{}</p>\n{}",
                html_escape(CLAIMS_INTRO),
                html_table(&claims)
            );
        }
        if !notes.is_empty() {
            extra.push_str("<ol>");
            for n in &notes {
                let _ = write!(extra, "<li>{}</li>", html_escape(n));
            }
            extra.push_str("</ol>\n");
        }
        let _ = write!(
            html,
            "{body}\n{}\n{}<figure>{svg}</figure>\n{figures}{extra}<pre>{}</pre>\n</body></html>\n",
            html_table(&table),
            if full_line.is_empty() {
                String::new()
            } else {
                format!("<p>{}</p>\n", html_escape(full_line.trim()))
            },
            html_escape(&prov.to_markdown())
        );
        write_atomic(&out.join("index.html"), html.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::claims::Verdict;

    fn run(name: &str, kept: &[(u64, Option<f64>)]) -> Results {
        let rows = kept
            .iter()
            .map(|&(seed, k)| RoundRow {
                seed,
                paraphrase_kept: k,
                ..RoundRow::default()
            })
            .collect();
        Results::new(name.into(), rows, Vec::new(), 0)
    }

    #[test]
    fn a_report_before_any_run_lists_the_paper_and_what_is_missing() {
        let out = std::env::temp_dir().join(format!("seqlab-empty-report-{}", std::process::id()));
        let report = LearningReport {
            title: "T".into(),
            scale: "cpu".into(),
            paper: crate::report::paper::lada_table4_germeval(),
            loss: true,
            not_started: vec!["lada-estner-full-base".into()],
            ..Default::default()
        };
        report.write(&[], &out).unwrap();
        let md = std::fs::read_to_string(out.join("index.md")).unwrap();
        assert!(
            md.contains("| lada-estner-full-base | not started | 0 | 0 |"),
            "{md}"
        );
        assert!(md.contains("| 86.12 | not run yet |"), "{md}");
        assert!(md.contains("No run folder exists yet"), "{md}");
        assert!(
            !md.contains("seqlab report `"),
            "an empty command line: {md}"
        );
        for f in ["index.html", "curve.svg", "loss.svg"] {
            assert!(out.join(f).is_file(), "{f}");
        }
        // The chart shows the paper's numbers (hollow markers) though no run exists yet.
        let svg = std::fs::read_to_string(out.join("curve.svg")).unwrap();
        assert!(svg.contains("paper lada-estner-full-base"), "{svg}");
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn a_footnote_names_the_thread_counts_only_when_runs_differ() {
        let two = r#"{"sessions": [{"provenance": {"threads": 2}, "unix_time": 1}]}"#;
        let mixed = r#"{"sessions": [{"provenance": {"threads": 2}}, {"provenance": {"threads": 1}},
            {"provenance": {"threads": 2}}]}"#;
        assert_eq!(session_threads(two), vec![2]);
        assert_eq!(session_threads(mixed), vec![1, 2]);
        assert_eq!(session_threads("{}"), Vec::<u64>::new());
        assert_eq!(session_threads("not json"), Vec::<u64>::new());
        let same = [("a".to_string(), vec![2]), ("b".to_string(), vec![2])];
        assert_eq!(threads_note(&same), None);
        let differ = [
            ("a".to_string(), vec![2]),
            ("b".to_string(), vec![1]),
            ("c".to_string(), vec![1, 2]),
            ("d".to_string(), vec![]),
        ];
        let note = threads_note(&differ).expect("a note when thread counts differ");
        assert!(note.ends_with("a 2; b 1; c 1 and 2."), "{note}");
    }

    #[test]
    fn a_group_of_sizes_is_one_curve_complete_only_with_every_size() {
        let point = |seed: u64, sentences: usize, seconds: f64| RoundRow {
            seed,
            labeled_sentences: sentences,
            test_f1: 80.0,
            seconds,
            ..RoundRow::default()
        };
        let report = LearningReport {
            groups: ["m-5", "m-10", "m-30"]
                .iter()
                .map(|r| (r.to_string(), "m".to_string()))
                .collect(),
            ..LearningReport::default()
        };
        let small = Results::new(
            "m-5".into(),
            (1..=3).map(|s| point(s, 700, 60.0 * s as f64)).collect(),
            Vec::new(),
            0,
        );
        let mid = Results::new("m-10".into(), vec![point(1, 1400, 600.0)], Vec::new(), 0);
        // Sizes 5 and 10 % of seed 1 only: no seed has the whole curve yet.
        let merged = report.merged(&[small.clone(), mid.clone()]);
        assert_eq!((merged.len(), merged[0].planned_rounds), (1, 2));
        let table = markdown_table(&merged, |x| x.test_f1);
        let wall = table
            .lines()
            .find(|l| l.starts_with("| wall time"))
            .expect("a wall-time row");
        assert!(wall.ends_with("| – |"), "{wall}");
        // Per size, every finished run counts: seeds 1–3 at 5 % (1, 2, 3 min), seed 1 at 10 %.
        let per_size = wall_time_table(&merged);
        assert!(per_size.contains("| 700 | 2.0 (n=3) |"), "{per_size}");
        assert!(per_size.contains("| 1400 | 10.0 (n=1) |"), "{per_size}");
        // With 30 % too, seed 1's curve is complete: 1 + 10 + 20 minutes.
        let large = Results::new("m-30".into(), vec![point(1, 4200, 1200.0)], Vec::new(), 0);
        let table = markdown_table(&report.merged(&[small, mid, large]), |x| x.test_f1);
        let wall = table
            .lines()
            .find(|l| l.starts_with("| wall time"))
            .expect("a wall-time row");
        assert!(wall.ends_with("| 31.0 |"), "{wall}");
    }

    #[test]
    fn chart_titles_count_the_seeds_of_the_runs() {
        let one = run("a", &[(1, None)]);
        let three = run("b", &[(1, None), (2, None), (3, None), (3, None)]);
        let empty = run("c", &[]);
        assert_eq!(seeds_label(std::slice::from_ref(&one)), "1 seed");
        assert_eq!(seeds_label(&[three.clone(), empty.clone()]), "3 seeds");
        assert_eq!(seeds_label(&[one, three]), "1–3 seeds per run");
        assert_eq!(seeds_label(&[empty]), "no runs yet");
    }

    #[test]
    fn a_claim_on_groups_pools_the_sizes_and_gains_power() {
        // One method and its baseline at two sizes, three seeds; the method is 1 point ahead
        // everywhere (plus a seed-dependent wiggle, so that no two differences tie).
        let sized = |name: &str, size: usize, gain: f64| {
            let rows = (1..=3u64)
                .map(|seed| RoundRow {
                    seed,
                    labeled_sentences: size,
                    test_f1: 70.0 + size as f64 / 100.0 + gain * (1.0 + seed as f64 / 10.0),
                    ..RoundRow::default()
                })
                .collect();
            Results::new(name.into(), rows, Vec::new(), 0)
        };
        let runs = vec![
            sized("m-5-x", 700, 1.0),
            sized("m-5-base", 700, 0.0),
            sized("m-10-x", 1400, 1.1),
            sized("m-10-base", 1400, 0.0),
        ];
        let report = LearningReport {
            groups: runs
                .iter()
                .map(|r| {
                    (
                        r.name.clone(),
                        r.name.replace("-5-", "-").replace("-10-", "-"),
                    )
                })
                .collect(),
            ..Default::default()
        };
        let all = report.claim_runs(&runs);
        assert_eq!(all.len(), 6, "four runs and two groups");
        let f1 = |r: &RoundRow| r.test_f1;
        let one_size = check(
            &Claim::new("m-5-x", "m-5-base", "x beats base at 5", "T"),
            &all,
            &f1,
        );
        let pooled = check(&Claim::new("m-x", "m-base", "x beats base", "T"), &all, &f1);
        // Three paired points: the exact two-sided p is at least 0.25, so at best "partly".
        assert_eq!((one_size.points, one_size.verdict), (3, Verdict::Partly));
        // Six: every seed at both sizes, p = 2/64.
        assert_eq!((pooled.seeds, pooled.points), (3, 6));
        assert!(
            (pooled.p_value.unwrap() - 2.0 / 64.0).abs() < 1e-9,
            "{pooled:?}"
        );
        assert_eq!(pooled.verdict, Verdict::Reproduced);
        let expected = (1.0 * 1.2 + 1.1 * 1.2) / 2.0; // seed 2's mean gain
        assert!((pooled.mean - expected).abs() < 1e-9, "{pooled:?}");
    }

    #[test]
    fn the_consistency_table_lists_only_runs_that_measured_it() {
        assert_eq!(consistency_table(&[run("base", &[(1, None)])]), None);
        let t = consistency_table(&[
            run("base", &[(1, None), (2, None)]),
            run("semi", &[(1, Some(60.0)), (2, Some(80.0))]),
        ])
        .unwrap();
        assert!(!t.contains("| base |"), "{t}");
        // Mean 70, sample std √200 = 14.1 over the two seeds.
        assert!(t.contains("| semi | 2 | 70.0 ± 14.1 |"), "{t}");
    }

    #[test]
    fn paraphrase_examples_bold_the_replaced_words_and_survive_html() {
        assert_eq!(
            bold_changes("police said he was", "police says he were"),
            "police **says** he **were**"
        );
        // Another length: every word counts as changed.
        assert_eq!(bold_changes("a b", "a b c"), "**a** **b** **c**");
        let cell = md_cell("x | y");
        let h = html_table(&format!(
            "| a | b |\n|---|---|\n| {cell} | {} |\n",
            bold_changes("x", "z")
        ));
        assert!(
            h.contains("<td>x | y</td><td><strong>z</strong></td>"),
            "{h}"
        );
    }
}
