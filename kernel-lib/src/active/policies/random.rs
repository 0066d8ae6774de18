//! Random sampling: uniform scores from the injected RNG, so the top `K` is a uniform sample.

use rand::Rng;

use crate::active::policy::{QueryPolicy, ScoreContext};
use crate::error::Result;

/// Uniform random sampling.
#[derive(Debug, Clone, Copy)]
pub struct Random;

impl QueryPolicy for Random {
    fn name(&self) -> String {
        "random".into()
    }

    fn scores(&self, ctx: &mut ScoreContext<'_>, sentences: &[Vec<&str>]) -> Result<Vec<f64>> {
        Ok(sentences.iter().map(|_| ctx.rng.random::<f64>()).collect())
    }
}
