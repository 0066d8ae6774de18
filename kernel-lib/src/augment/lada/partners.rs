//! Partners of Inter-LADA (Eq. 4): with probability `µ` one of the `k` nearest neighbours of
//! the sentence (sentence embeddings, L2 distance, exact search over the labeled set), else a
//! sentence drawn uniformly from the labeled set.

use rand::Rng;

use crate::error::{Error, Result};
use crate::model::embed::{SentenceEmbedder, knn};
use crate::rng::SeqRng;

/// The `k` nearest neighbours of every labeled sentence (itself excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerTable {
    neighbours: Vec<Vec<usize>>,
}

impl PartnerTable {
    /// Embeds `sentences` (words joined by spaces) with `embedder` and finds each one's `k`
    /// nearest others by L2 distance.
    ///
    /// # Errors
    /// A model failure, or no sentence.
    pub fn build<S: AsRef<str>>(
        embedder: &SentenceEmbedder,
        sentences: &[Vec<S>],
        k: usize,
    ) -> Result<Self> {
        if sentences.is_empty() {
            return Err(Error::config(
                "lada",
                "no labeled sentence to find neighbours in",
            ));
        }
        let e = embedder.embed_words(sentences)?;
        let nn = knn(&e, &e, k, true)?;
        Ok(PartnerTable {
            neighbours: nn
                .into_iter()
                .map(|r| r.into_iter().map(|n| n.index).collect())
                .collect(),
        })
    }

    /// A table from given neighbour lists.
    pub fn from_lists(neighbours: Vec<Vec<usize>>) -> Self {
        PartnerTable { neighbours }
    }

    /// The neighbours of sentence `i`, nearest first.
    pub fn neighbours(&self, i: usize) -> &[usize] {
        &self.neighbours[i]
    }

    /// Number of sentences.
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    /// Whether there is no sentence.
    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }

    /// A partner for sentence `i` (Eq. 4): a uniform choice among its neighbours with
    /// probability `mu`, else a uniform choice over all sentences.
    pub fn sample(&self, i: usize, mu: f64, rng: &mut SeqRng) -> usize {
        let near = &self.neighbours[i];
        if !near.is_empty() && rng.random::<f64>() < mu {
            near[rng.random_range(0..near.len())]
        } else {
            rng.random_range(0..self.neighbours.len())
        }
    }
}
