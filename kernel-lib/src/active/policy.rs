//! Query policies: how informative each unlabeled sentence is. Higher scores are queried first.
//!
//! A policy is a small type behind [`QueryPolicy`]; the ones in [`crate::active::policies`]
//! are built from a [`PolicyConfig`] by [`PolicyConfig::build`]. Adding one is one file there
//! plus a line in [`PolicyConfig`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::active::policies::{
    Bald, LcVariant, LeastConfidence, Mnlp, Random, TokenEntropy, VoteEntropy,
};
use crate::error::{Error, Result};
use crate::rng::SeqRng;
use crate::train::{Constraints, Prediction, Tagger};

/// What a policy may use to score the pool.
pub struct ScoreContext<'a> {
    /// The model trained on the current labeled set.
    pub tagger: &'a Tagger,
    /// The other committee members (for disagreement policies), trained on resamples.
    pub committee: &'a [Tagger],
    /// The tag scheme's transitions, for Viterbi decoding.
    pub constraints: &'a Constraints,
    /// Sentences per forward pass.
    pub batch_size: usize,
    /// Randomness (random sampling, MC dropout masks).
    pub rng: &'a mut SeqRng,
}

/// A query policy.
pub trait QueryPolicy: Send + Sync {
    /// A short name for tables (`random`, `lc`, …).
    fn name(&self) -> String;

    /// How many extra models the policy needs besides the main one (a committee of `C`
    /// models needs `C − 1`).
    fn extra_models(&self) -> usize {
        0
    }

    /// One informativeness score per sentence (words only; gold tags are never shown).
    ///
    /// # Errors
    /// A tagger failure.
    fn scores(&self, ctx: &mut ScoreContext<'_>, sentences: &[Vec<&str>]) -> Result<Vec<f64>>;
}

/// Scores computed from the main model's per-word distributions, one batch run for all.
///
/// # Errors
/// A tagger failure.
pub fn from_predictions(
    ctx: &ScoreContext<'_>,
    sentences: &[Vec<&str>],
    f: impl Fn(&Prediction, &Constraints) -> f64,
) -> Result<Vec<f64>> {
    let preds = ctx.tagger.predict(sentences, ctx.batch_size)?;
    Ok(preds.iter().map(|p| f(p, ctx.constraints)).collect())
}

/// Which policy to run, as written in an experiment config: either a name (`"lc"`) or a
/// table with parameters (`{ kind = "qbc", committee = 3 }`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PolicySpec", into = "PolicySpec")]
pub enum PolicyConfig {
    /// Uniform random sampling.
    Random,
    /// Token-sum least confidence `Σ_t (1 − max_y P(y_t|x))` (SeqMix Eq. 2).
    Lc,
    /// Least confidence averaged over the words.
    LcMean,
    /// Sequence-level least confidence `1 − P(y*|x)` with `y*` the scheme-constrained Viterbi
    /// path (the Eq. 1 analogue for a softmax tagger).
    LcSequence,
    /// Normalized token entropy (SeqMix Eq. 3).
    Nte,
    /// Maximum normalized log-probability (Shen et al., 2017): `−(1/T) log P(y*|x)`.
    Mnlp,
    /// Query-by-committee vote entropy (SeqMix Eq. 4) with `committee` models.
    Qbc {
        /// Committee size `C` (the main model plus `C − 1` trained on bootstrap resamples).
        committee: usize,
    },
    /// BALD with MC dropout (Gal et al., 2017): mean token mutual information over `samples`
    /// stochastic forward passes.
    Bald {
        /// Dropout samples per sentence.
        samples: usize,
    },
}

impl PolicyConfig {
    /// The names accepted in configs.
    pub const NAMES: &'static [&'static str] = &[
        "random",
        "lc",
        "lc-mean",
        "lc-sequence",
        "nte",
        "mnlp",
        "qbc",
        "bald",
    ];

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::Config`] naming the field and the allowed range.
    pub fn check(&self) -> Result<()> {
        match *self {
            PolicyConfig::Qbc { committee } if !(2..=16).contains(&committee) => {
                Err(Error::config(
                    "active.policy.committee",
                    format!("{committee} is outside 2..=16"),
                ))
            }
            PolicyConfig::Bald { samples } if !(2..=100).contains(&samples) => Err(Error::config(
                "active.policy.samples",
                format!("{samples} is outside 2..=100"),
            )),
            _ => Ok(()),
        }
    }

    /// The policy object.
    pub fn build(&self) -> Box<dyn QueryPolicy> {
        match *self {
            PolicyConfig::Random => Box::new(Random),
            PolicyConfig::Lc => Box::new(LeastConfidence(LcVariant::TokenSum)),
            PolicyConfig::LcMean => Box::new(LeastConfidence(LcVariant::TokenMean)),
            PolicyConfig::LcSequence => Box::new(LeastConfidence(LcVariant::Sequence)),
            PolicyConfig::Nte => Box::new(TokenEntropy),
            PolicyConfig::Mnlp => Box::new(Mnlp),
            PolicyConfig::Qbc { committee } => Box::new(VoteEntropy { committee }),
            PolicyConfig::Bald { samples } => Box::new(Bald { samples }),
        }
    }
}

impl fmt::Display for PolicyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.build().name())
    }
}

/// The serialized form of [`PolicyConfig`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum PolicySpec {
    Name(String),
    Table {
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        committee: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        samples: Option<usize>,
    },
}

impl TryFrom<PolicySpec> for PolicyConfig {
    type Error = String;

    fn try_from(spec: PolicySpec) -> std::result::Result<Self, String> {
        let (kind, committee, samples) = match spec {
            PolicySpec::Name(k) => (k, None, None),
            PolicySpec::Table {
                kind,
                committee,
                samples,
            } => (kind, committee, samples),
        };
        let unexpected = |what: &str| {
            Err(format!(
                "policy {kind:?} takes no {what:?} (only qbc has a committee, only bald has samples)"
            ))
        };
        if committee.is_some() && kind != "qbc" {
            return unexpected("committee");
        }
        if samples.is_some() && kind != "bald" {
            return unexpected("samples");
        }
        Ok(match kind.as_str() {
            "random" => PolicyConfig::Random,
            "lc" => PolicyConfig::Lc,
            "lc-mean" => PolicyConfig::LcMean,
            "lc-sequence" => PolicyConfig::LcSequence,
            "nte" => PolicyConfig::Nte,
            "mnlp" => PolicyConfig::Mnlp,
            "qbc" => PolicyConfig::Qbc {
                committee: committee.unwrap_or(3),
            },
            "bald" => PolicyConfig::Bald {
                samples: samples.unwrap_or(10),
            },
            other => {
                return Err(format!(
                    "unknown policy {other:?}; expected one of {}",
                    PolicyConfig::NAMES.join(", ")
                ));
            }
        })
    }
}

impl From<PolicyConfig> for PolicySpec {
    fn from(p: PolicyConfig) -> Self {
        let name = |s: &str| PolicySpec::Name(s.to_string());
        match p {
            PolicyConfig::Random => name("random"),
            PolicyConfig::Lc => name("lc"),
            PolicyConfig::LcMean => name("lc-mean"),
            PolicyConfig::LcSequence => name("lc-sequence"),
            PolicyConfig::Nte => name("nte"),
            PolicyConfig::Mnlp => name("mnlp"),
            PolicyConfig::Qbc { committee } => PolicySpec::Table {
                kind: "qbc".into(),
                committee: Some(committee),
                samples: None,
            },
            PolicyConfig::Bald { samples } => PolicySpec::Table {
                kind: "bald".into(),
                committee: None,
                samples: Some(samples),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_from_names_and_tables() {
        let p: PolicyConfig = serde_json::from_str(r#""lc""#).unwrap();
        assert_eq!(p, PolicyConfig::Lc);
        let p: PolicyConfig = serde_json::from_str(r#"{"kind": "qbc"}"#).unwrap();
        assert_eq!(p, PolicyConfig::Qbc { committee: 3 });
        let p: PolicyConfig = serde_json::from_str(r#"{"kind": "bald", "samples": 5}"#).unwrap();
        assert_eq!(p, PolicyConfig::Bald { samples: 5 });
        let e = serde_json::from_str::<PolicyConfig>(r#""lcc""#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown policy \"lcc\"") && e.contains("nte"),
            "{e}"
        );
        let e = serde_json::from_str::<PolicyConfig>(r#"{"kind": "lc", "committee": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("takes no \"committee\""), "{e}");
        assert!(PolicyConfig::Qbc { committee: 1 }.check().is_err());
        for name in PolicyConfig::NAMES {
            let p: PolicyConfig = serde_json::from_str(&format!("{name:?}")).unwrap();
            let back = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<PolicyConfig>(&back).unwrap(), p);
            assert_eq!(&p.to_string(), name);
        }
    }
}
