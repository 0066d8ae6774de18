//! Named parameters: loaded from safetensors, trainable or frozen, saved back atomically.
//!
//! Modules are built from [`ParamStore::var_builder`], which hands out the very tensors the
//! store holds, so gradients of a loss can be looked up per [`Var`] and optimizer updates are
//! seen by the modules.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarBuilder;

use crate::error::{Error, Result};

/// Tensor-name prefixes kept from a pretrained encoder checkpoint.
const ENCODER_PREFIXES: [&str; 2] = ["embeddings.", "encoder.layer."];

/// Maps checkpoint names to the canonical HF names seqlab uses: drops a leading `bert.`
/// (`BertForTokenClassification` checkpoints) and renames legacy `gamma`/`beta`.
pub fn canonical_name(name: &str) -> String {
    let name = name.strip_prefix("bert.").unwrap_or(name);
    if let Some(base) = name.strip_suffix(".gamma") {
        format!("{base}.weight")
    } else if let Some(base) = name.strip_suffix(".beta") {
        format!("{base}.bias")
    } else {
        name.to_string()
    }
}

/// A set of named tensors; when trainable, each is a [`Var`].
#[derive(Debug, Clone)]
pub struct ParamStore {
    tensors: BTreeMap<String, Tensor>,
    vars: BTreeMap<String, Var>,
    device: Device,
}

impl ParamStore {
    /// An empty store on `device`.
    pub fn new(device: &Device) -> Self {
        crate::model::tune_allocator();
        ParamStore {
            tensors: BTreeMap::new(),
            vars: BTreeMap::new(),
            device: device.clone(),
        }
    }

    /// Loads the encoder tensors of a safetensors checkpoint (`embeddings.*`,
    /// `encoder.layer.*`, under canonical names, as f32) and, if `keep` says so, others.
    ///
    /// # Errors
    /// The file cannot be read or holds no encoder tensor.
    pub fn load_encoder(
        path: &Path,
        device: &Device,
        trainable: bool,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::Missing {
                what: "model weights".into(),
                path: path.to_path_buf(),
                hint: "a model folder needs model.safetensors (run `seqlab data fetch minilm`)"
                    .into(),
            });
        }
        let raw = candle_core::safetensors::load(path, device).map_err(|e| {
            Error::input(
                crate::Location::in_path(path, 0),
                "safetensors",
                crate::model::params::first_line(&e.to_string()),
                "expected a safetensors file as written by Hugging Face or seqlab",
            )
        })?;
        let mut store = ParamStore::new(device);
        for (name, t) in raw {
            let name = canonical_name(&name);
            let wanted = ENCODER_PREFIXES.iter().any(|p| name.starts_with(p)) || keep(&name);
            if !wanted || !t.dtype().is_float() {
                continue;
            }
            let t = t.to_dtype(DType::F32).map_err(candle_err)?;
            store.insert(&name, t, trainable)?;
        }
        if store.tensors.is_empty() {
            return Err(Error::input(
                crate::Location::in_path(path, 0),
                "safetensors",
                "no BERT encoder tensor (embeddings.*, encoder.layer.*) in the file",
                "point the model folder at a BERT checkpoint",
            ));
        }
        Ok(store)
    }

    /// Adds a tensor under `name`, as a [`Var`] when `trainable`.
    ///
    /// # Errors
    /// A candle error while wrapping the tensor.
    pub fn insert(&mut self, name: &str, t: Tensor, trainable: bool) -> Result<()> {
        let t = if trainable {
            let v = Var::from_tensor(&t).map_err(candle_err)?;
            let tensor = v.as_tensor().clone();
            self.vars.insert(name.to_string(), v);
            tensor
        } else {
            t
        };
        self.tensors.insert(name.to_string(), t);
        Ok(())
    }

    /// A builder that hands out the stored tensors (and fails on missing names or shapes).
    pub fn var_builder(&self) -> VarBuilder<'static> {
        let map: HashMap<String, Tensor> = self
            .tensors
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        VarBuilder::from_tensors(map, DType::F32, &self.device)
    }

    /// Trainable parameters by name.
    pub fn vars(&self) -> &BTreeMap<String, Var> {
        &self.vars
    }

    /// All tensors by name.
    pub fn tensors(&self) -> &BTreeMap<String, Tensor> {
        &self.tensors
    }

    /// The device.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Number of scalar parameters.
    pub fn num_params(&self) -> usize {
        self.tensors.values().map(Tensor::elem_count).sum()
    }

    /// Copies of all current values (e.g. to keep the best epoch's weights).
    ///
    /// # Errors
    /// A candle error while copying.
    pub fn snapshot(&self) -> Result<BTreeMap<String, Tensor>> {
        self.tensors
            .iter()
            .map(|(k, t)| Ok((k.clone(), t.copy().map_err(candle_err)?)))
            .collect()
    }

    /// Writes values back into the trainable parameters (e.g. from [`ParamStore::snapshot`]).
    ///
    /// # Errors
    /// A name or shape that does not match.
    pub fn restore(&self, values: &BTreeMap<String, Tensor>) -> Result<()> {
        for (name, var) in &self.vars {
            let v = values.get(name).ok_or_else(|| {
                Error::config("weights", format!("no value for parameter {name}"))
            })?;
            var.set(v).map_err(candle_err)?;
        }
        Ok(())
    }

    /// Saves every tensor to a safetensors file, atomically.
    ///
    /// # Errors
    /// Serialization or file errors.
    pub fn save(&self, path: &Path) -> Result<()> {
        let map: HashMap<String, Tensor> = self
            .tensors
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        save_tensors_atomic(&map, path)
    }
}

/// Saves named tensors to a safetensors file atomically: a temporary file in the same folder,
/// then a rename. Missing parent folders are created.
///
/// # Errors
/// Serialization or file errors.
pub fn save_tensors_atomic(map: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map_or("weights".into(), |n| n.to_string_lossy()),
        std::process::id()
    ));
    let written = candle_core::safetensors::save(map, &tmp)
        .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))
        .and_then(|()| {
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|e| Error::io(path, e))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Converts a candle error into seqlab's: its first line (candle appends a backtrace when one
/// was captured).
pub fn candle_err(e: candle_core::Error) -> Error {
    Error::Model(first_line(&e.to_string()))
}

/// The first line of a message.
pub(crate) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names() {
        assert_eq!(
            canonical_name("bert.embeddings.LayerNorm.gamma"),
            "embeddings.LayerNorm.weight"
        );
        assert_eq!(
            canonical_name("encoder.layer.0.output.LayerNorm.beta"),
            "encoder.layer.0.output.LayerNorm.bias"
        );
        assert_eq!(canonical_name("classifier.weight"), "classifier.weight");
    }

    #[test]
    fn snapshot_restore_and_save_round_trip() {
        let dev = Device::Cpu;
        let mut store = ParamStore::new(&dev);
        store
            .insert("a.weight", Tensor::new(&[1f32, 2.], &dev).unwrap(), true)
            .unwrap();
        let snap = store.snapshot().unwrap();
        store.vars()["a.weight"]
            .set(&Tensor::new(&[5f32, 6.], &dev).unwrap())
            .unwrap();
        // The builder's tensor shares storage with the var.
        let seen = store.var_builder().get(2, "a.weight").unwrap();
        assert_eq!(seen.to_vec1::<f32>().unwrap(), [5., 6.]);
        store.restore(&snap).unwrap();
        assert_eq!(seen.to_vec1::<f32>().unwrap(), [1., 2.]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.safetensors");
        store.save(&p).unwrap();
        let back = candle_core::safetensors::load(&p, &dev).unwrap();
        assert_eq!(back["a.weight"].to_vec1::<f32>().unwrap(), [1., 2.]);
        assert!(
            store.var_builder().get(3, "a.weight").is_err(),
            "shape is checked"
        );
        assert!(store.var_builder().get(2, "missing").is_err());
    }
}
