//! Word shapes for encoders that lowercase their input.
//!
//! An uncased encoder (all-MiniLM-L6-v2 lowercases every word) never sees capitalization, the
//! strongest single cue for names. With [`Casing::On`] the tagger gives every piece the shape
//! of its word, a small trainable embedding of it is added to the input embeddings (as BERT's
//! segment embeddings are), initialised at zero so that training starts from the unchanged
//! pretrained encoder. [`Casing::Auto`] turns this on exactly when the tokenizer lowercases,
//! so a cased encoder such as bert-base-cased (the papers' setting) is left as it is.

use serde::{Deserialize, Serialize};

/// Whether word-shape embeddings are added to the encoder input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Casing {
    /// On when the tokenizer lowercases its input, off otherwise.
    #[default]
    Auto,
    /// Always on.
    On,
    /// Always off.
    Off,
}

impl std::str::FromStr for Casing {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Casing::Auto),
            "on" | "true" => Ok(Casing::On),
            "off" | "false" => Ok(Casing::Off),
            other => Err(crate::Error::config(
                "casing",
                format!("unknown value {other:?}; expected auto, on or off"),
            )),
        }
    }
}

/// Number of shape classes, `NONE` included.
pub const NUM_SHAPES: usize = 5;
/// Special tokens and padding.
pub const NONE: u32 = 0;
/// Letters, all lowercase: `rejects`.
pub const LOWER: u32 = 1;
/// First letter uppercase, the rest lowercase: `German`, `A`, `Jr.`.
pub const CAPITALIZED: u32 = 2;
/// Two or more letters, all uppercase: `EU`, `U.S.`.
pub const UPPER: u32 = 3;
/// No letter, or mixed case: `1996`, `.`, `McDonald`, `iPhone`.
pub const OTHER: u32 = 4;

/// The shape class of a word.
///
/// ```
/// use seqlab::encoding::casing::{shape, CAPITALIZED, LOWER, OTHER, UPPER};
/// assert_eq!(shape("rejects"), LOWER);
/// assert_eq!(shape("German"), CAPITALIZED);
/// assert_eq!(shape("EU"), UPPER);
/// assert_eq!(shape("U.S."), UPPER);
/// assert_eq!(shape("1996"), OTHER);
/// assert_eq!(shape("McDonald"), OTHER);
/// ```
pub fn shape(word: &str) -> u32 {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    let Some(first) = letters.first() else {
        return OTHER;
    };
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if upper == 0 {
        LOWER
    } else if first.is_uppercase() && upper == 1 {
        CAPITALIZED
    } else if upper == letters.len() {
        UPPER
    } else {
        OTHER
    }
}
