//! # seqlab
//!
//! A library for research on low-resource sequence labeling (named entity recognition):
//! active learning, SeqMix sequence mixup and LADA hidden-state mixup on pretrained encoders,
//! on CPU or GPU, from Rust programs and from Jupyter notebooks with the evcxr kernel.
//!
//! ## A first tour: data and evaluation
//!
//! Read a CoNLL file, look at its entities, take a reproducible subset, and score predictions
//! the way `conlleval.pl` does:
//!
//! ```
//! use seqlab::data::{conll, ConllFormat, Subset, TagScheme};
//! use seqlab::metrics::{score, Mode};
//!
//! let text = "\
//! -DOCSTART- -X- -X- O
//!
//! Ada NNP B-NP B-PER
//! Lovelace NNP I-NP I-PER
//! visited VBD B-VP O
//! Turin NNP B-NP B-LOC
//! . . O O
//!
//! Babbage NNP B-NP B-PER
//! agreed VBD B-VP O
//! ";
//! let data = conll::parse_str(text, "tour.txt", &ConllFormat::default())?;
//! assert_eq!(data.len(), 2);
//! assert_eq!(data.scheme, Some(TagScheme::Iob2));
//! assert_eq!(data.entity_counts()["PER"], 2);
//! assert_eq!(data.vocab().labels(), ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]);
//!
//! // Subsets are reproducible: `first:N` as LADA uses, or seeded random ones.
//! let first = data.subset(&"first:1".parse::<Subset>()?)?;
//! assert_eq!(first.sentences[0].tokens[0], "Ada");
//!
//! // Convert schemes without losing entities.
//! let iobes = data.converted(TagScheme::Iobes);
//! assert_eq!(iobes.sentences[0].tags, ["B-PER", "E-PER", "O", "S-LOC", "O"]);
//!
//! // Score a prediction that cuts the first name short.
//! let gold: Vec<Vec<String>> = data.sentences.iter().map(|s| s.tags.clone()).collect();
//! let mut pred = gold.clone();
//! pred[0][1] = "O".into();
//! let scores = score(&gold, &pred, Mode::Conlleval)?;
//! assert_eq!(scores.total().correct, 2);
//! assert!((scores.micro().f1 - 2.0 / 3.0).abs() < 1e-12);
//! print!("{}", scores.conlleval_report()); // exactly conlleval.pl's layout
//! # Ok::<(), seqlab::Error>(())
//! ```
//!
//! ## Training a tagger
//!
//! A tagger is a pretrained BERT folder plus a linear head over the labels. Here a tiny random
//! BERT stands in for all-MiniLM-L6-v2 (`data/cache/models/all-MiniLM-L6-v2` after
//! `seqlab data fetch`) so that the example runs in a second:
//!
//! ```
//! use seqlab::data::{conll, ConllFormat, TagScheme};
//! use seqlab::train::{fit, Tagger, TaggerOptions, TrainConfig, TrainItem, Selection};
//!
//! let data = conll::parse_str(
//!     "Ada B-PER\nvisited O\nTurin B-LOC\n\nBabbage B-PER\nagreed O\n",
//!     "toy.txt",
//!     &ConllFormat::default(),
//! )?;
//! let dir = tempfile::tempdir()?;
//! seqlab::model::tiny::write_tiny_bert(dir.path(), &["ada", "visited", "turin", "babbage", "agreed"], 1)?;
//!
//! let mut rng = seqlab::rng::seeded(1); // every random draw comes from here
//! let tagger = Tagger::from_pretrained(
//!     dir.path(),
//!     data.vocab(),
//!     TagScheme::Iob2,
//!     &TaggerOptions::default(),
//!     &candle_core::Device::Cpu,
//!     &mut rng,
//! )?;
//! let items: Vec<TrainItem> = data
//!     .sentences
//!     .iter()
//!     .map(|s| TrainItem::from_sentence(s, tagger.labels()))
//!     .collect::<seqlab::Result<_>>()?;
//! let cfg = TrainConfig { epochs: 2, selection: Selection::Last, ..TrainConfig::default() };
//! let report = fit(&tagger, &items, None, &cfg, &mut rng, &mut |epoch| println!("{epoch}"))?;
//! assert_eq!(report.epochs.len(), 2);
//!
//! // Per-word label distributions, argmax tags, or the best valid sequence:
//! let pred = tagger.predict(&[vec!["Ada", "agreed"]], 8)?;
//! assert_eq!(pred[0].tags(tagger.labels()).len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Where things are
//!
//! The modules follow the data:
//! - [`data`]: sentences and datasets; CoNLL / EstNER / plain-text readers; tag schemes;
//!   label vocabularies; subsets; the real corpora ([`data::corpora`]) and their download
//!   ([`data::fetch`]); the WordNet database ([`data::wordnet`]).
//! - [`encoding`]: words → word pieces with alignment, sub-token label strategies, batches.
//! - [`model`]: the layer-addressable BERT encoder, the sentence embedder and kNN.
//! - [`train`]: the token tagger, its loss, AdamW, the epoch loop (resumable between epochs
//!   from a [`train::checkpoint`]), constrained decoding.
//! - [`active`]: the labeled set and pool, query policies, the augmentation hook, the
//!   round loop.
//! - [`augment`]: augmentation methods: SeqMix ([`augment::seqmix`]) for that hook, and
//!   LADA's hidden-state mixup and Semi-LADA ([`augment::lada`]) as training losses.
//! - [`experiment`]: experiment configs, the crash-safe runner (`seqlab run` / `seqlab
//!   resume`), results as polars DataFrames / CSV / Parquet, summaries over seeds.
//! - [`metrics`]: entity-level scoring (conlleval and strict modes), averages, and the
//!   statistics reports need ([`metrics::stats`]: mean ± std, Wilcoxon, bootstrap).
//! - [`report`]: the reports runs write into `reports/`, with provenance; charts
//!   ([`report::charts`]); the papers' own numbers ([`report::paper`]); notebook drivers
//!   ([`report::notebook`]: the `SEQLAB_SCALE` scales and one `Item` per paper table); the
//!   main job's minutes-long reproduction ([`report::main_job`]).
//! - [`rng`]: the seeded generator every random draw comes from.
//! - [`error`]: the one [`Error`] type; messages name file, line and field.

pub mod active;
pub mod augment;
pub mod data;
pub mod encoding;
pub mod error;
pub mod experiment;
pub mod files;
pub mod metrics;
pub mod model;
pub mod report;
pub mod rng;
pub mod train;

pub use error::{Error, InputError, Location, Result};

// The crates whose types notebooks hold in variables (evcxr must be able to name them), so that
// one `:dep seqlab` line is enough (notebooks/README.md: two `:build_env` lines before it make
// the build release-like).
pub use candle_core;
pub use plotters;
pub use polars;
