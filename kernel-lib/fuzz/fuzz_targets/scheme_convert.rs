//! Arbitrary tag sequences through the scheme code: detection, validation, repair and
//! conversion never panic; conversion keeps the entity spans; repaired and converted
//! sequences are valid; strict and conlleval scoring agree on valid IOB2.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seqlab::data::scheme::{self, Repair, TagScheme};
use seqlab::metrics::{Mode, score};

const TAGS: &[&str] = &[
    "O",
    "B-PER",
    "I-PER",
    "E-PER",
    "S-PER",
    "L-PER",
    "U-PER",
    "B-LOC",
    "I-LOC",
    "E-LOC",
    "S-LOC",
    "B-geo-loc",
    "I-geo-loc",
    "B",
    "X-PER",
    "I-",
    "",
];

fuzz_target!(|data: &[u8]| {
    let tags: Vec<&str> = data
        .iter()
        .map(|b| TAGS[*b as usize % TAGS.len()])
        .collect();
    let _ = scheme::detect([tags.as_slice()]);
    let spans = scheme::spans(&tags);
    for to in TagScheme::ALL {
        let converted = scheme::convert(&tags, to);
        assert_eq!(converted.len(), tags.len());
        assert_eq!(
            scheme::spans(&converted),
            spans,
            "{to}: {tags:?} -> {converted:?}"
        );
        assert!(
            scheme::violations(&converted, to).is_empty(),
            "{to}: {converted:?}"
        );
        for policy in [Repair::Error, Repair::Begin, Repair::Outside] {
            if let Ok((fixed, _)) = scheme::repair(&tags, to, policy) {
                assert!(
                    scheme::violations(&fixed, to).is_empty(),
                    "{to} {policy}: {fixed:?}"
                );
            }
        }
    }
    let iob2 = scheme::convert(&tags, TagScheme::Iob2);
    let gold = vec![iob2.clone()];
    // A different valid IOB2 sequence: the first half converted on its own, then the rest.
    let glued: Vec<String> = scheme::convert(&tags[..tags.len() / 2], TagScheme::Iob2)
        .into_iter()
        .chain(iob2[tags.len() / 2..].iter().cloned())
        .collect();
    let pred = vec![scheme::convert(&glued, TagScheme::Iob2)];
    let a = score(&gold, &pred, Mode::Conlleval).unwrap();
    let b = score(&gold, &pred, Mode::Strict(TagScheme::Iob2)).unwrap();
    assert_eq!(a, b);
});
