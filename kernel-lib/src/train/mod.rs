//! Training and prediction: the token tagger ([`tagger`]), the loss on label distributions
//! ([`loss`]), AdamW with its schedule ([`optim`]), the epoch loop with model selection
//! ([`trainer`], resumable between epochs from a [`checkpoint`]) and per-word predictions
//! with constrained decoding ([`predict`]).

pub mod checkpoint;
pub mod loss;
pub mod optim;
pub mod predict;
pub mod tagger;
pub mod trainer;

pub use checkpoint::Checkpoint;
pub use predict::{Constraints, Decode, Prediction};
pub use tagger::{Tagger, TaggerConfig, TaggerOptions, TrainItem};
pub use trainer::{
    BatchLoss, EpochLog, Evaluation, PlainLoss, Selection, TrainConfig, TrainReport, evaluate, fit,
    fit_checkpointed, fit_with,
};
