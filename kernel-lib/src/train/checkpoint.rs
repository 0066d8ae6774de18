//! Checkpoints inside a training: what [`fit_checkpointed`](crate::train::fit_checkpointed)
//! needs to continue after its last finished epoch and end exactly where an uninterrupted
//! training would, on the same device.
//!
//! One safetensors file holds it all, written atomically (temporary file, then rename):
//! - `w.NAME`: the current value of every trainable parameter;
//! - `best.NAME`: the weights of the best epoch so far, when they are not the current ones;
//! - `m.NAME`, `v.NAME`: AdamW's moments;
//! - `state`: UTF-8 JSON (`FitState`) as bytes: epoch logs, the selection's best, the update
//!   count, the RNG's position and the batch loss's own counters, plus an identity line that
//!   must match the resuming training's.
//!
//! A checkpoint is written after an epoch when at least [`Checkpoint::every`] has passed since
//! the previous one (or since the start), never after the last epoch: the caller commits the
//! finished result and removes the file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::params::{candle_err, save_tensors_atomic};
use crate::rng::SeqRng;
use crate::train::optim::AdamW;
use crate::train::tagger::Tagger;
use crate::train::trainer::EpochLog;

/// Format version of [`FitState`].
pub(crate) const VERSION: u32 = 1;

/// Where and how often a training saves its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    path: PathBuf,
    identity: String,
    every: Duration,
}

impl Checkpoint {
    /// A checkpoint file at `path` for the training described by `identity` (any line that
    /// changes when the training would: seed, round, data size, configuration). By default a
    /// checkpoint is written at most every 5 minutes.
    pub fn new(path: impl Into<PathBuf>, identity: impl Into<String>) -> Self {
        Checkpoint {
            path: path.into(),
            identity: identity.into(),
            every: Duration::from_secs(300),
        }
    }

    /// Writes at most once per `every` (zero: after every epoch but the last).
    #[must_use]
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every;
        self
    }

    /// The minimum time between two checkpoints.
    pub fn interval(&self) -> Duration {
        self.every
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The identity line.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Whether a checkpoint file exists.
    pub fn exists(&self) -> bool {
        self.path.is_file()
    }

    /// Deletes the file if there is one (after the caller has committed the result).
    ///
    /// # Errors
    /// When an existing file cannot be removed.
    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&self.path, e)),
            _ => Ok(()),
        }
    }

    /// Writes `state` and `tensors` (already named `w.`, `best.`, `m.`, `v.`).
    pub(crate) fn save(&self, state: &FitState, tensors: Vec<(String, Tensor)>) -> Result<()> {
        let json = serde_json::to_vec(state).expect("fit state serializes");
        let n = json.len();
        let mut map: HashMap<String, Tensor> = tensors.into_iter().collect();
        map.insert(
            "state".into(),
            Tensor::from_vec(json, n, &Device::Cpu).map_err(candle_err)?,
        );
        save_tensors_atomic(&map, &self.path)
    }

    /// Reads the file back; `None` when there is none.
    ///
    /// # Errors
    /// An unreadable file, or one written for another training (the error names the file
    /// and says to delete it to start the training afresh).
    pub(crate) fn load(&self) -> Result<Option<(FitState, HashMap<String, Tensor>)>> {
        if !self.exists() {
            return Ok(None);
        }
        let bad = |m: String| {
            Error::config(
                "checkpoint",
                format!(
                    "{}: {m}; delete the file to train this round from its first epoch",
                    self.path.display()
                ),
            )
        };
        let mut map = candle_core::safetensors::load(&self.path, &Device::Cpu)
            .map_err(|e| bad(format!("unreadable ({e})")))?;
        let bytes = map
            .remove("state")
            .ok_or_else(|| bad("no `state` entry".into()))?
            .to_vec1::<u8>()
            .map_err(|e| bad(format!("`state` is not bytes ({e})")))?;
        let state: FitState =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("`state`: {e}")))?;
        if state.version != VERSION {
            return Err(bad(format!(
                "format version {} (this seqlab reads {VERSION})",
                state.version
            )));
        }
        if state.identity != self.identity {
            return Err(bad(format!(
                "written for another training ({:?}, this one is {:?})",
                state.identity, self.identity
            )));
        }
        Ok(Some((state, map)))
    }
}

/// The JSON part of the checkpoint at `path`, read from the safetensors header and the
/// `state` bytes alone (not the tensors), whatever training wrote it: to show a run's
/// progress while it trains.
///
/// # Errors
/// A missing or malformed file (the error names it).
pub(crate) fn read_state(path: &Path) -> Result<FitState> {
    use std::io::{Read, Seek, SeekFrom};
    let bad = |m: String| {
        Error::config(
            "checkpoint",
            format!(
                "{}: {m}; it is rewritten at the training's next checkpoint",
                path.display()
            ),
        )
    };
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|e| bad(format!("no safetensors header ({e})")))?;
    let n = u64::from_le_bytes(len);
    // The format caps its header at 100 MB; a checkpoint's is a few hundred KB.
    if n > 100_000_000 {
        return Err(bad(format!("a header of {n} bytes")));
    }
    let mut header = vec![0u8; n as usize];
    file.read_exact(&mut header)
        .map_err(|e| bad(format!("a header cut short ({e})")))?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|e| bad(format!("header: {e}")))?;
    let entry = &header["state"];
    if entry["dtype"] != "U8" {
        return Err(bad("no `state` entry of bytes".into()));
    }
    let offset = |i: usize| entry["data_offsets"][i].as_u64();
    let (Some(start), Some(end)) = (offset(0), offset(1)) else {
        return Err(bad("`state` has no data offsets".into()));
    };
    if end < start || end - start > 1_000_000_000 {
        return Err(bad(format!("`state` spans bytes {start}..{end}")));
    }
    let mut bytes = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(8 + n + start))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|e| bad(format!("`state` cut short ({e})")))?;
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("`state`: {e}")))
}

/// The tensors of a checkpoint: AdamW's moments (`m.`, `v.`), the tagger's trainable
/// parameters (`w.`) and, when given, the best epoch's weights (`best.`), all on the CPU;
/// with AdamW's update count.
pub(crate) fn pack(
    tagger: &Tagger,
    opt: &AdamW,
    best: Option<&BTreeMap<String, Tensor>>,
) -> Result<(u64, Vec<(String, Tensor)>)> {
    let (steps, mut tensors) = opt.state()?;
    let cpu = |t: &Tensor| t.to_device(&Device::Cpu).map_err(candle_err);
    for (name, var) in tagger.store().vars() {
        tensors.push((format!("w.{name}"), cpu(var.as_tensor())?));
        if let Some(t) = best.and_then(|b| b.get(name)) {
            tensors.push((format!("best.{name}"), cpu(t)?));
        }
    }
    Ok((steps, tensors))
}

/// The tagger's trainable parameters saved under `prefix` (`w` or `best`) by [`pack`], on
/// the tagger's device.
///
/// # Errors
/// A parameter missing from the checkpoint.
pub(crate) fn unpack_weights(
    tensors: &HashMap<String, Tensor>,
    tagger: &Tagger,
    prefix: &str,
) -> Result<BTreeMap<String, Tensor>> {
    tagger
        .store()
        .vars()
        .keys()
        .map(|name| {
            let key = format!("{prefix}.{name}");
            let t = tensors
                .get(&key)
                .ok_or_else(|| Error::config("checkpoint", format!("no tensor {key}")))?;
            Ok((
                name.clone(),
                t.to_device(tagger.device()).map_err(candle_err)?,
            ))
        })
        .collect()
}

/// The position of a ChaCha generator: seed, stream and word position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RngState {
    seed: String,
    stream: u64,
    /// The word position (a u128, as decimal text).
    word_pos: String,
}

impl RngState {
    pub(crate) fn of(rng: &SeqRng) -> Self {
        RngState {
            seed: crate::files::hex(&rng.get_seed()),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
    }

    pub(crate) fn restore(&self) -> Result<SeqRng> {
        use rand::SeedableRng;
        let bad = || Error::config("checkpoint", "the saved RNG position is malformed");
        if self.seed.len() != 64 {
            return Err(bad());
        }
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&self.seed[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        let mut rng = SeqRng::from_seed(seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos.parse().map_err(|_| bad())?);
        Ok(rng)
    }
}

/// The JSON part of a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FitState {
    pub version: u32,
    pub identity: String,
    /// The finished epochs.
    pub epochs: Vec<EpochLog>,
    /// The selection criterion's best so far and its epoch.
    pub best: Option<(f64, usize)>,
    /// Whether `best.*` tensors are in the file.
    pub best_weights: bool,
    /// Word pieces trained on and training seconds so far.
    pub pieces: usize,
    pub train_seconds: f64,
    /// AdamW's update count.
    pub steps: u64,
    pub rng: RngState,
    /// The batch loss's own state ([`crate::train::BatchLoss::state`]).
    pub loss: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    #[test]
    fn an_rng_continues_from_its_saved_position() {
        let mut rng = crate::rng::seeded(9);
        for _ in 0..37 {
            rng.random::<u32>();
        }
        let saved = RngState::of(&rng);
        let ahead: Vec<u64> = (0..5).map(|_| rng.random()).collect();
        let mut back = saved.restore().unwrap();
        let again: Vec<u64> = (0..5).map(|_| back.random()).collect();
        assert_eq!(ahead, again);
    }

    #[test]
    fn a_checkpoint_for_another_training_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partial-000.safetensors");
        let state = FitState {
            version: VERSION,
            identity: "seed 1 round 0".into(),
            epochs: Vec::new(),
            best: None,
            best_weights: false,
            pieces: 0,
            train_seconds: 0.0,
            steps: 0,
            rng: RngState::of(&crate::rng::seeded(1)),
            loss: serde_json::Value::Null,
        };
        let t = Tensor::new(&[1f32, 2.], &Device::Cpu).unwrap();
        Checkpoint::new(&path, "seed 1 round 0")
            .save(&state, vec![("w.a".into(), t)])
            .unwrap();
        let (back, tensors) = Checkpoint::new(&path, "seed 1 round 0")
            .load()
            .unwrap()
            .unwrap();
        assert_eq!(back.identity, "seed 1 round 0");
        assert!(tensors.contains_key("w.a") && !tensors.contains_key("state"));
        let err = Checkpoint::new(&path, "seed 2 round 0")
            .load()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("partial-000.safetensors") && err.contains("delete"),
            "{err}"
        );
        assert!(
            Checkpoint::new(dir.path().join("none"), "x")
                .load()
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_state_is_read_without_the_tensors_and_a_cut_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partial-001.safetensors");
        let mut state = FitState {
            version: VERSION,
            identity: "seed 4 round 1".into(),
            epochs: Vec::new(),
            best: Some((0.5, 1)),
            best_weights: true,
            pieces: 7,
            train_seconds: 12.5,
            steps: 3,
            rng: RngState::of(&crate::rng::seeded(4)),
            loss: serde_json::Value::Null,
        };
        state.epochs.push(EpochLog {
            epoch: 1,
            train_loss: 0.3,
            dev: None,
            updates: 3,
            seconds: 12.5,
        });
        let big = Tensor::zeros(4096, candle_core::DType::F32, &Device::Cpu).unwrap();
        Checkpoint::new(&path, "seed 4 round 1")
            .save(
                &state,
                vec![("w.a".into(), big.clone()), ("m.a".into(), big)],
            )
            .unwrap();
        let back = read_state(&path).unwrap();
        assert_eq!(back.identity, "seed 4 round 1");
        assert_eq!(back.epochs, state.epochs);
        assert_eq!((back.best, back.steps, back.pieces), (Some((0.5, 1)), 3, 7));
        // A file cut inside its data (a copy interrupted mid-way) is refused by name.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.safetensors");
        for keep in [4, 40, bytes.len() - 10] {
            std::fs::write(&cut, &bytes[..keep]).unwrap();
            let err = read_state(&cut).unwrap_err().to_string();
            assert!(err.contains("cut.safetensors"), "{keep}: {err}");
        }
    }
}
