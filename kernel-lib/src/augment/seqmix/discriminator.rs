//! The discriminator of SeqMix (§3.3, Eq. 9–10): `d(x) = 1{s₁ ≤ PPL(x) ≤ s₂}` with the
//! perplexity of a causal language model.
//!
//! The paper's range `(0, 500)` was chosen for GPT-2 (the code used GPT-1) from the perplexity
//! distribution of the CoNLL training set (App. D.4). Another language model has another scale,
//! so the range can also be given as percentiles of that distribution under the model in use
//! ([`DiscriminatorConfig::Percentile`]): the bounds are then measured on a seeded sample of
//! training sentences before the first generation.

use std::path::{Path, PathBuf};

use rand::seq::index::sample;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::CausalLm;
use crate::rng::SeqRng;

fn d_sample() -> usize {
    1000
}

/// Which generated sentences pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DiscriminatorConfig {
    /// Every generated sentence passes (Table 1's `(0, +∞)`).
    None,
    /// `low ≤ PPL ≤ high`, as in the paper (`(0, 500)` for GPT-2).
    Range {
        /// `s₁`.
        low: f64,
        /// `s₂`.
        high: f64,
    },
    /// `low`-th percentile ≤ PPL ≤ `high`-th percentile of the training sentences' own
    /// perplexities (percentiles in 0..=100), measured on `sample` sentences.
    Percentile {
        /// Lower percentile.
        low: f64,
        /// Upper percentile.
        high: f64,
        /// Training sentences scored to find the bounds.
        #[serde(default = "d_sample")]
        sample: usize,
    },
}

impl Default for DiscriminatorConfig {
    fn default() -> Self {
        DiscriminatorConfig::Percentile {
            low: 0.0,
            high: 90.0,
            sample: d_sample(),
        }
    }
}

impl DiscriminatorConfig {
    /// Checks the bounds; the error names the field.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn check(&self) -> Result<()> {
        let field = "augment.discriminator";
        match *self {
            DiscriminatorConfig::None => Ok(()),
            DiscriminatorConfig::Range { low, high } => {
                if low.is_nan() || high.is_nan() || low < 0.0 || high <= low {
                    Err(Error::config(
                        field,
                        format!("range ({low}, {high}) needs 0 ≤ low < high"),
                    ))
                } else {
                    Ok(())
                }
            }
            DiscriminatorConfig::Percentile { low, high, sample } => {
                if !(0.0..=100.0).contains(&low) || !(0.0..=100.0).contains(&high) || high <= low {
                    Err(Error::config(
                        field,
                        format!("percentiles ({low}, {high}) need 0 ≤ low < high ≤ 100"),
                    ))
                } else if !(10..=1_000_000).contains(&sample) {
                    Err(Error::config(
                        format!("{field}.sample"),
                        format!("{sample} is outside 10..=1000000"),
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Whether a language model is needed.
    pub fn needs_lm(&self) -> bool {
        !matches!(self, DiscriminatorConfig::None)
    }

    /// A short label for tables, e.g. `(0, 500)` or `p0–p90`.
    pub fn label(&self) -> String {
        match self {
            DiscriminatorConfig::None => "(0, +inf)".into(),
            DiscriminatorConfig::Range { low, high } => format!("({low}, {high})"),
            DiscriminatorConfig::Percentile { low, high, .. } => format!("p{low}-p{high}"),
        }
    }
}

/// The `p`-th percentile (0..=100) of `values` by linear interpolation between order statistics
/// (NumPy's default); `NaN`s are ignored. `None` for no value.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = (p / 100.0).clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
}

/// Where the language model comes from: `smollm2` (the fetched SmolLM2-135M GGUF), a `.gguf`
/// file, or a Hugging Face GPT-2 folder.
pub fn lm_path(name: &str) -> PathBuf {
    if name == "smollm2" {
        crate::data::corpora::data_dir()
            .join("models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
    } else {
        PathBuf::from(name)
    }
}

/// Loads a language model named as in [`lm_path`].
///
/// # Errors
/// A missing or malformed model.
pub fn load_lm(name: &str, device: &candle_core::Device) -> Result<Box<dyn CausalLm + Send>> {
    let path = lm_path(name);
    let is_gguf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"));
    if is_gguf {
        Ok(Box::new(crate::model::llama::QuantizedLlama::load(
            &path, device,
        )?))
    } else if Path::new(&path).join("config.json").is_file() {
        Ok(Box::new(crate::model::gpt2::Gpt2::load(&path, device)?))
    } else {
        Err(Error::Missing {
            what: "language model for the SeqMix discriminator".into(),
            path,
            hint:
                "give `smollm2` (run `seqlab data fetch smollm2`), a .gguf file or a GPT-2 folder"
                    .into(),
        })
    }
}

/// The discriminator with its bounds resolved.
pub struct Discriminator {
    config: DiscriminatorConfig,
    lm: Option<Box<dyn CausalLm + Send>>,
    bounds: Option<(f64, f64)>,
}

impl std::fmt::Debug for Discriminator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discriminator")
            .field("config", &self.config)
            .field("bounds", &self.bounds)
            .finish()
    }
}

impl Discriminator {
    /// A discriminator; `lm` is required unless the config is [`DiscriminatorConfig::None`].
    ///
    /// # Errors
    /// A bad config, or no language model where one is needed.
    pub fn new(config: DiscriminatorConfig, lm: Option<Box<dyn CausalLm + Send>>) -> Result<Self> {
        config.check()?;
        if config.needs_lm() && lm.is_none() {
            return Err(Error::config(
                "augment.discriminator",
                "this discriminator needs a language model (`augment.lm`)",
            ));
        }
        let bounds = match config {
            DiscriminatorConfig::None => Some((f64::NEG_INFINITY, f64::INFINITY)),
            DiscriminatorConfig::Range { low, high } => Some((low, high)),
            DiscriminatorConfig::Percentile { .. } => None,
        };
        Ok(Discriminator { config, lm, bounds })
    }

    /// The configuration.
    pub fn config(&self) -> &DiscriminatorConfig {
        &self.config
    }

    /// The language model's name, if any.
    pub fn lm_name(&self) -> Option<String> {
        self.lm.as_ref().map(|lm| lm.name())
    }

    /// The perplexity bounds, once known (percentile bounds after [`Discriminator::calibrate`]).
    pub fn bounds(&self) -> Option<(f64, f64)> {
        self.bounds
    }

    /// Measures percentile bounds on a seeded sample of `reference` sentences (words joined by
    /// spaces); a no-op for the other kinds or when already done.
    ///
    /// # Errors
    /// A language-model failure, or no reference sentence.
    pub fn calibrate(
        &mut self,
        reference: &[String],
        rng: &mut SeqRng,
        cache: Option<&Path>,
    ) -> Result<()> {
        let DiscriminatorConfig::Percentile {
            low,
            high,
            sample: n,
        } = self.config
        else {
            return Ok(());
        };
        if self.bounds.is_some() {
            return Ok(());
        }
        if reference.is_empty() {
            return Err(Error::Model(
                "SeqMix percentile discriminator: no reference sentences to calibrate on".into(),
            ));
        }
        let mut ids = sample(rng, reference.len(), n.min(reference.len())).into_vec();
        ids.sort_unstable();
        let texts: Vec<&str> = ids.iter().map(|&i| reference[i].as_str()).collect();
        let ppl = self.cached_perplexities(&texts, cache)?;
        let lo = percentile(&ppl, low);
        let hi = percentile(&ppl, high);
        self.bounds = lo.zip(hi);
        Ok(())
    }

    /// [`Discriminator::perplexities`] through a JSON file in `cache` named by the SHA-256 of
    /// the model's name and the texts.
    fn cached_perplexities(&self, texts: &[&str], cache: Option<&Path>) -> Result<Vec<f64>> {
        use sha2::{Digest, Sha256};
        let Some(dir) = cache else {
            return self.perplexities(texts);
        };
        let mut h = Sha256::new();
        h.update(self.lm_name().unwrap_or_default().as_bytes());
        for t in texts {
            h.update([0]);
            h.update(t.as_bytes());
        }
        let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!("ppl-{key}.json"));
        if let Some(v) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| serde_json::from_str::<Vec<Option<f64>>>(&s).ok())
            .filter(|v| v.len() == texts.len())
        {
            return Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect());
        }
        let ppl = self.perplexities(texts)?;
        let json: Vec<Option<f64>> = ppl.iter().map(|x| (!x.is_nan()).then_some(*x)).collect();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        crate::files::write_atomic(
            &path,
            serde_json::to_string(&json)
                .expect("numbers serialize")
                .as_bytes(),
        )?;
        Ok(ppl)
    }

    /// Perplexities of texts (`NaN` for every text without a model).
    ///
    /// # Errors
    /// A language-model failure.
    pub fn perplexities(&self, texts: &[&str]) -> Result<Vec<f64>> {
        match &self.lm {
            Some(lm) => lm.perplexity(texts),
            None => Ok(vec![f64::NAN; texts.len()]),
        }
    }

    /// `d(x)` for a perplexity (Eq. 10). Without a filter everything passes; otherwise `NaN`
    /// (an empty sentence) fails.
    ///
    /// # Errors
    /// Percentile bounds that were never calibrated.
    pub fn accepts(&self, ppl: f64) -> Result<bool> {
        if self.config == DiscriminatorConfig::None {
            return Ok(true);
        }
        let (lo, hi) = self.bounds.ok_or_else(|| {
            Error::Model("SeqMix discriminator: percentile bounds used before calibration".into())
        })?;
        Ok(lo <= ppl && ppl <= hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, f64::NAN];
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(4.0));
        // numpy.percentile([1,2,3,4], 90) = 3.7
        assert!((percentile(&v, 90.0).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn ranges_are_checked_and_applied() {
        let bad = DiscriminatorConfig::Range {
            low: 10.0,
            high: 5.0,
        };
        assert!(
            bad.check()
                .unwrap_err()
                .to_string()
                .contains("augment.discriminator")
        );
        let bad = DiscriminatorConfig::Percentile {
            low: 0.0,
            high: 120.0,
            sample: 100,
        };
        assert!(bad.check().is_err());
        let none = Discriminator::new(DiscriminatorConfig::None, None).unwrap();
        assert!(none.accepts(f64::NAN).unwrap() && none.accepts(1e9).unwrap());
        // A range without a model is refused.
        let r = DiscriminatorConfig::Range {
            low: 0.0,
            high: 500.0,
        };
        assert!(Discriminator::new(r, None).is_err());
    }
}
