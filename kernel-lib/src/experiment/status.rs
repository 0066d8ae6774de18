//! Where a run stands while it trains: per seed, the finished rounds and, for the round in
//! training, the epochs its last checkpoint holds, their pace and the time left.
//!
//! [`summarize`](super::summary) and the reports read finished rounds only; a round on 2 CPU
//! cores can train for hours, so this reads the round's checkpoint
//! (`seed-S/partial-RRR.safetensors`, [`crate::train::checkpoint`]): its state, not its
//! tensors, so it is cheap while the run writes beside it.
//!
//! ```no_run
//! let status = seqlab::experiment::Experiment::resume("runs/lada-conll-10-inter")?.status()?;
//! print!("{}", seqlab::experiment::status::markdown(&[status]));
//! # Ok::<(), seqlab::Error>(())
//! ```

use std::path::PathBuf;
use std::time::SystemTime;

use crate::train::trainer::EpochLog;

/// One run folder.
#[derive(Debug, Clone)]
pub struct RunStatus {
    /// The experiment's name.
    pub name: String,
    /// The run folder.
    pub dir: PathBuf,
    /// Planned epochs of a round's training (early stopping may end one sooner).
    pub epochs: usize,
    /// Every seed of the configuration, in its order.
    pub seeds: Vec<SeedStatus>,
}

/// One seed of a run.
#[derive(Debug, Clone)]
pub struct SeedStatus {
    /// The seed.
    pub seed: u64,
    /// Finished (committed) rounds.
    pub rounds_done: usize,
    /// Planned rounds: the seed round and the query rounds.
    pub rounds_planned: usize,
    /// Seconds of the finished rounds.
    pub seconds_done: f64,
    /// The round in training, when it has a checkpoint.
    pub training: Option<Training>,
}

/// The round in training, as of its last checkpoint.
#[derive(Debug, Clone)]
pub struct Training {
    /// The round.
    pub round: usize,
    /// The epochs finished before the checkpoint.
    pub epochs: Vec<EpochLog>,
    /// The epoch the selection prefers so far (1-based).
    pub best_epoch: Option<usize>,
    /// When the checkpoint was written.
    pub saved: Option<SystemTime>,
}

impl Training {
    /// Mean seconds per finished epoch; `None` before the first.
    pub fn seconds_per_epoch(&self) -> Option<f64> {
        (!self.epochs.is_empty())
            .then(|| self.epochs.iter().map(|e| e.seconds).sum::<f64>() / self.epochs.len() as f64)
    }

    /// Seconds left at most (the planned epochs at the pace so far, without early stopping),
    /// counted from the checkpoint.
    pub fn seconds_left(&self, planned_epochs: usize) -> Option<f64> {
        let pace = self.seconds_per_epoch()?;
        Some(planned_epochs.saturating_sub(self.epochs.len()) as f64 * pace)
    }
}

impl SeedStatus {
    /// Whether every planned round is finished.
    pub fn done(&self) -> bool {
        self.rounds_done >= self.rounds_planned
    }
}

/// `37 s`, `12 min`, `3.4 h`.
fn duration(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else if seconds < 90.0 * 60.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// A Markdown table, one row per seed of every run: rounds finished, then for the round in
/// training its epochs, pace, time left at most (from the checkpoint), last and best dev F1 and
/// the checkpoint's age (an old one means no process is training it).
pub fn markdown(runs: &[RunStatus]) -> String {
    let now = SystemTime::now();
    let mut out = String::from(
        "| run | seed | rounds done | now | epochs done | per epoch | left at most | dev F1 last (best, epoch) | checkpoint written |\n\
         |---|---:|---|---|---|---:|---:|---|---|\n",
    );
    for run in runs {
        for s in &run.seeds {
            let rounds = format!("{} of {}", s.rounds_done, s.rounds_planned);
            // The cells after `rounds done`; missing ones stay empty.
            let cells: Vec<String> = match (&s.training, s.done()) {
                (_, true) => vec![format!("done ({})", duration(s.seconds_done))],
                (None, false) if s.rounds_done == 0 && s.seconds_done == 0.0 => {
                    vec!["not started (or before its first checkpoint)".into()]
                }
                (None, false) => vec![format!("round {}, no checkpoint yet", s.rounds_done)],
                (Some(t), false) => {
                    let pace = t.seconds_per_epoch();
                    let last = t.epochs.last().and_then(|e| e.dev);
                    let best = t
                        .best_epoch
                        .and_then(|b| t.epochs.get(b.wrapping_sub(1)))
                        .and_then(|e| e.dev.map(|d| (d.f1, e.epoch)));
                    let dev = match (last, best) {
                        (Some(l), Some((b, e))) => {
                            format!("{:.2} ({:.2}, {e})", 100.0 * l.f1, 100.0 * b)
                        }
                        (Some(l), None) => format!("{:.2}", 100.0 * l.f1),
                        _ => String::new(),
                    };
                    let age = t
                        .saved
                        .and_then(|w| now.duration_since(w).ok())
                        .map_or_else(String::new, |d| {
                            format!("{} ago", duration(d.as_secs_f64()))
                        });
                    vec![
                        format!("round {}", t.round),
                        format!("{} of {}", t.epochs.len(), run.epochs),
                        pace.map_or_else(String::new, duration),
                        t.seconds_left(run.epochs)
                            .map_or_else(String::new, duration),
                        dev,
                        age,
                    ]
                }
            };
            out.push_str(&format!("| {} | {} | {rounds} |", run.name, s.seed));
            for k in 0..6 {
                match cells.get(k).filter(|c| !c.is_empty()) {
                    Some(c) => out.push_str(&format!(" {c} |")),
                    None => out.push_str(" |"),
                }
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::trainer::DevScore;

    fn epoch(epoch: usize, f1: f64, seconds: f64) -> EpochLog {
        EpochLog {
            epoch,
            train_loss: 0.1,
            dev: Some(DevScore { f1, loss: 0.2 }),
            updates: 10 * epoch as u64,
            seconds,
        }
    }

    #[test]
    fn the_table_shows_each_seeds_rounds_pace_and_time_left() {
        let run = RunStatus {
            name: "lada".into(),
            dir: PathBuf::from("runs/lada"),
            epochs: 20,
            seeds: vec![
                SeedStatus {
                    seed: 1,
                    rounds_done: 1,
                    rounds_planned: 1,
                    seconds_done: 1200.0,
                    training: None,
                },
                SeedStatus {
                    seed: 2,
                    rounds_done: 0,
                    rounds_planned: 1,
                    seconds_done: 0.0,
                    training: Some(Training {
                        round: 0,
                        epochs: vec![
                            epoch(1, 0.80, 900.0),
                            epoch(2, 0.85, 1100.0),
                            epoch(3, 0.84, 1000.0),
                        ],
                        best_epoch: Some(2),
                        saved: Some(SystemTime::now()),
                    }),
                },
                SeedStatus {
                    seed: 3,
                    rounds_done: 0,
                    rounds_planned: 1,
                    seconds_done: 0.0,
                    training: None,
                },
            ],
        };
        let t = run.seeds[1].training.as_ref().unwrap();
        assert_eq!(t.seconds_per_epoch(), Some(1000.0));
        assert_eq!(t.seconds_left(20), Some(17_000.0));
        let md = markdown(&[run]);
        let rows: Vec<&str> = md.lines().collect();
        assert_eq!(rows.len(), 5, "{md}");
        assert_eq!(rows[2], "| lada | 1 | 1 of 1 | done (20 min) | | | | | |");
        assert_eq!(
            rows[3],
            "| lada | 2 | 0 of 1 | round 0 | 3 of 20 | 17 min | 4.7 h | 84.00 (85.00, 2) | 0 s ago |"
        );
        assert!(
            rows[4].starts_with("| lada | 3 | 0 of 1 | not started"),
            "{md}"
        );
        // Every row has the header's columns.
        for r in &rows {
            assert_eq!(r.matches('|').count(), 10, "{r}");
        }
    }
}
