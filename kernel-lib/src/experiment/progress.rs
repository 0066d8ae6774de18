//! Progress of a run: an indicatif bar per round in a terminal, compact text lines elsewhere
//! (inside evcxr, in CI logs, when stderr is a file).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::active::RoundResult;

/// Where progress goes.
pub struct Progress {
    mode: Mode,
    bar: Option<ProgressBar>,
}

enum Mode {
    Bar,
    Lines,
    /// Lines on stdout.
    Stdout,
    Quiet,
}

impl Progress {
    /// A bar when stderr is a terminal, text lines otherwise.
    pub fn auto() -> Self {
        let evcxr = std::env::var_os("EVCXR_IS_RUNTIME").is_some();
        Progress {
            mode: if std::io::stderr().is_terminal() && !evcxr {
                Mode::Bar
            } else {
                Mode::Lines
            },
            bar: None,
        }
    }

    /// Compact text lines on stderr.
    pub fn lines() -> Self {
        Progress {
            mode: Mode::Lines,
            bar: None,
        }
    }

    /// Compact text lines on stdout: for notebooks, where evcxr reports a cell's errors on
    /// stderr (so that a checker can tell the two apart).
    pub fn stdout() -> Self {
        Progress {
            mode: Mode::Stdout,
            bar: None,
        }
    }

    /// Nothing.
    pub fn quiet() -> Self {
        Progress {
            mode: Mode::Quiet,
            bar: None,
        }
    }

    /// A note outside any round.
    pub fn note(&mut self, text: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Stdout => println!("{text}"),
            _ => eprintln!("{text}"),
        }
    }

    /// A round starts.
    pub fn start_round(&mut self, seed: u64, round: usize, total: usize) {
        let label = format!("seed {seed} round {round}/{}", total - 1);
        match self.mode {
            Mode::Bar => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} [{elapsed_precise}] {prefix}: {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(label);
                bar.enable_steady_tick(Duration::from_millis(200));
                self.bar = Some(bar);
            }
            Mode::Lines => eprintln!("{label}: started"),
            Mode::Stdout => println!("{label}: started"),
            Mode::Quiet => {}
        }
    }

    /// A step inside the round (training epochs, scoring).
    pub fn message(&mut self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
        }
    }

    /// A round finished.
    pub fn finish_round(&mut self, seed: u64, r: &RoundResult) {
        let line = format!(
            "seed {seed} round {}: |L| = {} sentences, dev F1 {:.2}, test F1 {:.2} ({:.0} s)",
            r.round,
            r.labeled_sentences,
            100.0 * r.dev.f1,
            100.0 * r.test.f1,
            r.seconds
        );
        match self.mode {
            Mode::Bar => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                eprintln!("{line}");
            }
            Mode::Lines => eprintln!("{line}"),
            Mode::Stdout => println!("{line}"),
            Mode::Quiet => {}
        }
    }
}
