//! Strict entity extraction, a port of seqeval's `mode="strict"` (seqeval 1.2.2
//! `scheme.py`: `Tokens.entities` with the IOB1/IOB2/IOBES/BILOU pattern tables).
//!
//! An entity counts only if it starts with a start pattern, continues with inside patterns and
//! ends with an end pattern of the declared scheme: in IOB2, `I-PER I-PER` after `O` is no
//! entity at all (conlleval would read one). A tag whose prefix is not part of the scheme is
//! an error, as in seqeval. Tags must be `O` or `PREFIX-TYPE` (seqeval also accepts forms such
//! as `BPER`; seqlab refuses them).

use std::collections::HashSet;

use crate::data::scheme::{Prefix, Span, TagScheme, parse_tag};
use crate::metrics::scores::Scores;

#[derive(Clone, Copy, PartialEq, Eq)]
enum TypeCond {
    Same,
    Diff,
    Any,
}

/// (previous prefixes, current prefixes, type condition).
type Pattern = (&'static [Prefix], &'static [Prefix], TypeCond);

use Prefix::{B, E, I, L, O, S, U};
use TypeCond::{Any, Diff, Same};

const ANY: &[Prefix] = &[I, O, B, E, S, U, L];

struct Table {
    start: &'static [Pattern],
    inside: &'static [Pattern],
    end: &'static [Pattern],
}

const IOB1: Table = Table {
    start: &[
        (&[O], &[I], Any),
        (&[I], &[I], Diff),
        (&[B], &[I], Any),
        (&[I], &[B], Same),
        (&[B], &[B], Same),
    ],
    inside: &[(&[B], &[I], Same), (&[I], &[I], Same)],
    end: &[
        (&[I], &[I], Diff),
        (&[I], &[O], Any),
        (&[I], &[B], Any),
        (&[B], &[O], Any),
        (&[B], &[I], Diff),
        (&[B], &[B], Same),
    ],
};

const IOB2: Table = Table {
    start: &[(ANY, &[B], Any)],
    inside: &[(&[B], &[I], Same), (&[I], &[I], Same)],
    end: &[
        (&[I], &[O], Any),
        (&[I], &[I], Diff),
        (&[I], &[B], Any),
        (&[B], &[O], Any),
        (&[B], &[I], Diff),
        (&[B], &[B], Any),
    ],
};

const IOBES: Table = Table {
    start: &[(ANY, &[B], Any), (ANY, &[S], Any)],
    inside: &[
        (&[B], &[I], Same),
        (&[B], &[E], Same),
        (&[I], &[I], Same),
        (&[I], &[E], Same),
    ],
    end: &[(&[S], ANY, Any), (&[E], ANY, Any)],
};

const BILOU: Table = Table {
    start: &[(ANY, &[B], Any), (ANY, &[U], Any)],
    inside: &[
        (&[B], &[I], Same),
        (&[B], &[L], Same),
        (&[I], &[I], Same),
        (&[I], &[L], Same),
    ],
    end: &[(&[U], ANY, Any), (&[L], ANY, Any)],
};

fn table(scheme: TagScheme) -> &'static Table {
    match scheme {
        TagScheme::Iob1 => &IOB1,
        TagScheme::Iob2 => &IOB2,
        TagScheme::Iobes => &IOBES,
        TagScheme::Bilou => &BILOU,
    }
}

#[derive(Clone, Copy)]
struct Tok<'a> {
    prefix: Prefix,
    /// seqeval's `tag`: the type, or `_` for `O`.
    ty: &'a str,
}

fn matches(patterns: &[Pattern], prev: Tok<'_>, cur: Tok<'_>) -> bool {
    patterns.iter().any(|&(pp, cp, cond)| {
        pp.contains(&prev.prefix)
            && cp.contains(&cur.prefix)
            && match cond {
                Any => true,
                Same => prev.ty == cur.ty,
                Diff => prev.ty != cur.ty,
            }
    })
}

/// A tag that strict mode cannot read in `scheme`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTag {
    /// Token index.
    pub position: usize,
    /// The tag.
    pub tag: String,
}

/// Entities of one tag sequence under the strict rules of `scheme`.
///
/// # Errors
/// The first tag that is not `O`/`PREFIX-TYPE` or whose prefix the scheme does not use.
pub fn entities<S: AsRef<str>>(tags: &[S], scheme: TagScheme) -> Result<Vec<Span>, BadTag> {
    let outside = Tok { prefix: O, ty: "_" };
    let mut toks = Vec::with_capacity(tags.len() + 1);
    for (position, t) in tags.iter().enumerate() {
        match parse_tag(t.as_ref()) {
            Some((p, ty)) if scheme.allows(p) => toks.push(Tok {
                prefix: p,
                ty: if p == O { "_" } else { ty },
            }),
            _ => {
                return Err(BadTag {
                    position,
                    tag: t.as_ref().to_string(),
                });
            }
        }
    }
    toks.push(outside);
    let tb = table(scheme);
    let mut out = Vec::new();
    let mut i = 0;
    let mut prev = outside;
    while i < toks.len() {
        let tok = toks[i];
        if matches(tb.start, prev, tok) {
            // seqeval's `_forward`
            let mut end = toks.len() - 1;
            let mut p = tok;
            for (j, &t) in toks.iter().enumerate().skip(i + 1) {
                if matches(tb.inside, p, t) {
                    p = t;
                } else {
                    end = j;
                    break;
                }
            }
            if matches(tb.end, toks[end - 1], toks[end]) {
                out.push(Span::new(i, end, tok.ty));
            }
            i = end;
        } else {
            i += 1;
        }
        prev = toks[i - 1];
    }
    Ok(out)
}

/// Which side of the comparison a bad tag is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The gold annotation.
    Gold,
    /// The predictions.
    Predicted,
}

/// Scores sentences strictly. Lengths must already agree.
///
/// # Errors
/// The sentence index, side and [`BadTag`] of the first unreadable tag.
pub fn score_sentences<S: AsRef<str>>(
    gold: &[Vec<S>],
    pred: &[Vec<S>],
    scheme: TagScheme,
) -> Result<Scores, (usize, Side, BadTag)> {
    let mut scores = Scores::default();
    for (k, (g, p)) in gold.iter().zip(pred).enumerate() {
        let ge = entities(g, scheme).map_err(|b| (k, Side::Gold, b))?;
        let pe = entities(p, scheme).map_err(|b| (k, Side::Predicted, b))?;
        let gset: HashSet<&Span> = ge.iter().collect();
        for e in &ge {
            scores.per_type.entry(e.label.clone()).or_default().gold += 1;
        }
        for e in &pe {
            let c = scores.per_type.entry(e.label.clone()).or_default();
            c.predicted += 1;
            if gset.contains(e) {
                c.correct += 1;
            }
        }
        scores.tokens += g.len();
        scores.correct_tags += g
            .iter()
            .zip(p)
            .filter(|(a, b)| a.as_ref() == b.as_ref())
            .count();
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn ents(s: &str, scheme: TagScheme) -> Vec<(usize, usize, String)> {
        entities(&v(s), scheme)
            .unwrap()
            .into_iter()
            .map(|e| (e.start, e.end, e.label))
            .collect()
    }

    #[test]
    fn iob2_strict_drops_entities_without_b() {
        // seqeval: Tokens(['I-PER','I-PER','O','B-LOC'], IOB2).entities == [('LOC', 3, 4)]
        assert_eq!(
            ents("I-PER I-PER O B-LOC", TagScheme::Iob2),
            [(3, 4, "LOC".into())]
        );
        // The docstring example of seqeval's Tokens.entities.
        assert_eq!(
            ents("B-PER I-PER O B-LOC", TagScheme::Iob2),
            [(0, 2, "PER".into()), (3, 4, "LOC".into())]
        );
        // A type change inside an entity ends it.
        assert_eq!(ents("B-PER I-LOC", TagScheme::Iob2), [(0, 1, "PER".into())]);
    }

    #[test]
    fn iobes_needs_an_end() {
        assert_eq!(
            ents("B-PER E-PER S-LOC O", TagScheme::Iobes),
            [(0, 2, "PER".into()), (2, 3, "LOC".into())]
        );
        // B without E: no entity.
        assert_eq!(ents("B-PER I-PER O", TagScheme::Iobes), []);
        assert_eq!(ents("U-X B-Y L-Y", TagScheme::Bilou).len(), 2);
    }

    #[test]
    fn iob1_starts_with_i() {
        assert_eq!(
            ents("I-PER I-PER B-PER O", TagScheme::Iob1),
            [(0, 2, "PER".into()), (2, 3, "PER".into())]
        );
    }

    #[test]
    fn invalid_prefix_is_an_error() {
        let e = entities(&v("O S-PER"), TagScheme::Iob2).unwrap_err();
        assert_eq!((e.position, e.tag.as_str()), (1, "S-PER"));
        let (k, side, _) = score_sentences(&[v("O")], &[v("E-X")], TagScheme::Iob2).unwrap_err();
        assert_eq!((k, side), (0, Side::Predicted));
    }

    #[test]
    fn strict_and_conlleval_agree_on_valid_iob2() {
        let gold = vec![v("B-PER I-PER O B-LOC B-LOC I-LOC O")];
        let pred = vec![v("B-PER O O B-LOC B-LOC I-LOC B-ORG")];
        let a = score_sentences(&gold, &pred, TagScheme::Iob2).unwrap();
        let b = crate::metrics::conlleval::score_sentences(&gold, &pred);
        assert_eq!(a, b);
    }
}
