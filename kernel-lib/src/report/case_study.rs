//! SeqMix Figure 5: one generated pair of sub-sequence mixup, shown word by word — the two
//! parents' windows with their tags, λ, the generated words with their mixed label
//! distributions, the language model's perplexity of each generated sentence and the
//! discriminator's verdict. The figure (`case.svg`) and the tables come from a real
//! generation on the real corpus with the real encoder table and language model.
//!
//! The paper's setting for the figure: window `s = 3`, valid-tag density `η₀ = 2/3`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::augment::seqmix::{CaseRecord, DiscriminatorConfig, SeqMix, SeqMixConfig, Variant};
use crate::data::{CorpusName, Subset, corpora};
use crate::error::{Error, Result};
use crate::files::write_atomic;
use crate::report::Provenance;
use crate::report::charts::{self, Figure};
use crate::train::TrainItem;

/// What to generate from.
#[derive(Debug, Clone)]
pub struct CaseStudy {
    /// Corpus whose training split gives the parents.
    pub corpus: CorpusName,
    /// The parents' batch (a subset of the training split).
    pub subset: Subset,
    /// SeqMix settings (Figure 5: sub-sequence, `s = 3`, `η₀ = 2/3`).
    pub config: SeqMixConfig,
    /// Seed of the generation.
    pub seed: u64,
    /// The encoder folder (its embedding table gives the generated words).
    pub encoder: PathBuf,
}

impl CaseStudy {
    /// SeqMix Figure 5's setting on CoNLL-2003: sub-sequence mixup with `s = 3`, `η₀ = 2/3`,
    /// the default `α = 8`, rate 1 over a batch of `batch` training sentences, the
    /// discriminator's percentile range calibrated on `calibration` training sentences.
    pub fn fig5(batch: usize, calibration: usize) -> CaseStudy {
        let config = SeqMixConfig {
            variant: Variant::Sub,
            window: 3,
            min_density: 2.0 / 3.0,
            rate: 1.0,
            discriminator: DiscriminatorConfig::Percentile {
                low: 0.0,
                high: 90.0,
                sample: calibration,
            },
            ..SeqMixConfig::default()
        };
        CaseStudy {
            corpus: CorpusName::Conll2003,
            subset: Subset::First(crate::data::subset::Amount::Count(batch)),
            config,
            seed: 1,
            encoder: corpora::data_dir().join("models/all-MiniLM-L6-v2"),
        }
    }

    /// Runs the generation on the CPU or `device`: the SeqMix augmenter (returned for its
    /// discriminator's bounds), what it generated, and the size of the parents' batch.
    ///
    /// # Errors
    /// Missing data or models, or a generation failure.
    pub fn generate(
        &self,
        device: &candle_core::Device,
    ) -> Result<(SeqMix, crate::augment::seqmix::Generation, usize)> {
        self.config.check()?;
        let corpus = corpora::load_corpus(self.corpus, &corpora::data_dir())?;
        let labels = corpus.vocab();
        let batch = corpus
            .train
            .subset(&self.subset)?
            .sentences
            .iter()
            .map(|s| TrainItem::from_sentence(s, &labels))
            .collect::<Result<Vec<_>>>()?;
        let reference = corpus
            .train
            .sentences
            .iter()
            .map(|s| s.tokens.join(" "))
            .collect();
        let mut seqmix = SeqMix::new(
            self.config.clone(),
            &self.encoder,
            labels,
            reference,
            None,
            device,
        )?
        .with_ppl_cache(corpora::data_dir().join("ppl"));
        let g = seqmix.generate(&batch, None, &mut crate::rng::seeded(self.seed))?;
        Ok((seqmix, g, batch.len()))
    }

    /// Generates on the CPU and picks the case to show: a pair whose two generated sentences
    /// got different verdicts (as in the paper's figure), else a pair with both scored, else
    /// the first candidate.
    ///
    /// # Errors
    /// Missing data or models, or a generation failure.
    pub fn run(&self) -> Result<CaseReport> {
        let (seqmix, g, batch) = self.generate(&candle_core::Device::Cpu)?;
        let bounds = seqmix.discriminator().bounds();
        let lm = seqmix.discriminator().lm_name().unwrap_or_default();
        let same_pair = |a: &CaseRecord, b: &CaseRecord| {
            a.parents == b.parents && a.windows == b.windows && a.lambda == b.lambda
        };
        let mut pairs: Vec<Vec<CaseRecord>> = Vec::new();
        for c in &g.cases {
            match pairs.iter_mut().find(|p| same_pair(&p[0], c)) {
                Some(p) => p.push(c.clone()),
                None => pairs.push(vec![c.clone()]),
            }
        }
        let scored = |p: &Vec<CaseRecord>| p.iter().all(|c| c.perplexity.is_some());
        let chosen = pairs
            .iter()
            .find(|p| {
                p.len() == 2
                    && scored(p)
                    && p.iter().any(|c| c.accepted)
                    && p.iter().any(|c| !c.accepted)
            })
            .or_else(|| pairs.iter().find(|p| p.len() == 2 && scored(p)))
            .or_else(|| pairs.first())
            .cloned()
            .ok_or_else(|| {
                Error::Model(format!(
                    "no candidate generated from {batch} sentences: use a larger batch"
                ))
            })?;
        Ok(CaseReport {
            cases: chosen,
            all: g.cases,
            accepted: g.stats.accepted,
            target: g.stats.target,
            bounds,
            lm,
            config: self.config.clone(),
            batch,
        })
    }
}

/// The chosen pair and the generation it came from.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The generated sentences of one parent pair (one per frame).
    pub cases: Vec<CaseRecord>,
    /// Every candidate of the generation.
    pub all: Vec<CaseRecord>,
    /// Sentences accepted in the whole generation.
    pub accepted: usize,
    /// Sentences wanted.
    pub target: usize,
    /// The discriminator's perplexity bounds.
    pub bounds: Option<(f64, f64)>,
    /// The language model.
    pub lm: String,
    /// The settings.
    pub config: SeqMixConfig,
    /// Parents' batch size.
    pub batch: usize,
}

fn soft(c: &CaseRecord, k: usize) -> String {
    c.soft_labels.get(k).map_or(String::new(), |m| {
        let mut v: Vec<(&String, &f32)> = m.iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(a.1));
        v.iter()
            .map(|(t, p)| format!("{t} {p:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Markdown table (pipes; `\|` inside a cell) as an HTML table.
fn html_table(md: &str) -> String {
    let mut h = String::from("<table>\n");
    for (i, line) in md.lines().filter(|l| l.starts_with('|')).enumerate() {
        if i == 1 {
            continue;
        }
        let tag = if i == 0 { "th" } else { "td" };
        h.push_str("<tr>");
        let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
        for cell in inner.replace("\\|", "\u{1}").split('|') {
            let _ = write!(
                h,
                "<{tag}>{}</{tag}>",
                esc(cell.trim()).replace('\u{1}', "|")
            );
        }
        h.push_str("</tr>\n");
    }
    h + "</table>\n"
}

/// The words and tags of parent `p`'s mixed window.
fn parent_window(c: &CaseRecord, p: usize) -> Vec<(String, String)> {
    (0..c.len)
        .map(|k| {
            let i = c.windows[p] + k;
            (
                c.parents[p].get(i).cloned().unwrap_or_default(),
                c.parent_tags[p].get(i).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

impl CaseReport {
    /// The tables and the figure as HTML.
    ///
    /// # Errors
    /// A drawing failure.
    pub fn html_body(&self) -> Result<String> {
        Ok(format!(
            "{}{}<figure>{}</figure>\n",
            html_table(&self.window_table()),
            html_table(&self.sentences_table()),
            self.svg()?
        ))
    }

    /// evcxr's rich display: the tables and the figure.
    pub fn evcxr_display(&self) {
        match self.html_body() {
            Ok(h) => println!("EVCXR_BEGIN_CONTENT text/html\n{h}\nEVCXR_END_CONTENT"),
            Err(e) => println!("{e}"),
        }
    }

    /// The word-by-word table of the mixed window: parents' words and tags, the generated
    /// word, its label distribution and dominant tag.
    pub fn window_table(&self) -> String {
        let mut md = String::from(
            "| position | parent 1 (word / tag) | parent 2 (word / tag) | generated word | mixed label (λ · parent 1 + (1 − λ) · parent 2) | tag kept |\n|---:|---|---|---|---|---|\n",
        );
        let Some(c) = self.cases.first() else {
            return md;
        };
        let start = c.windows[c.frame];
        let (a, b) = (parent_window(c, 0), parent_window(c, 1));
        for (k, ((wa, ta), (wb, tb))) in a.iter().zip(&b).enumerate() {
            let _ = writeln!(
                md,
                "| {} | {wa} / {ta} | {wb} / {tb} | {} | {} | {} |",
                k + 1,
                c.tokens.get(start + k).map_or("–", String::as_str),
                soft(c, start + k),
                c.tags.get(start + k).map_or("", String::as_str)
            );
        }
        md
    }

    /// The generated sentences with their perplexity and verdict.
    pub fn sentences_table(&self) -> String {
        let mut md = String::from(
            "| generated sentence (frame of parent) | words | perplexity | verdict |\n|---|---|---:|---|\n",
        );
        for c in &self.cases {
            let verdict = if c.accepted {
                "accepted".to_string()
            } else {
                format!("rejected: {}", c.rejected.clone().unwrap_or_default())
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {verdict} |",
                c.frame + 1,
                c.tokens.join(" ").replace('|', "\\|"),
                c.perplexity.map_or("–".into(), |p| format!("{p:.0}"))
            );
        }
        md
    }

    /// Writes `out/{index.md, index.html, case.svg, case.png, cases.jsonl, config.json}`.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn write(&self, title: &str, scale: &str, out: &Path) -> Result<()> {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        let svg = self.svg()?;
        write_atomic(&out.join("case.svg"), svg.as_bytes())?;
        self.write_png(&out.join("case.png"))?;
        let mut jsonl = String::new();
        for c in &self.all {
            jsonl.push_str(&serde_json::to_string(c).map_err(|e| Error::Model(e.to_string()))?);
            jsonl.push('\n');
        }
        write_atomic(&out.join("cases.jsonl"), jsonl.as_bytes())?;
        let cfg =
            serde_json::to_string_pretty(&self.config).map_err(|e| Error::Model(e.to_string()))?;
        write_atomic(&out.join("config.json"), cfg.as_bytes())?;
        let prov = Provenance::collect();
        let c = self.cases.first();
        let parents = c.map_or(String::new(), |c| {
            format!(
                "Parent 1: `{}`\n\nParent 2: `{}`\n\n",
                c.parents[0].join(" "),
                c.parents[1].join(" ")
            )
        });
        let bounds = self.bounds.map_or("not calibrated".into(), |(a, b)| {
            format!("({a:.0}, {b:.0})")
        });
        let summary = format!(
            "Scale: **{scale}**. Data: CoNLL-2003 training split, a batch of {} sentences. Settings: sub-sequence mixup, s = {}, η₀ = {:.2}, α = {}, λ = {:.2} for this pair. Discriminator: {} perplexity within {bounds} ({}). This generation accepted {} of {} wanted sentences; every candidate is in `cases.jsonl`.\n\nThe paper's Figure 5 (GPT-2, range (0, 500)) shows a rejected sentence at perplexity 877 and an accepted one at 332; ours are measured with a different language model, so compare the verdicts, not the values.",
            self.batch,
            self.config.window,
            self.config.min_density,
            self.config.alpha,
            c.map_or(f64::NAN, |c| c.lambda),
            self.lm,
            self.config.discriminator.label(),
            self.accepted,
            self.target,
        );
        let md = format!(
            "# {title}\n\n{summary}\n\n{parents}{}\n{}\n![the generated pair](case.svg)\n\n{}",
            self.window_table(),
            self.sentences_table(),
            prov.to_markdown()
        );
        write_atomic(&out.join("index.md"), md.as_bytes())?;
        let html = format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:2px 8px}}</style></head><body>\n<h1>{t}</h1>\n<p>{}</p>\n<pre>{}</pre>\n{}<pre>{}</pre>\n</body></html>\n",
            esc(&summary),
            esc(&parents),
            self.html_body()?,
            esc(&prov.to_markdown()),
            t = esc(title)
        );
        write_atomic(&out.join("index.html"), html.as_bytes())
    }
}

/// The figure: the two parents' windows, λ and the generated window, with tags and the
/// perplexity verdicts.
impl Figure for CaseReport {
    fn size(&self) -> (u32, u32) {
        (860, 300)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()> {
        self.draw_text(root, false)
    }

    /// The PNG writes the generated words that the embedded font lacks (a rare script the
    /// nearest-token search often picks) as `U+XXXX`, and says so under the figure; the SVG
    /// keeps them for the viewer's fonts.
    fn write_png(&self, path: &Path) -> Result<()> {
        charts::write_png_with(path, self.size(), |root| self.draw_text(root, true))
    }
}

impl CaseReport {
    /// Draws the figure; `bitmap`: the words through [`charts::bitmap_text`].
    fn draw_text<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, plotters::coord::Shift>,
        bitmap: bool,
    ) -> Result<()> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| Error::Model(format!("chart: {e}"));
        let mut replaced = false;
        let mut text = |s: &str| {
            if !bitmap {
                return s.to_string();
            }
            let (t, r) = charts::bitmap_text(s);
            replaced |= r;
            t
        };
        charts::register();
        root.fill(&WHITE).map_err(err)?;
        let Some(c) = self.cases.first() else {
            return root.present().map_err(err);
        };
        let font = ("sans-serif", 15).into_font();
        let small = ("sans-serif", 12).into_font();
        let title = format!(
            "SeqMix Fig. 5 (CoNLL-03): sub-sequence mixup, s = {}, λ = {:.2}",
            c.len, c.lambda
        );
        root.draw(&Text::new(title, (12, 10), ("sans-serif", 17).into_font()))
            .map_err(err)?;
        let generated = (0..c.len)
            .map(|k| {
                let i = c.windows[c.frame] + k;
                (c.tokens.get(i).cloned().unwrap_or_default(), soft(c, i))
            })
            .collect();
        let rows: [(&str, Vec<(String, String)>); 3] = [
            ("parent 1", parent_window(c, 0)),
            ("parent 2", parent_window(c, 1)),
            ("generated", generated),
        ];
        let col = 230;
        for (r, (name, cells)) in rows.iter().enumerate() {
            let y = 50 + 62 * r as i32;
            root.draw(&Text::new(name.to_string(), (12, y + 12), font.clone()))
                .map_err(err)?;
            for (k, (word, tag)) in cells.iter().enumerate() {
                let x = 110 + col * k as i32;
                let fill = if r == 2 {
                    RGBColor(255, 235, 205)
                } else {
                    RGBColor(225, 238, 250)
                };
                root.draw(&Rectangle::new(
                    [(x, y), (x + col - 12, y + 50)],
                    fill.filled(),
                ))
                .map_err(err)?;
                root.draw(&Text::new(text(word), (x + 8, y + 6), font.clone()))
                    .map_err(err)?;
                root.draw(&Text::new(tag.clone(), (x + 8, y + 29), small.clone()))
                    .map_err(err)?;
            }
        }
        let ppl: Vec<String> = self
            .cases
            .iter()
            .map(|x| {
                format!(
                    "sentence {}: PPL {} ({})",
                    x.frame + 1,
                    x.perplexity.map_or("–".into(), |p| format!("{p:.0}")),
                    if x.accepted { "accepted" } else { "rejected" }
                )
            })
            .collect();
        root.draw(&Text::new(
            format!("{}; {}", self.lm, ppl.join("; ")),
            (12, 250),
            small.clone(),
        ))
        .map_err(err)?;
        if replaced {
            root.draw(&Text::new(
                "U+XXXX: a character this PNG's font lacks (the SVG shows it)".to_string(),
                (12, 270),
                small.clone(),
            ))
            .map_err(err)?;
        }
        root.present().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(generated: &str) -> CaseReport {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let case = CaseRecord {
            variant: Variant::Sub,
            parents: [
                words(&["EU", "rejects", "."]),
                words(&["Prime", "Minister", "."]),
            ],
            parent_tags: [words(&["B-ORG", "O", "O"]), words(&["O", "O", "O"])],
            windows: [0, 0],
            len: 2,
            lambda: 0.4,
            frame: 0,
            tokens: words(&["Ministers", generated, "."]),
            soft_labels: Vec::new(),
            tags: words(&["O", "O", "O"]),
            repaired: 0,
            perplexity: Some(300.0),
            accepted: true,
            rejected: None,
        };
        CaseReport {
            cases: vec![case.clone()],
            all: vec![case],
            accepted: 1,
            target: 1,
            bounds: None,
            lm: "lm".into(),
            config: SeqMixConfig::default(),
            batch: 2,
        }
    }

    fn drawn(r: &CaseReport, bitmap: bool) -> String {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, r.size()).into_drawing_area();
            r.draw_text(root, bitmap).unwrap();
        }
        svg
    }

    #[test]
    fn png_text_spells_out_characters_the_font_lacks() {
        let tamil = report("ல");
        // The SVG keeps the word for the viewer's fonts.
        let svg = tamil.svg().unwrap();
        assert!(svg.contains("ல") && !svg.contains("U+0BB2"));
        // The PNG's text names its code point and says why.
        let png_text = drawn(&tamil, true);
        assert!(png_text.contains("U+0BB2") && !png_text.contains("ல"));
        assert!(png_text.contains("lacks"));
        // Words the font has are drawn as they are, without the note.
        let latin = drawn(&report("Costas"), true);
        assert!(latin.contains("Costas") && !latin.contains("lacks"));
        // The PNG file itself is written.
        let dir = tempfile::tempdir().unwrap();
        tamil.write_png(&dir.path().join("case.png")).unwrap();
        assert!(
            std::fs::metadata(dir.path().join("case.png"))
                .unwrap()
                .len()
                > 1000
        );
    }
}
