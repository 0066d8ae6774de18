//! Experiments: a checked config ([`config`]), the runner with its crash-safe run folder
//! ([`runner`]), results as polars DataFrames, CSV and Parquet ([`results`]), summaries over
//! seeds and between policies ([`summary`]), progress output ([`progress`]) and where a run in
//! training stands ([`status`]).
//!
//! ```no_run
//! let results = seqlab::experiment::Experiment::from_config("notebooks/configs/conll-lc.toml")?.run()?;
//! println!("{}", results.frame()?);
//! # Ok::<(), seqlab::Error>(())
//! ```

pub mod config;
pub mod progress;
pub mod results;
pub mod runner;
pub mod status;
pub mod summary;

pub use config::{AugmentConfig, DataConfig, ExperimentConfig, ModelConfig};
pub use progress::Progress;
pub use results::{Results, RoundRow};
pub use runner::Experiment;
pub use summary::{
    CurvePoint, aulc, compare_policies, learning_curve, markdown_table, points_table,
};
