//! Label vocabularies with stable ids.
//!
//! The canonical order does not depend on the order of the data: `O` first, then for each entity
//! type in byte order the scheme's prefixes (`B`, `I` for IOB2; `B`, `I`, `E`, `S` for IOBES ...).
//! A vocabulary can also be given explicitly (for example a model's saved label map), in which
//! case its order is kept.
//!
//! ```
//! use seqlab::data::{LabelVocab, TagScheme};
//!
//! let vocab = LabelVocab::for_types(["PER", "LOC"], TagScheme::Iob2);
//! assert_eq!(vocab.labels(), ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]);
//! assert_eq!(vocab.id("B-PER"), Some(3));
//! assert_eq!(vocab.label(0), Some("O"));
//! ```

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::data::scheme::{TagScheme, make_tag, parse_tag};
use crate::error::{Error, Result};

/// An ordered set of tag strings; a tag's id is its index.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct LabelVocab {
    labels: Vec<String>,
    index: HashMap<String, usize>,
}

impl PartialEq for LabelVocab {
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels
    }
}

impl Eq for LabelVocab {}

impl LabelVocab {
    /// The canonical vocabulary for these entity types in `scheme`.
    pub fn for_types<I, S>(types: I, scheme: TagScheme) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let types: BTreeSet<String> = types.into_iter().map(|t| t.as_ref().to_string()).collect();
        let mut labels = vec!["O".to_string()];
        for ty in &types {
            for &p in scheme.prefixes() {
                labels.push(make_tag(p, ty));
            }
        }
        Self::from_labels(labels).expect("canonical labels are distinct")
    }

    /// A vocabulary in the given order.
    ///
    /// # Errors
    /// If a label repeats or is not a tag (`O` or `PREFIX-TYPE`).
    pub fn from_labels<I, S>(labels: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        let mut index = HashMap::with_capacity(labels.len());
        for (i, label) in labels.iter().enumerate() {
            if parse_tag(label).is_none() {
                return Err(Error::config(
                    "labels",
                    format!("{label:?} is not a tag (expected O or B-/I-/E-/S-/L-/U-<TYPE>)"),
                ));
            }
            if index.insert(label.clone(), i).is_some() {
                return Err(Error::config("labels", format!("{label:?} appears twice")));
            }
        }
        Ok(LabelVocab { labels, index })
    }

    /// The id of `label`.
    pub fn id(&self, label: &str) -> Option<usize> {
        self.index.get(label).copied()
    }

    /// The label with id `id`.
    pub fn label(&self, id: usize) -> Option<&str> {
        self.labels.get(id).map(String::as_str)
    }

    /// All labels in id order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no label.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The entity types, sorted.
    pub fn types(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .labels
            .iter()
            .filter_map(|l| parse_tag(l).map(|(_, t)| t))
            .filter(|t| !t.is_empty())
            .collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// Ids of `tags`; the error names the first unknown tag.
    pub fn encode<S: AsRef<str>>(&self, tags: &[S]) -> std::result::Result<Vec<usize>, String> {
        tags.iter()
            .map(|t| self.id(t.as_ref()).ok_or_else(|| t.as_ref().to_string()))
            .collect()
    }
}

impl TryFrom<Vec<String>> for LabelVocab {
    type Error = Error;

    fn try_from(labels: Vec<String>) -> Result<Self> {
        Self::from_labels(labels)
    }
}

impl From<LabelVocab> for Vec<String> {
    fn from(v: LabelVocab) -> Self {
        v.labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_order_is_independent_of_input_order() {
        let a = LabelVocab::for_types(["PER", "LOC", "ORG", "MISC"], TagScheme::Iob2);
        let b = LabelVocab::for_types(["MISC", "ORG", "PER", "LOC", "PER"], TagScheme::Iob2);
        assert_eq!(a, b);
        assert_eq!(a.len(), 9);
        assert_eq!(a.types(), ["LOC", "MISC", "ORG", "PER"]);
        let e = LabelVocab::for_types(["X"], TagScheme::Iobes);
        assert_eq!(e.labels(), ["O", "B-X", "I-X", "E-X", "S-X"]);
    }

    #[test]
    fn explicit_order_is_kept_and_checked() {
        let v = LabelVocab::from_labels(["B-LOC", "O", "I-LOC"]).unwrap();
        assert_eq!(v.id("O"), Some(1));
        assert_eq!(v.encode(&["O", "B-LOC"]).unwrap(), vec![1, 0]);
        assert_eq!(v.encode(&["O", "B-PER"]).unwrap_err(), "B-PER");
        assert!(LabelVocab::from_labels(["O", "O"]).is_err());
        assert!(LabelVocab::from_labels(["O", "[CLS]"]).is_err());
    }

    #[test]
    fn serde_round_trip() {
        let v = LabelVocab::for_types(["PER"], TagScheme::Iob2);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"["O","B-PER","I-PER"]"#);
        let back: LabelVocab = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
        assert!(serde_json::from_str::<LabelVocab>(r#"["O","O"]"#).is_err());
    }
}
