//! The real corpora, when fetched (CI fetches them first; locally they are skipped with a note).

mod common;

use seqlab::data::corpora::{CorpusName, load_corpus};
use seqlab::data::stats::CorpusStats;
use seqlab::data::{Corpus, Split, Subset, TagScheme};

fn corpus(name: CorpusName) -> Option<Corpus> {
    for rel in name.files() {
        common::cached(rel)?;
    }
    Some(load_corpus(name, &seqlab::data::data_dir()).unwrap())
}

#[test]
fn conll2003_has_the_standard_counts() {
    let Some(c) = corpus(CorpusName::Conll2003) else {
        return;
    };
    let s = CorpusStats::of(&c);
    assert_eq!(s.scheme, Some(TagScheme::Iob2));
    assert_eq!(s.types, ["LOC", "MISC", "ORG", "PER"]);
    let rows: Vec<_> = s
        .splits
        .iter()
        .map(|r| (r.documents, r.sentences, r.tokens, r.entities))
        .collect();
    assert_eq!(
        rows,
        [
            (946, 14_041, 203_621, 23_499),
            (216, 3_250, 51_362, 5_942),
            (231, 3_453, 46_435, 5_648),
        ]
    );
    let train = &s.splits[0].per_type;
    assert_eq!(
        (train["PER"], train["LOC"], train["ORG"], train["MISC"]),
        (6_600, 7_140, 6_321, 3_438)
    );
    assert_eq!(c.vocab().len(), 9);
    assert_eq!(c.info.repaired_tags, 0);
    assert_eq!(c.info.files.len(), 3);
    assert_eq!(
        c.info.files[0].1,
        "213953b5522fb7924802d883e50f027b2c6ffb5d4d0e63368ed82909f9b60423"
    );
    // LADA's 5 % is the first 700 training sentences.
    let first = c
        .train
        .subset(&"first:700".parse::<Subset>().unwrap())
        .unwrap();
    assert_eq!(first.len(), 700);
    assert_eq!(
        first.sentences[0].tokens.join(" "),
        "EU rejects German call to boycott British lamb ."
    );
}

#[test]
fn estner_split_is_by_document_and_complete() {
    let Some(c) = corpus(CorpusName::Estner) else {
        return;
    };
    let s = CorpusStats::of(&c);
    let total = |f: fn(&seqlab::data::stats::SplitStats) -> usize| -> usize {
        s.splits.iter().map(f).sum()
    };
    assert_eq!(total(|r| r.sentences), 13_627);
    assert_eq!(total(|r| r.tokens), 218_325);
    assert_eq!(total(|r| r.documents), 572);
    assert_eq!(
        s.splits.iter().map(|r| r.documents).collect::<Vec<_>>(),
        [457, 57, 58]
    );
    assert_eq!(s.types, ["LOC", "ORG", "PER"]);
    // The 8 stray I- tags after O in the corpus, read as entity starts.
    assert_eq!(c.info.repaired_tags, 8);
    // No document is in two splits.
    let docs = |split: Split| -> std::collections::BTreeSet<usize> {
        c.split(split).sentences.iter().map(|x| x.doc).collect()
    };
    assert!(docs(Split::Train).is_disjoint(&docs(Split::Dev)));
    assert!(docs(Split::Train).is_disjoint(&docs(Split::Test)));
    assert!(docs(Split::Dev).is_disjoint(&docs(Split::Test)));
    // The split is the same on every load.
    let again = load_corpus(CorpusName::Estner, &seqlab::data::data_dir()).unwrap();
    assert_eq!(again.test.sentences, c.test.sentences);
}

#[test]
fn wnut16_train_file_is_split_80_10_10() {
    let Some(c) = corpus(CorpusName::Wnut16) else {
        return;
    };
    let s = CorpusStats::of(&c);
    assert_eq!(
        s.splits.iter().map(|r| r.sentences).collect::<Vec<_>>(),
        [1_915, 239, 240]
    );
    assert_eq!(s.splits.iter().map(|r| r.tokens).sum::<usize>(), 46_469);
    assert_eq!(s.splits.iter().map(|r| r.entities).sum::<usize>(), 1_496);
    assert_eq!(s.types.len(), 10);
    assert!(s.types.contains(&"geo-loc".to_string()));
}

#[test]
fn wordnet_paraphrases_by_conll_pos_replace_only_base_forms_of_open_classes() {
    let Some(c) = corpus(CorpusName::Conll2003) else {
        return;
    };
    if common::cached("wordnet/index.noun").is_none() {
        return;
    }
    use seqlab::augment::lada::Paraphraser;
    use seqlab::augment::lada::semi::WordNetParaphraser;
    use seqlab::data::wordnet::{WordNet, penn_part};
    let wn = WordNet::load(&seqlab::data::data_dir().join("wordnet")).unwrap();
    let sentences = &c.train.sentences[..2000];
    let ids: Vec<usize> = (0..sentences.len()).collect();
    let words: Vec<Vec<String>> = sentences.iter().map(|s| s.tokens.clone()).collect();
    let columns: Vec<Vec<Vec<String>>> = sentences.iter().map(|s| s.extra.clone()).collect();
    let by_pos = WordNetParaphraser::new(wn.clone(), 1.0)
        .with_pos_column(0)
        .paraphrase(&ids, &words, &columns, &mut seqlab::rng::seeded(1))
        .unwrap();
    let plain = WordNetParaphraser::new(wn, 1.0)
        .paraphrase(&ids, &words, &[], &mut seqlab::rng::seeded(1))
        .unwrap();
    let (mut changed, mut changed_plain, mut closed_plain) = (0, 0, 0);
    for (s, sentence) in sentences.iter().enumerate() {
        for (w, word) in sentence.tokens.iter().enumerate() {
            let tag = &sentence.extra[w][0];
            if by_pos[s][w] != *word {
                changed += 1;
                // Only words tagged NN, VB, VBP, JJ or RB change.
                assert!(penn_part(tag).is_some(), "{word}/{tag} → {}", by_pos[s][w]);
            }
            if plain[s][w] != *word {
                changed_plain += 1;
                closed_plain += usize::from(penn_part(tag).is_none());
            }
        }
    }
    // Both replace hundreds of words; without tags some of them are not open-class base
    // forms (prepositions such as "near", particles, tagged inflections).
    assert!(
        changed > 500 && changed_plain > 500,
        "{changed} {changed_plain}"
    );
    assert!(closed_plain > 0, "{closed_plain}");
}
