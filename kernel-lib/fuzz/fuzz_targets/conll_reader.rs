//! Any bytes through the CoNLL column reader (and the eval-file and plain-text readers): no
//! panic, and whatever reads successfully writes back and reads again to the same sentences.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seqlab::data::conll::{self, Column, Delimiter, WriteOptions};
use seqlab::data::scheme::{Repair, TagScheme};
use seqlab::data::{ConllFormat, text};
use seqlab::metrics::conlleval::{EvalFormat, parse_eval};

fuzz_target!(|data: &[u8]| {
    // The first byte picks reader options; the rest is the file.
    let Some((&knobs, body)) = data.split_first() else {
        return;
    };
    let format = ConllFormat {
        delimiter: if knobs & 1 == 0 {
            Delimiter::Whitespace
        } else {
            Delimiter::Char('\t')
        },
        repair: match (knobs >> 1) % 3 {
            0 => Repair::Error,
            1 => Repair::Begin,
            _ => Repair::Outside,
        },
        scheme: match (knobs >> 3) % 5 {
            0 => None,
            1 => Some(TagScheme::Iob1),
            2 => Some(TagScheme::Iob2),
            3 => Some(TagScheme::Iobes),
            _ => Some(TagScheme::Bilou),
        },
        docstart: knobs & 0x40 == 0,
        tag_column: if knobs & 0x80 == 0 {
            Some(Column::Last)
        } else {
            Some(Column::Index(1))
        },
        max_line_bytes: 4096,
        ..ConllFormat::default()
    };
    if let Ok(d) = conll::parse(body, "fuzz", &format) {
        assert!(!d.is_empty());
        for s in &d.sentences {
            assert!(!s.tokens.is_empty());
            assert_eq!(s.tokens.len(), s.tags.len());
        }
        // Round trip through the writer (tab-separated, so tokens may hold spaces).
        let opts = WriteOptions {
            delimiter: '\t',
            docstart: true,
        };
        if let Ok(written) = conll::to_string(&d, opts) {
            let again = ConllFormat {
                delimiter: Delimiter::Char('\t'),
                scheme: d.scheme,
                ..ConllFormat::default()
            };
            let back =
                conll::parse_str(&written, "again", &again).expect("written data reads back");
            let toks = |x: &seqlab::data::Dataset| -> Vec<Vec<String>> {
                x.sentences.iter().map(|s| s.tokens.clone()).collect()
            };
            assert_eq!(toks(&back), toks(&d));
            let tags = |x: &seqlab::data::Dataset| -> Vec<Vec<String>> {
                x.sentences.iter().map(|s| s.tags.clone()).collect()
            };
            assert_eq!(tags(&back), tags(&d));
        }
    }
    let _ = parse_eval(body, "fuzz", &EvalFormat::default());
    let _ = text::parse(body, "fuzz");
});
