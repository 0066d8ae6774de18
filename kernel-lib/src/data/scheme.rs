//! Tag schemes (IOB1, IOB2, IOBES, BILOU): parse, decode to spans, encode, validate, repair, detect.
//!
//! A tag is `O` or `PREFIX-TYPE`, split at the first hyphen so that types may contain hyphens
//! (WNUT-16 has `B-geo-loc`). The schemes differ only in which prefixes they use and where:
//!
//! | scheme | entity of one token | entity of three tokens | notes |
//! |---|---|---|---|
//! | IOB1  | `I-X` | `I-X I-X I-X` | `B-X` only starts an entity that directly follows another `X` |
//! | IOB2 (BIO) | `B-X` | `B-X I-X I-X` | |
//! | IOBES | `S-X` | `B-X I-X E-X` | |
//! | BILOU | `U-X` | `B-X I-X L-X` | |
//!
//! All schemes decode with one lenient reader ([`spans`]): a continuation tag that does not
//! continue an open entity of its type starts a new one, which is how conlleval reads it. A
//! sequence is *valid* in a scheme exactly when re-encoding its spans in that scheme gives the
//! same tags back ([`violations`]); [`repair`] applies an explicit [`Repair`] policy otherwise.
//!
//! ```
//! use seqlab::data::scheme::{convert, spans, violations, Span, TagScheme};
//!
//! let iob1 = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC"];
//! assert_eq!(spans(&iob1), vec![Span::new(0, 2, "PER"), Span::new(3, 4, "LOC"), Span::new(4, 5, "LOC")]);
//! assert_eq!(convert(&iob1, TagScheme::Iob2), ["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]);
//! assert_eq!(convert(&iob1, TagScheme::Iobes), ["B-PER", "E-PER", "O", "S-LOC", "S-LOC"]);
//! // `I-LOC` after `O` is fine in IOB1 but not in IOB2:
//! assert!(violations(&iob1, TagScheme::Iob1).is_empty());
//! assert_eq!(violations(&iob1, TagScheme::Iob2)[0].position, 0);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A tagging scheme for entity spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagScheme {
    /// IOB1 (the original CoNLL-2003 files): entities start with `I-`, `B-` separates two
    /// adjacent entities of the same type.
    Iob1,
    /// IOB2, also called BIO: every entity starts with `B-`.
    Iob2,
    /// IOBES (BIOES): `B-` begin, `I-` inside, `E-` end, `S-` single-token entity.
    Iobes,
    /// BILOU: like IOBES with `L-` (last) and `U-` (unit).
    Bilou,
}

impl TagScheme {
    /// All schemes, in a fixed order.
    pub const ALL: [TagScheme; 4] = [
        TagScheme::Iob1,
        TagScheme::Iob2,
        TagScheme::Iobes,
        TagScheme::Bilou,
    ];

    /// Whether tags with `prefix` occur in this scheme.
    pub fn allows(self, prefix: Prefix) -> bool {
        use Prefix::*;
        match self {
            TagScheme::Iob1 | TagScheme::Iob2 => matches!(prefix, B | I | O),
            TagScheme::Iobes => matches!(prefix, B | I | E | S | O),
            TagScheme::Bilou => matches!(prefix, B | I | L | U | O),
        }
    }

    /// The entity prefixes of this scheme in label-vocabulary order.
    pub fn prefixes(self) -> &'static [Prefix] {
        use Prefix::*;
        match self {
            TagScheme::Iob1 | TagScheme::Iob2 => &[B, I],
            TagScheme::Iobes => &[B, I, E, S],
            TagScheme::Bilou => &[B, I, L, U],
        }
    }
}

impl fmt::Display for TagScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TagScheme::Iob1 => "IOB1",
            TagScheme::Iob2 => "IOB2",
            TagScheme::Iobes => "IOBES",
            TagScheme::Bilou => "BILOU",
        })
    }
}

impl FromStr for TagScheme {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "iob1" => Ok(TagScheme::Iob1),
            "iob2" | "bio" => Ok(TagScheme::Iob2),
            "iobes" | "bioes" => Ok(TagScheme::Iobes),
            "bilou" => Ok(TagScheme::Bilou),
            other => Err(Error::config(
                "scheme",
                format!("unknown tag scheme {other:?}; expected iob1, iob2 (bio), iobes or bilou"),
            )),
        }
    }
}

/// The position part of a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// Begin.
    B,
    /// Inside.
    I,
    /// Outside (the tag `O`).
    O,
    /// End (IOBES).
    E,
    /// Single (IOBES).
    S,
    /// Last (BILOU).
    L,
    /// Unit (BILOU).
    U,
}

impl Prefix {
    fn from_char(c: char) -> Option<Self> {
        Some(match c {
            'B' => Prefix::B,
            'I' => Prefix::I,
            'E' => Prefix::E,
            'S' => Prefix::S,
            'L' => Prefix::L,
            'U' => Prefix::U,
            _ => return None,
        })
    }

    /// The prefix letter.
    pub fn as_char(self) -> char {
        match self {
            Prefix::B => 'B',
            Prefix::I => 'I',
            Prefix::O => 'O',
            Prefix::E => 'E',
            Prefix::S => 'S',
            Prefix::L => 'L',
            Prefix::U => 'U',
        }
    }
}

/// Splits a tag into prefix and entity type: `"B-geo-loc"` → `(B, "geo-loc")`, `"O"` → `(O, "")`.
///
/// Returns `None` for anything else (no hyphen, unknown prefix, empty type).
pub fn parse_tag(tag: &str) -> Option<(Prefix, &str)> {
    if tag == "O" {
        return Some((Prefix::O, ""));
    }
    let (head, ty) = tag.split_once('-')?;
    let mut chars = head.chars();
    let prefix = Prefix::from_char(chars.next()?)?;
    if chars.next().is_some() || ty.is_empty() {
        return None;
    }
    Some((prefix, ty))
}

/// Formats a tag from prefix and type (`O` ignores the type).
pub fn make_tag(prefix: Prefix, ty: &str) -> String {
    match prefix {
        Prefix::O => "O".to_string(),
        p => format!("{}-{ty}", p.as_char()),
    }
}

/// A labeled span of tokens `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// Entity type, e.g. `PER`.
    pub label: String,
}

impl Span {
    /// A span over tokens `start..end` of type `label`.
    pub fn new(start: usize, end: usize, label: impl Into<String>) -> Self {
        Span {
            start,
            end,
            label: label.into(),
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no token.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Decodes tags into entity spans, leniently and for every scheme at once.
///
/// `B-X` starts an entity; `I-X` continues an open `X` entity or starts one; `E-X`/`L-X` close an
/// open `X` entity (or form a one-token entity); `S-X`/`U-X` are one-token entities; `O` and
/// unparseable tags are outside.
pub fn spans<S: AsRef<str>>(tags: &[S]) -> Vec<Span> {
    let mut out = Vec::new();
    // (start, type) of the entity that the next token may continue.
    let mut open: Option<(usize, &str)> = None;
    for (i, tag) in tags.iter().enumerate() {
        let parsed = parse_tag(tag.as_ref());
        let continues =
            |ty: &str, open: &Option<(usize, &str)>| matches!(open, Some((_, t)) if *t == ty);
        match parsed {
            None | Some((Prefix::O, _)) => close(&mut out, &mut open, i),
            Some((Prefix::B, ty)) => {
                close(&mut out, &mut open, i);
                open = Some((i, ty));
            }
            Some((Prefix::I, ty)) => {
                if !continues(ty, &open) {
                    close(&mut out, &mut open, i);
                    open = Some((i, ty));
                }
            }
            Some((Prefix::E | Prefix::L, ty)) => {
                if !continues(ty, &open) {
                    close(&mut out, &mut open, i);
                    open = Some((i, ty));
                }
                close(&mut out, &mut open, i + 1);
            }
            Some((Prefix::S | Prefix::U, ty)) => {
                close(&mut out, &mut open, i);
                out.push(Span::new(i, i + 1, ty));
            }
        }
    }
    close(&mut out, &mut open, tags.len());
    out
}

fn close(out: &mut Vec<Span>, open: &mut Option<(usize, &str)>, end: usize) {
    if let Some((start, ty)) = open.take() {
        out.push(Span::new(start, end, ty));
    }
}

/// Encodes non-overlapping spans over `len` tokens in `scheme`.
///
/// # Errors
/// If spans overlap, are empty, are not sorted, or reach past `len`.
pub fn encode(spans: &[Span], len: usize, scheme: TagScheme) -> Result<Vec<String>> {
    let mut tags = vec!["O".to_string(); len];
    let mut prev: Option<&Span> = None;
    for span in spans {
        if span.is_empty() || span.end > len || prev.is_some_and(|p| p.end > span.start) {
            return Err(Error::config(
                "spans",
                format!(
                    "span {}..{} ({}) is empty, overlaps the previous one or ends past {len} tokens",
                    span.start, span.end, span.label
                ),
            ));
        }
        let adjacent_same = prev.is_some_and(|p| p.end == span.start && p.label == span.label);
        let ty = span.label.as_str();
        let last = span.end - 1;
        for (i, tag) in tags.iter_mut().enumerate().take(span.end).skip(span.start) {
            let prefix = match scheme {
                TagScheme::Iob1 if i == span.start && adjacent_same => Prefix::B,
                TagScheme::Iob1 => Prefix::I,
                TagScheme::Iob2 if i == span.start => Prefix::B,
                TagScheme::Iob2 => Prefix::I,
                TagScheme::Iobes | TagScheme::Bilou => {
                    let (single, end) = if scheme == TagScheme::Iobes {
                        (Prefix::S, Prefix::E)
                    } else {
                        (Prefix::U, Prefix::L)
                    };
                    if span.len() == 1 {
                        single
                    } else if i == span.start {
                        Prefix::B
                    } else if i == last {
                        end
                    } else {
                        Prefix::I
                    }
                }
            };
            *tag = make_tag(prefix, ty);
        }
        prev = Some(span);
    }
    Ok(tags)
}

/// Converts tags to `to` (decoding leniently, see [`spans`]).
pub fn convert<S: AsRef<str>>(tags: &[S], to: TagScheme) -> Vec<String> {
    encode(&spans(tags), tags.len(), to).expect("spans() yields sorted, disjoint, in-range spans")
}

/// One place where a tag sequence breaks its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Token index in the sequence.
    pub position: usize,
    /// The tag found there.
    pub found: String,
    /// The tag before it (`None` at the start of the sequence).
    pub previous: Option<String>,
    /// What the scheme has there for the same reading of the entities, or `None` when the
    /// tag itself is not part of the scheme.
    pub expected: Option<String>,
}

impl Violation {
    /// A one-line description, e.g. `"I-PER" after "O" is not valid IOB2 (expected "B-PER")`.
    pub fn describe(&self, scheme: TagScheme) -> String {
        let after = match &self.previous {
            Some(p) => format!("after {p:?}"),
            None => "at the start of a sentence".to_string(),
        };
        match &self.expected {
            Some(e) => format!(
                "{:?} {after} is not valid {scheme} (the entity reading gives {e:?})",
                self.found
            ),
            None => match parse_tag(&self.found) {
                Some((p, _)) => format!(
                    "prefix {}- is not used in {scheme} (tag {:?})",
                    p.as_char(),
                    self.found
                ),
                None => format!("{:?} is not a tag", self.found),
            },
        }
    }
}

/// All positions where `tags` are not valid in `scheme`.
pub fn violations<S: AsRef<str>>(tags: &[S], scheme: TagScheme) -> Vec<Violation> {
    let previous = |i: usize| (i > 0).then(|| tags[i - 1].as_ref().to_string());
    let mut out = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let ok = parse_tag(tag.as_ref()).is_some_and(|(p, _)| scheme.allows(p));
        if !ok {
            out.push(Violation {
                position: i,
                found: tag.as_ref().to_string(),
                previous: previous(i),
                expected: None,
            });
        }
    }
    if !out.is_empty() {
        return out;
    }
    let canonical = convert(tags, scheme);
    for (i, (tag, want)) in tags.iter().zip(&canonical).enumerate() {
        if tag.as_ref() != want {
            out.push(Violation {
                position: i,
                found: tag.as_ref().to_string(),
                previous: previous(i),
                expected: Some(want.clone()),
            });
        }
    }
    out
}

/// What to do with a tag sequence that breaks its scheme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repair {
    /// Refuse it: readers report the file and line.
    #[default]
    Error,
    /// Read a stray continuation (`I-X` after `O` in IOB2) as the start of an entity, the way
    /// conlleval does, and re-encode.
    Begin,
    /// Drop stray continuations to `O` (the whole stray entity), then re-encode.
    Outside,
}

impl FromStr for Repair {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Ok(Repair::Error),
            "begin" => Ok(Repair::Begin),
            "outside" => Ok(Repair::Outside),
            other => Err(Error::config(
                "repair",
                format!("unknown repair policy {other:?}; expected error, begin or outside"),
            )),
        }
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Repair::Error => "error",
            Repair::Begin => "begin",
            Repair::Outside => "outside",
        })
    }
}

/// Makes `tags` valid in `scheme` under `policy`.
///
/// Returns the repaired tags and how many positions changed.
///
/// # Errors
/// The first [`Violation`] when `policy` is [`Repair::Error`], or when a tag is not part of
/// `scheme` at all (a wrong-scheme file is never repaired silently).
pub fn repair<S: AsRef<str>>(
    tags: &[S],
    scheme: TagScheme,
    policy: Repair,
) -> std::result::Result<(Vec<String>, usize), Violation> {
    let found = violations(tags, scheme);
    if let Some(first) = found.first() {
        if policy == Repair::Error || first.expected.is_none() {
            return Err(first.clone());
        }
    } else {
        return Ok((tags.iter().map(|t| t.as_ref().to_string()).collect(), 0));
    }
    let mut work: Vec<String> = tags.iter().map(|t| t.as_ref().to_string()).collect();
    if policy == Repair::Outside && scheme != TagScheme::Iob1 {
        for i in 0..work.len() {
            let Some((p, ty)) = parse_tag(&work[i]) else {
                continue;
            };
            if !matches!(p, Prefix::I | Prefix::E | Prefix::L) {
                continue;
            }
            let continues = i > 0
                && matches!(parse_tag(&work[i - 1]), Some((Prefix::B | Prefix::I, t)) if t == ty);
            if !continues {
                work[i] = "O".to_string();
            }
        }
    }
    let fixed = convert(&work, scheme);
    let changed = fixed
        .iter()
        .zip(tags)
        .filter(|(a, b)| a.as_str() != b.as_ref())
        .count();
    Ok((fixed, changed))
}

/// Guesses the scheme of a collection of tag sequences.
///
/// `E-`/`S-` mean IOBES, `L-`/`U-` BILOU. Among B/I/O files, IOB2 starts entities with `B-`
/// and IOB1 with `I-`; the majority decides, so a few slips do not flip the answer.
/// Returns `None` when there is no entity tag or prefixes of both IOBES and BILOU occur.
pub fn detect<'a, S, I>(sequences: I) -> Option<TagScheme>
where
    S: AsRef<str> + 'a,
    I: IntoIterator<Item = &'a [S]>,
{
    let (mut iobes, mut bilou) = (false, false);
    let (mut b_starts, mut i_starts) = (0usize, 0usize);
    for seq in sequences {
        let mut prev: Option<(Prefix, &str)> = None;
        for tag in seq {
            let cur = parse_tag(tag.as_ref());
            if let Some((p, ty)) = cur {
                let continues = matches!(prev, Some((Prefix::B | Prefix::I, t)) if t == ty);
                match p {
                    Prefix::E | Prefix::S => iobes = true,
                    Prefix::L | Prefix::U => bilou = true,
                    Prefix::B if !continues => b_starts += 1,
                    Prefix::I if !continues => i_starts += 1,
                    _ => {}
                }
            }
            prev = cur;
        }
    }
    match (iobes, bilou) {
        (true, true) => None,
        (true, false) => Some(TagScheme::Iobes),
        (false, true) => Some(TagScheme::Bilou),
        (false, false) if b_starts == 0 && i_starts == 0 => None,
        (false, false) if b_starts >= i_starts => Some(TagScheme::Iob2),
        (false, false) => Some(TagScheme::Iob1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(tags: &str) -> Vec<String> {
        tags.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parse_tag_splits_at_first_hyphen() {
        assert_eq!(parse_tag("B-geo-loc"), Some((Prefix::B, "geo-loc")));
        assert_eq!(parse_tag("O"), Some((Prefix::O, "")));
        for bad in ["B", "B-", "X-PER", "BI-PER", "o", "", "-PER"] {
            assert_eq!(parse_tag(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_between_all_schemes() {
        let spans_in = vec![
            Span::new(0, 1, "PER"),
            Span::new(1, 3, "PER"),
            Span::new(4, 5, "LOC"),
            Span::new(5, 8, "ORG"),
        ];
        for scheme in TagScheme::ALL {
            let tags = encode(&spans_in, 9, scheme).unwrap();
            assert_eq!(spans(&tags), spans_in, "{scheme}: {tags:?}");
            assert!(violations(&tags, scheme).is_empty(), "{scheme}: {tags:?}");
        }
        assert_eq!(
            encode(&spans_in, 9, TagScheme::Iob1).unwrap(),
            v("I-PER B-PER I-PER O I-LOC I-ORG I-ORG I-ORG O")
        );
        assert_eq!(
            encode(&spans_in, 9, TagScheme::Bilou).unwrap(),
            v("U-PER B-PER L-PER O U-LOC B-ORG I-ORG L-ORG O")
        );
    }

    #[test]
    fn encode_rejects_overlaps() {
        let bad = vec![Span::new(0, 2, "A"), Span::new(1, 3, "B")];
        assert!(encode(&bad, 4, TagScheme::Iob2).is_err());
        assert!(encode(&[Span::new(2, 5, "A")], 4, TagScheme::Iob2).is_err());
        assert!(encode(&[Span::new(2, 2, "A")], 4, TagScheme::Iob2).is_err());
    }

    #[test]
    fn lenient_decoding_follows_conlleval() {
        assert_eq!(
            spans(&v("I-PER I-LOC B-LOC I-LOC O E-ORG S-MISC")),
            vec![
                Span::new(0, 1, "PER"),
                Span::new(1, 2, "LOC"),
                Span::new(2, 4, "LOC"),
                Span::new(5, 6, "ORG"),
                Span::new(6, 7, "MISC"),
            ]
        );
        // E closes, so a following I starts a new entity.
        assert_eq!(
            spans(&v("B-X E-X I-X")),
            vec![Span::new(0, 2, "X"), Span::new(2, 3, "X")]
        );
    }

    #[test]
    fn violations_name_position_and_expectation() {
        let tags = v("O I-PER I-PER B-LOC I-ORG");
        let found = violations(&tags, TagScheme::Iob2);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].position, 1);
        assert_eq!(found[0].expected.as_deref(), Some("B-PER"));
        assert_eq!(found[1].position, 4);
        assert!(
            found[0]
                .describe(TagScheme::Iob2)
                .contains("\"I-PER\" after \"O\"")
        );
        // IOBES: B followed by O should be S.
        let found = violations(&v("B-X O"), TagScheme::Iobes);
        assert_eq!(found[0].expected.as_deref(), Some("S-X"));
        // Wrong-scheme prefixes are reported without an expectation.
        let found = violations(&v("S-X O"), TagScheme::Iob2);
        assert_eq!(found[0].expected, None);
        assert!(found[0].describe(TagScheme::Iob2).contains("prefix S-"));
    }

    #[test]
    fn repair_policies() {
        let tags = v("O I-PER I-PER O B-LOC");
        assert!(repair(&tags, TagScheme::Iob2, Repair::Error).is_err());
        let (fixed, n) = repair(&tags, TagScheme::Iob2, Repair::Begin).unwrap();
        assert_eq!(fixed, v("O B-PER I-PER O B-LOC"));
        assert_eq!(n, 1);
        let (fixed, n) = repair(&tags, TagScheme::Iob2, Repair::Outside).unwrap();
        assert_eq!(fixed, v("O O O O B-LOC"));
        assert_eq!(n, 2);
        // Valid input is untouched.
        let (fixed, n) = repair(&fixed, TagScheme::Iob2, Repair::Error).unwrap();
        assert_eq!((fixed, n), (v("O O O O B-LOC"), 0));
        // Wrong scheme is never repaired.
        assert!(repair(&v("S-X"), TagScheme::Iob2, Repair::Begin).is_err());
    }

    #[test]
    fn detects_schemes() {
        let iob1 = [v("I-PER I-PER O I-LOC B-LOC")];
        let iob2 = [v("B-PER I-PER O B-LOC B-LOC")];
        let iobes = [v("B-PER E-PER O S-LOC")];
        let bilou = [v("U-PER O B-LOC L-LOC")];
        let none = [v("O O O")];
        let one = |x: &[Vec<String>]| detect(x.iter().map(Vec::as_slice));
        assert_eq!(one(&iob1), Some(TagScheme::Iob1));
        assert_eq!(one(&iob2), Some(TagScheme::Iob2));
        assert_eq!(one(&iobes), Some(TagScheme::Iobes));
        assert_eq!(one(&bilou), Some(TagScheme::Bilou));
        assert_eq!(one(&none), None);
        // A few IOB2 slips do not make the data IOB1.
        let slips = [v("B-A I-A O B-B O I-C B-D")];
        assert_eq!(one(&slips), Some(TagScheme::Iob2));
    }

    #[test]
    fn scheme_names_parse() {
        assert_eq!("BIO".parse::<TagScheme>().unwrap(), TagScheme::Iob2);
        assert_eq!("bioes".parse::<TagScheme>().unwrap(), TagScheme::Iobes);
        assert!("iob3".parse::<TagScheme>().is_err());
        assert_eq!("begin".parse::<Repair>().unwrap(), Repair::Begin);
    }
}
