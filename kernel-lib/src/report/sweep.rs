//! Sweeps and ablations as dot charts: one value per setting (a run), mean ± std over seeds,
//! for the paper figures that plot one number per setting — SeqMix Fig. 3 (the gain SeqMix
//! brings to each query policy), Fig. 4 (α; window `s` and valid-tag count), Tables 1–2
//! (discriminator range, augment rate), LADA Table 5 (sub-token strategies) and Fig. 4 (µ).
//!
//! The value of a run for one seed is its metric averaged over the data-usage points (active
//! learning runs; the papers' "averaged by all the data usage percentiles") or its single
//! point (supervised runs), optionally minus a baseline run's value for the same seed and
//! rounds (a gain). Only seeds that finished every planned round count, so that a seed in
//! progress does not pull the average towards early rounds; a run whose seeds are all in
//! progress has no value yet.
//!
//! ```
//! use seqlab::report::charts::Figure;
//! use seqlab::report::sweep::{DotChart, DotValue};
//! let v = |label: &str, mean, paper| DotValue {
//!     label: label.into(), run: label.into(), n: 3, rounds: 6, mean, std: 0.4, paper,
//! };
//! let chart = DotChart {
//!     title: "SeqMix Fig. 4(b): α".into(),
//!     x_label: "α".into(),
//!     y_label: "mean test F1 (%)".into(),
//!     values: vec![v("0.5", 80.1, None), v("8", 80.9, Some(85.0))],
//!     reference: None,
//! };
//! assert!(chart.svg()?.contains("0.5"));
//! # Ok::<(), seqlab::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use plotters::prelude::*;

use crate::error::Result;
use crate::experiment::{Results, RoundRow};
use crate::metrics::stats::{mean_pm_std, summarize};
use crate::report::charts::{Figure, chart_err, color_for};

/// One setting of a sweep: the run that measured it and how it is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct DotEntry {
    /// The setting as the x axis names it (`α = 8`, `(0, 500)`, `Real`).
    pub label: String,
    /// The run (config name).
    pub run: String,
    /// A run whose value (same seeds and rounds) is subtracted: the value becomes a gain.
    pub baseline: Option<String>,
    /// The paper's number for this setting, transcribed.
    pub paper: Option<f64>,
}

impl DotEntry {
    /// A setting measured by `run`.
    pub fn new(label: impl Into<String>, run: impl Into<String>) -> Self {
        DotEntry {
            label: label.into(),
            run: run.into(),
            baseline: None,
            paper: None,
        }
    }

    /// The value becomes `run − baseline`, paired by seed and round.
    pub fn gain_over(mut self, baseline: impl Into<String>) -> Self {
        self.baseline = Some(baseline.into());
        self
    }

    /// The paper's number for this setting.
    pub fn paper(mut self, value: f64) -> Self {
        self.paper = Some(value);
        self
    }
}

/// What the dot chart of an item shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Dots {
    /// The x axis (the swept parameter).
    pub x_label: String,
    /// The settings, in the order drawn.
    pub entries: Vec<DotEntry>,
    /// A run drawn as a dashed horizontal line (e.g. the tagger without LADA).
    pub reference: Option<String>,
}

/// One dot: the value of a setting over the seeds that count.
#[derive(Debug, Clone, PartialEq)]
pub struct DotValue {
    /// The setting.
    pub label: String,
    /// The run.
    pub run: String,
    /// Seeds averaged (0: no finished round yet).
    pub n: usize,
    /// Data-usage points averaged per seed.
    pub rounds: usize,
    /// Mean over seeds.
    pub mean: f64,
    /// Sample std over seeds.
    pub std: f64,
    /// The paper's number.
    pub paper: Option<f64>,
}

/// Per seed that counts, the `(run, baseline)` values at each round of `run`'s most advanced
/// seed (the baseline value is 0 without a baseline run): the seeds that have all of those
/// rounds and, with a baseline, whose baseline seed has them too. Also the number of rounds.
pub(crate) fn paired_rounds(
    run: &Results,
    baseline: Option<&Results>,
    metric: &dyn Fn(&RoundRow) -> f64,
) -> (Vec<Vec<(f64, f64)>>, usize) {
    let index = |r: &Results| -> BTreeMap<u64, BTreeMap<usize, f64>> {
        let mut m: BTreeMap<u64, BTreeMap<usize, f64>> = BTreeMap::new();
        for row in &r.rows {
            m.entry(row.seed)
                .or_default()
                .insert(row.round, metric(row));
        }
        m
    };
    let ours = index(run);
    let base = baseline.map(index);
    let longest: BTreeSet<usize> = ours
        .values()
        .max_by_key(|m| m.len())
        .map(|m| m.keys().copied().collect())
        .unwrap_or_default();
    let mut seeds = Vec::new();
    for (seed, rounds) in &ours {
        if !longest.iter().all(|k| rounds.contains_key(k)) {
            continue;
        }
        let pairs: Option<Vec<(f64, f64)>> = longest
            .iter()
            .map(|k| {
                let v = rounds[k];
                match &base {
                    None => Some((v, 0.0)),
                    Some(b) => b.get(seed).and_then(|m| m.get(k)).map(|&w| (v, w)),
                }
            })
            .collect();
        if let Some(p) = pairs.filter(|p| !p.is_empty()) {
            seeds.push(p);
        }
    }
    (seeds, longest.len())
}

/// The per-seed value of `run` (minus `baseline`): the mean of `metric` over the rounds of
/// [`paired_rounds`].
fn per_seed(
    run: &Results,
    baseline: Option<&Results>,
    metric: &dyn Fn(&RoundRow) -> f64,
) -> (Vec<f64>, usize) {
    let (seeds, rounds) = paired_rounds(run, baseline, metric);
    (seeds.iter().map(|p| mean_gain(p)).collect(), rounds)
}

/// The mean of `run − baseline` over one seed's pairs of [`paired_rounds`].
pub(crate) fn mean_gain(pairs: &[(f64, f64)]) -> f64 {
    pairs.iter().map(|(a, b)| a - b).sum::<f64>() / pairs.len() as f64
}

impl Dots {
    /// The value of every entry from the runs' finished rounds (entries whose run has no
    /// seed with every planned round yet get `n = 0`).
    pub fn values(&self, runs: &[Results], metric: &dyn Fn(&RoundRow) -> f64) -> Vec<DotValue> {
        self.entries
            .iter()
            .map(|e| {
                let find = |name: &str| runs.iter().find(|r| r.name == name);
                let complete = |r: &Results| {
                    let mut seeds: BTreeMap<u64, BTreeSet<usize>> = BTreeMap::new();
                    for row in &r.rows {
                        seeds.entry(row.seed).or_default().insert(row.round);
                    }
                    seeds
                        .values()
                        .any(|done| (0..=r.planned_rounds).all(|k| done.contains(&k)))
                };
                let (vals, rounds) = match (find(&e.run), e.baseline.as_deref().map(find)) {
                    (Some(r), _) if !complete(r) => (Vec::new(), 0),
                    (Some(r), None) => per_seed(r, None, metric),
                    (Some(r), Some(Some(b))) => per_seed(r, Some(b), metric),
                    _ => (Vec::new(), 0),
                };
                let s = summarize(&vals).ok();
                DotValue {
                    label: e.label.clone(),
                    run: e.run.clone(),
                    n: s.as_ref().map_or(0, |s| s.n),
                    rounds,
                    mean: s.as_ref().map_or(f64::NAN, |s| s.mean),
                    std: s.as_ref().map_or(0.0, |s| s.std),
                    paper: e.paper,
                }
            })
            .collect()
    }

    /// The reference line: the mean value of the reference run.
    pub fn reference_value(
        &self,
        runs: &[Results],
        metric: &dyn Fn(&RoundRow) -> f64,
    ) -> Option<(String, f64)> {
        let name = self.reference.as_ref()?;
        let r = runs.iter().find(|r| &r.name == name)?;
        let (vals, _) = per_seed(r, None, metric);
        let s = summarize(&vals).ok()?;
        Some((name.clone(), s.mean))
    }
}

/// The Markdown table of dot values (`setting | run | ours | paper | Δ`).
pub fn dots_table(values: &[DotValue], what: &str) -> String {
    let mut md = format!(
        "| setting | run | {what}: ours (mean ± std, n seeds) | points averaged | paper | Δ (ours − paper) |\n|---|---|---:|---:|---:|---:|\n"
    );
    for v in values {
        let ours = if v.n == 0 {
            "not run yet".to_string()
        } else {
            format!(
                "{} (n = {})",
                mean_pm_std(v.mean, v.std, v.n, 2, false),
                v.n
            )
        };
        let paper = v.paper.map_or("–".to_string(), |p| format!("{p:.2}"));
        let delta = match (v.paper, v.n) {
            (Some(p), n) if n > 0 => format!("{:+.2}", v.mean - p),
            _ => String::new(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {ours} | {} | {paper} | {delta} |",
            v.label, v.run, v.rounds
        );
    }
    md
}

/// The CSV of dot values.
pub fn dots_csv(values: &[DotValue]) -> String {
    let mut out = String::from("setting,run,n,points,mean,std,paper\n");
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for v in values {
        let measured = |x: f64| {
            if v.n > 0 {
                format!("{x:.4}")
            } else {
                String::new()
            }
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            q(&v.label),
            q(&v.run),
            v.n,
            v.rounds,
            measured(v.mean),
            measured(v.std),
            v.paper.map_or(String::new(), |p| format!("{p:.2}"))
        );
    }
    out
}

/// A dot chart: one filled dot per setting with a ±1 std whisker, the paper's number as a
/// hollow marker, an optional dashed reference line.
#[derive(Debug, Clone, PartialEq)]
pub struct DotChart {
    /// Title (dataset, model, seeds, scale).
    pub title: String,
    /// X axis label (the swept parameter).
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The dots, in order.
    pub values: Vec<DotValue>,
    /// `(name, value)`: a dashed horizontal line.
    pub reference: Option<(String, f64)>,
}

impl DotChart {
    fn y_range(&self) -> (f64, f64) {
        let mut ys: Vec<f64> = Vec::new();
        for v in &self.values {
            if v.n > 0 {
                ys.push(v.mean - v.std);
                ys.push(v.mean + v.std);
            }
            ys.extend(v.paper);
        }
        ys.extend(self.reference.as_ref().map(|r| r.1));
        let lo = ys.iter().copied().fold(f64::MAX, f64::min);
        let hi = ys.iter().copied().fold(f64::MIN, f64::max);
        if lo > hi {
            return (0.0, 1.0);
        }
        // Room above the dots for the legend.
        let pad = (hi - lo).max(1.0) * 0.12;
        (lo - pad, hi + 3.0 * pad)
    }
}

impl Figure for DotChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()> {
        super::charts::register();
        root.fill(&WHITE).map_err(chart_err)?;
        let n = self.values.len().max(1);
        let (y0, y1) = self.y_range();
        let title_size = if self.title.chars().count() > 70 {
            13
        } else {
            18
        };
        let labels: Vec<String> = self.values.iter().map(|v| v.label.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", title_size))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), y0..y1)
            .map_err(chart_err)?;
        let y_digits = if y1 - y0 < 8.0 { 1 } else { 0 };
        let fmt_x = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style(("sans-serif", 13))
            .x_labels(n + 1)
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&|y| format!("{y:.y_digits$}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(chart_err)?;
        if let Some((name, v)) = &self.reference {
            let c = color_for(name);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(-0.5, *v), (n as f64 - 0.5, *v)],
                    6,
                    4,
                    c.stroke_width(1),
                ))
                .map_err(chart_err)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c));
        }
        let mut ours_legend = false;
        let mut paper_legend = false;
        for (i, v) in self.values.iter().enumerate() {
            let x = i as f64;
            let c = color_for(&v.run);
            if v.n > 0 {
                if v.std > 0.0 {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, v.mean - v.std), (x, v.mean + v.std)],
                            c.stroke_width(2),
                        )))
                        .map_err(chart_err)?;
                }
                let s = chart
                    .draw_series(std::iter::once(Circle::new((x, v.mean), 6, c.filled())))
                    .map_err(chart_err)?;
                if !ours_legend {
                    ours_legend = true;
                    s.label("ours (mean ± std)")
                        .legend(|(x, y)| Circle::new((x + 9, y), 5, BLACK.filled()));
                }
            }
            if let Some(p) = v.paper {
                let s = chart
                    .draw_series(std::iter::once(Circle::new(
                        (x + 0.12, p),
                        6,
                        BLACK.stroke_width(2),
                    )))
                    .map_err(chart_err)?;
                if !paper_legend {
                    paper_legend = true;
                    s.label("paper")
                        .legend(|(x, y)| Circle::new((x + 9, y), 5, BLACK.stroke_width(2)));
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(chart_err)?;
        root.present().map_err(chart_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seed: u64, round: usize, f1: f64) -> RoundRow {
        crate::experiment::summary::tests::row("p", seed, round, f1)
    }

    fn results(name: &str, rows: Vec<RoundRow>) -> Results {
        Results::new(name.into(), rows, Vec::new(), 2)
    }

    #[test]
    fn values_average_rounds_of_complete_seeds_and_pair_gains_by_seed() {
        // Seed 1 has rounds 0-2, seed 2 only round 0: seed 2 does not count yet.
        let run = results(
            "mix",
            vec![
                row(1, 0, 70.0),
                row(1, 1, 80.0),
                row(1, 2, 90.0),
                row(2, 0, 10.0),
            ],
        );
        let base = results(
            "base",
            vec![
                row(1, 0, 60.0),
                row(1, 1, 70.0),
                row(1, 2, 80.0),
                row(2, 0, 0.0),
            ],
        );
        let dots = Dots {
            x_label: "policy".into(),
            entries: vec![
                DotEntry::new("mix", "mix").paper(81.0),
                DotEntry::new("gain", "mix").gain_over("base"),
                DotEntry::new("absent", "nothing"),
            ],
            reference: Some("base".into()),
        };
        let m = |r: &RoundRow| r.test_f1;
        let v = dots.values(&[run, base.clone()], &m);
        assert_eq!((v[0].n, v[0].rounds), (1, 3));
        // A run whose only seed is in progress has no value yet.
        let started = results("started", vec![row(1, 0, 50.0)]);
        let only = Dots {
            x_label: "x".into(),
            entries: vec![DotEntry::new("started", "started")],
            reference: None,
        };
        assert_eq!(only.values(&[started], &m)[0].n, 0);
        assert!((v[0].mean - 80.0).abs() < 1e-9);
        assert!((v[1].mean - 10.0).abs() < 1e-9);
        assert_eq!(v[2].n, 0);
        assert_eq!(dots.reference_value(&[base], &m).map(|r| r.1), Some(70.0));
        let table = dots_table(&v, "test F1");
        assert!(table.contains("| mix | mix | 80.00 (n = 1) | 3 | 81.00 | -1.00 |"));
        assert!(table.contains("not run yet"));
        let chart = DotChart {
            title: "t".into(),
            x_label: "policy".into(),
            y_label: "F1".into(),
            values: v,
            reference: Some(("base".into(), 70.0)),
        };
        let svg = chart.svg().unwrap();
        assert!(svg.contains("paper") && svg.contains("gain"), "{svg}");
    }
}
