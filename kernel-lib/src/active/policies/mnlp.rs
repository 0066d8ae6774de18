//! Maximum normalized log-probability (Shen et al., 2017): query the sentences whose best
//! sequence has the lowest length-normalized log-probability, i.e. score
//! `−(1/T) log P(y*|x)` with `y*` the scheme-constrained Viterbi path.

use crate::active::policy::{QueryPolicy, ScoreContext, from_predictions};
use crate::error::Result;

/// MNLP sampling.
#[derive(Debug, Clone, Copy)]
pub struct Mnlp;

impl QueryPolicy for Mnlp {
    fn name(&self) -> String {
        "mnlp".into()
    }

    fn scores(&self, ctx: &mut ScoreContext<'_>, sentences: &[Vec<&str>]) -> Result<Vec<f64>> {
        from_predictions(ctx, sentences, |p, c| {
            -p.viterbi(c).1 / p.len().max(1) as f64
        })
    }
}
