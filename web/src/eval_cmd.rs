//! `assistant-parquet eval`: the whole pipeline over a corpus with gold files, judged item by item.
//!
//! The team needs one number to know whether a change made things better, and the rows behind
//! it to see why. For each dossier folder holding a `gold.json` (see `datasets/README.md`) this
//! reads the PDFs (`Ingestor`, text layer or OCR), builds the `DossierText`, detects offences,
//! answers the questions, and judges each gold question with `ap_datasets::score` (the one scorer
//! of the project). It writes `items.parquet` (one row per dossier × gold question) and
//! `summary.json` (per category, per question, native vs scanned, offence F1), prints the summary
//! as a table, and with `--compare OTHER` prints what changed since another run.
//!
//! An item is *native* or *scanned* by the pages its gold evidence is on (any scanned page makes
//! it scanned); an item without evidence (gold `not_found`) takes its dossier's mode (scanned when
//! any page of the dossier is). `latency_ms` is the time the dossier took from PDF bytes to
//! answers (reading, offences, answers), the same for every item of a dossier.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ap_datasets::gold::{Gold, Mode, Status};
use ap_datasets::score::{ScoredAnswer, score_dossier};
use ap_export::arrow::array::{Array, BooleanArray, StringArray};
use ap_export::arrow::datatypes::{DataType, Field, Schema};
use ap_export::TableWriter;
use ap_operators::answer::answer_questions;
use ap_operators::domain::Domain;
use ap_operators::dossier::DossierText;
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::offence::detect;
use serde::{Deserialize, Serialize};

/// Flags of `eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Corpus folder: one sub-folder per dossier, each with its PDFs and gold.json. Without it,
    /// `--out` is an existing run, compared with `--compare`.
    #[arg(long, required_unless_present = "compare")]
    pub corpus: Option<PathBuf>,
    /// Folder receiving items.parquet and summary.json (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// Another run's output folder: print the differences with it.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Folder holding libpdfium.so (default: the project's .deps/lib).
    #[arg(long, env = "ASSISTANT_PARQUET_LIB_DIR")]
    pub lib_dir: Option<PathBuf>,
}

/// One judged item: a gold question of a dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub dossier: String,
    pub question: String,
    /// Offence category the question serves; `commun` for the common questions.
    pub category: String,
    /// `native` or `scanned` (see the module doc).
    pub mode: String,
    pub gold_status: String,
    /// Output status; null when the question was not answered at all.
    pub status: Option<String>,
    /// Gold value (JSON text), null unless found.
    pub expected: Option<String>,
    /// Output value (JSON text).
    pub got: Option<String>,
    pub correct: bool,
    pub citations: u32,
    pub citations_overlapping: u32,
    /// `citations_overlapping / citations`; null without citations.
    pub citation_overlap: Option<f64>,
    pub latency_ms: f64,
}

/// Figures of a group of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub items: u32,
    pub correct: u32,
    pub accuracy: f64,
    pub citations: u32,
    pub citations_overlapping: u32,
    /// Null when the group has no citation.
    pub citation_overlap: Option<f64>,
}

impl Figures {
    fn of<'a>(items: impl IntoIterator<Item = &'a Item>) -> Self {
        let mut f = Figures::default();
        for i in items {
            f.items += 1;
            f.correct += u32::from(i.correct);
            f.citations += i.citations;
            f.citations_overlapping += i.citations_overlapping;
        }
        f.accuracy = if f.items == 0 { 0.0 } else { f64::from(f.correct) / f64::from(f.items) };
        f.citation_overlap = (f.citations > 0).then(|| f64::from(f.citations_overlapping) / f64::from(f.citations));
        f
    }
}

/// Offence detection figures over the corpus (micro-averaged).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OffenceFigures {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
    pub f1: f64,
}

/// What `summary.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub dossiers: u32,
    pub overall: Figures,
    pub by_category: BTreeMap<String, Figures>,
    pub by_question: BTreeMap<String, Figures>,
    pub by_mode: BTreeMap<String, Figures>,
    pub offences: OffenceFigures,
    /// Mean of the dossiers' pipeline times, ms.
    pub mean_dossier_ms: f64,
}

/// The summary of a set of items (offence figures are added by the caller).
pub fn summarize(items: &[Item]) -> Summary {
    let group = |key: &dyn Fn(&Item) -> String| {
        let mut groups: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
        for i in items {
            groups.entry(key(i)).or_default().push(i);
        }
        groups.into_iter().map(|(k, v)| (k, Figures::of(v))).collect::<BTreeMap<_, _>>()
    };
    let mut dossier_ms: BTreeMap<&str, f64> = BTreeMap::new();
    for i in items {
        dossier_ms.insert(&i.dossier, i.latency_ms);
    }
    Summary {
        dossiers: dossier_ms.len() as u32,
        overall: Figures::of(items),
        by_category: group(&|i| i.category.clone()),
        by_question: group(&|i| i.question.clone()),
        by_mode: group(&|i| i.mode.clone()),
        offences: OffenceFigures::default(),
        mean_dossier_ms: if dossier_ms.is_empty() { 0.0 } else { dossier_ms.values().sum::<f64>() / dossier_ms.len() as f64 },
    }
}

fn status_id(s: Status) -> String {
    match s {
        Status::Found => "found",
        Status::NotFound => "not_found",
        Status::Conflicting => "conflicting",
    }
    .to_string()
}

fn items_schema() -> Arc<Schema> {
    let s = |n: &str, nullable: bool| Field::new(n, DataType::Utf8, nullable);
    let metadata = std::collections::HashMap::from([
        ("assistant_parquet.schema_version".to_string(), ap_export::SCHEMA_VERSION.to_string()),
        ("assistant_parquet.table".to_string(), "eval_items".to_string()),
    ]);
    Arc::new(Schema::new_with_metadata(
        vec![
            s("dossier", false),
            s("question", false),
            s("category", false),
            s("mode", false),
            s("gold_status", false),
            s("status", true),
            s("expected", true),
            s("got", true),
            Field::new("correct", DataType::Boolean, false),
            Field::new("citations", DataType::UInt32, false),
            Field::new("citations_overlapping", DataType::UInt32, false),
            Field::new("citation_overlap", DataType::Float64, true),
            Field::new("latency_ms", DataType::Float64, false),
        ],
        metadata,
    ))
}

/// Evaluate one dossier folder: its items and offence counts (tp, fp, fn).
fn eval_dossier(ingestor: &Ingestor<'_>, dir: &Path) -> Result<(Vec<Item>, (u32, u32, u32))> {
    let gold: Gold = serde_json::from_slice(&std::fs::read(dir.join("gold.json"))?)
        .with_context(|| format!("gold.json illisible dans {}", dir.display()))?;
    let start = Instant::now();
    let mut documents = Vec::new();
    for doc in &gold.documents {
        let bytes = std::fs::read(dir.join(&doc.file)).with_context(|| format!("lecture de {}", dir.join(&doc.file).display()))?;
        documents.push(ingestor.ingest_file(&doc.id, &doc.file, &bytes).with_context(|| format!("lecture de {}", doc.file))?);
    }
    let text = DossierText::from_documents(&documents);
    let domain = Domain::get();
    let offences = detect(&text, domain);
    let answers = answer_questions(&text, &offences, domain);
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;

    let scored: Vec<ScoredAnswer> = answers.iter().map(ScoredAnswer::from).collect();
    let categories: Vec<String> = offences.iter().map(|o| o.category.clone()).collect();
    let score = score_dossier(&gold, &categories, &scored);

    let scanned_page = |document: &str, page: usize| {
        gold.documents.iter().any(|d| d.id == document && d.pages.iter().any(|p| p.number == page && p.mode == Mode::Scanned))
    };
    let dossier_scanned = gold.documents.iter().any(|d| d.pages.iter().any(|p| p.mode == Mode::Scanned));
    let mut items = Vec::new();
    for q in &score.questions {
        let qg = gold.questions.iter().find(|g| g.id == q.question).expect("scored questions come from the gold");
        let mut evidence: Vec<(&str, usize)> = qg.evidence.iter().map(|e| (e.document.as_str(), e.page)).collect();
        for v in qg.versions.iter().flatten() {
            evidence.extend(v.evidence.iter().map(|e| (e.document.as_str(), e.page)));
        }
        let scanned = if evidence.is_empty() { dossier_scanned } else { evidence.iter().any(|(d, p)| scanned_page(d, *p)) };
        let c = &q.counts;
        let correct = c.found_correct + c.not_found_agreed + c.conflicts_flagged > 0;
        items.push(Item {
            dossier: gold.dossier.clone(),
            question: q.question.clone(),
            category: q.category.clone().unwrap_or_else(|| "commun".into()),
            mode: if scanned { "scanned" } else { "native" }.into(),
            gold_status: status_id(q.gold_status),
            status: q.status.map(status_id),
            expected: (!q.gold_value.is_null()).then(|| q.gold_value.to_string()),
            got: q.value.as_ref().map(|v| v.to_string()),
            correct,
            citations: c.citations,
            citations_overlapping: c.citations_overlapping,
            citation_overlap: (c.citations > 0).then(|| f64::from(c.citations_overlapping) / f64::from(c.citations)),
            latency_ms,
        });
    }
    let t = score.offence_totals();
    Ok((items, (t.tp, t.fp, t.fn_)))
}

/// `eval`: run, write, print; compare when asked.
pub fn eval(args: EvalArgs) -> Result<()> {
    let Some(corpus) = &args.corpus else {
        let other = args.compare.as_ref().expect("clap requires --compare without --corpus");
        print!("{}", compare(other, &args.out)?);
        return Ok(());
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus)
        .with_context(|| format!("corpus introuvable : {}", corpus.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("gold.json").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        bail!("aucun dossier avec gold.json dans {}", corpus.display());
    }
    let pdfium = NativeLibs::new(args.lib_dir.as_deref()).pdfium().context("chargement de pdfium")?;
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    std::fs::create_dir_all(&args.out).with_context(|| format!("création de {}", args.out.display()))?;

    let mut writer = TableWriter::with_schema(&args.out.join("items.parquet"), "eval_items", items_schema())?;
    let mut all = Vec::new();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for dir in &dirs {
        let (items, counts) = eval_dossier(&ingestor, dir)?;
        eprintln!("évalué : {} ({} questions)", dir.display(), items.len());
        for item in &items {
            writer.push(item)?;
        }
        tp += counts.0;
        fp += counts.1;
        fn_ += counts.2;
        all.extend(items);
    }
    writer.finish()?;
    let mut summary = summarize(&all);
    let denom = 2 * tp + fp + fn_;
    summary.offences = OffenceFigures { tp, fp, fn_, f1: if denom == 0 { 1.0 } else { f64::from(2 * tp) / f64::from(denom) } };
    std::fs::write(args.out.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    print!("{}", render(&summary));

    if let Some(other) = &args.compare {
        print!("{}", compare(other, &args.out)?);
    }
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:5.1} %", x * 100.0)
}

fn row(name: &str, f: &Figures) -> String {
    let overlap = f.citation_overlap.map_or_else(|| "    –  ".to_string(), pct);
    format!("{name:<34} {:>6} {:>7} {} {}\n", f.items, f.correct, pct(f.accuracy), overlap)
}

/// The summary as a text table.
pub fn render(s: &Summary) -> String {
    let mut out = format!("{:<34} {:>6} {:>7} {:>7} {:>7}\n", "groupe", "items", "justes", "exact.", "citat.");
    out += &row("ensemble", &s.overall);
    out += "-- par catégorie\n";
    for (k, f) in &s.by_category {
        out += &row(k, f);
    }
    out += "-- natif / scanné\n";
    for (k, f) in &s.by_mode {
        out += &row(k, f);
    }
    out += "-- par question\n";
    for (k, f) in &s.by_question {
        out += &row(k, f);
    }
    out += &format!(
        "infractions : F1 {} (vp {}, fp {}, fn {}) ; {} dossiers, {:.0} ms par dossier\n",
        pct(s.offences.f1),
        s.offences.tp,
        s.offences.fp,
        s.offences.fn_,
        s.dossiers,
        s.mean_dossier_ms
    );
    out
}

/// Read the (dossier, question) → correct map of a run's items.parquet.
pub fn read_correct(path: &Path) -> Result<BTreeMap<(String, String), bool>> {
    let file = std::fs::File::open(path).with_context(|| format!("lecture de {}", path.display()))?;
    let reader = ap_export::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut out = BTreeMap::new();
    for batch in reader {
        let batch = batch?;
        let col = |name: &str| batch.column_by_name(name).with_context(|| format!("colonne {name} absente de {}", path.display()));
        let dossier = col("dossier")?.as_any().downcast_ref::<StringArray>().context("colonne dossier")?.clone();
        let question = col("question")?.as_any().downcast_ref::<StringArray>().context("colonne question")?.clone();
        let correct = col("correct")?.as_any().downcast_ref::<BooleanArray>().context("colonne correct")?.clone();
        for i in 0..batch.num_rows() {
            out.insert((dossier.value(i).to_string(), question.value(i).to_string()), !correct.is_null(i) && correct.value(i));
        }
    }
    Ok(out)
}

/// The differences between run `before` and run `after` (folders holding summary.json and items.parquet).
pub fn compare(before: &Path, after: &Path) -> Result<String> {
    let load = |dir: &Path| -> Result<Summary> {
        let path = dir.join("summary.json");
        Ok(serde_json::from_slice(&std::fs::read(&path).with_context(|| format!("lecture de {}", path.display()))?)?)
    };
    let (a, b) = (load(before)?, load(after)?);
    let mut out = format!("== comparaison avec {}\n", before.display());
    let line = |name: &str, x: Option<&Figures>, y: Option<&Figures>| -> Option<String> {
        let (xa, ya) = (x.map_or(0.0, |f| f.accuracy), y.map_or(0.0, |f| f.accuracy));
        let (xo, yo) = (x.and_then(|f| f.citation_overlap), y.and_then(|f| f.citation_overlap));
        (x != y).then(|| {
            format!(
                "{name:<34} exactitude {} → {} ({:+.1} pts), citations {} → {}\n",
                pct(xa),
                pct(ya),
                (ya - xa) * 100.0,
                xo.map_or("–".into(), pct),
                yo.map_or("–".into(), pct)
            )
        })
    };
    out += &line("ensemble", Some(&a.overall), Some(&b.overall)).unwrap_or_else(|| "ensemble : inchangé\n".into());
    for (title, x, y) in
        [("catégorie", &a.by_category, &b.by_category), ("mode", &a.by_mode, &b.by_mode), ("question", &a.by_question, &b.by_question)]
    {
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            if let Some(l) = line(&format!("{title} {k}"), x.get(k), y.get(k)) {
                out += &l;
            }
        }
    }
    if a.offences != b.offences {
        out += &format!("infractions : F1 {} → {}\n", pct(a.offences.f1), pct(b.offences.f1));
    }
    let (x, y) = (read_correct(&before.join("items.parquet"))?, read_correct(&after.join("items.parquet"))?);
    let mut fixed = Vec::new();
    let mut broken = Vec::new();
    for (key, now) in &y {
        match x.get(key) {
            Some(was) if was != now => if *now { fixed.push(key) } else { broken.push(key) },
            _ => {}
        }
    }
    out += &format!("items devenus justes : {}, devenus faux : {}\n", fixed.len(), broken.len());
    for (d, q) in &fixed {
        out += &format!("  + {d} {q}\n");
    }
    for (d, q) in &broken {
        out += &format!("  - {d} {q}\n");
    }
    Ok(out)
}
