//! `assistant-parquet ingest` and `show`: put files into a dossier and look at what the engine
//! made of them, from the command line, on the same data directory the server uses.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use ap_engine::{Engine, EngineOptions};
use ap_operators::native::NativeLibs;
use serde::Serialize;

/// Where the engine's data and the native libraries are: the flags every command that opens
/// the engine shares.
#[derive(Debug, clap::Args)]
pub struct EngineArgs {
    /// Data directory (the server's).
    #[arg(long, env = "ASSISTANT_PARQUET_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Folder holding libpdfium.so and libonnxruntime.so (default: the project's .deps/lib).
    #[arg(long, env = "ASSISTANT_PARQUET_LIB_DIR")]
    pub lib_dir: Option<PathBuf>,
}

impl EngineArgs {
    /// Open the engine these flags designate.
    pub fn open(&self) -> Result<Engine> {
        open_engine(&self.data_dir, self.lib_dir.as_deref())
    }
}

/// Flags of `ingest`.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Dossier to add the files to (created if new).
    #[arg(long)]
    pub dossier: String,
    /// PDF, TIFF, PNG or JPEG files. A file's name without extension is its document id.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Flags of `show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Dossier to show.
    #[arg(long)]
    pub dossier: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Open the engine of a data directory.
pub fn open_engine(data_dir: &std::path::Path, lib_dir: Option<&std::path::Path>) -> Result<Engine> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = EngineOptions { extraction_threads: threads, native: NativeLibs::new(lib_dir), ..EngineOptions::default() };
    Engine::open(&data_dir.join("engine"), options)
        .with_context(|| format!("ouverture du moteur dans {}", data_dir.display()))
}

/// Document id of a file: its name without extension.
pub fn document_id(path: &std::path::Path) -> String {
    path.file_stem().map_or_else(|| "document".into(), |s| s.to_string_lossy().into_owned())
}

/// `ingest`: add the files, wait until they are read, print what was found.
pub fn ingest(args: IngestArgs) -> Result<()> {
    let engine = args.engine.open()?;
    let mut unreadable = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for path in &args.files {
        match std::fs::read(path) {
            Ok(bytes) => {
                let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
                // Two files with the same name in one call are two documents, not two versions.
                let base = document_id(path);
                let id = (1..).map(|i| if i == 1 { base.clone() } else { format!("{base}-{i}") }).find(|id| ids.insert(id.clone())).expect("a free id");
                engine.add_document(&args.dossier, &id, &name, &bytes)?;
                eprintln!("reçu : {name} ({} octets)", bytes.len());
            }
            Err(e) => unreadable.push(format!("{} : {e}", path.display())),
        }
    }
    engine.sync()?;
    print_summary(&engine, &args.dossier, false)?;
    let failures = engine.dossier(&args.dossier).failures;
    for message in unreadable.iter().chain(failures.values()) {
        eprintln!("échec : {message}");
    }
    if !unreadable.is_empty() || !failures.is_empty() {
        bail!("{} fichier(s) n'ont pas pu être lus", unreadable.len() + failures.len());
    }
    Ok(())
}

/// `show`: what the engine holds for a dossier.
pub fn show(args: ShowArgs) -> Result<()> {
    let engine = args.engine.open()?;
    engine.sync()?;
    if engine.dossier(&args.dossier).documents.is_empty() {
        bail!("dossier inconnu ou vide : {}", args.dossier);
    }
    print_summary(&engine, &args.dossier, args.json)
}

#[derive(Debug, Serialize)]
struct PieceView {
    kind: String,
    document: String,
    first_page: u32,
    last_page: u32,
    title: String,
    persons: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Summary {
    dossier: String,
    progress: ap_engine::Progress,
    documents: Vec<String>,
    pieces: Vec<PieceView>,
    passages: usize,
    failures: Vec<String>,
    /// Documents this process had to read (memo misses); 0 when everything came from the memo.
    extractions_run: usize,
    /// Offences with their articles, evidence and users' reviews (`category`: taxonomy id).
    offences: Vec<ap_engine::ReviewedOffence>,
    /// Answers to the questions of the standing offences, with citations and reviews.
    answers: Vec<ap_engine::ReviewedAnswer>,
}

fn print_summary(engine: &Engine, dossier: &str, json: bool) -> Result<()> {
    let state = engine.dossier(dossier);
    let summary = Summary {
        dossier: dossier.into(),
        progress: engine.progress(dossier),
        documents: state.documents.values().map(|(name, _)| name.clone()).collect(),
        pieces: state
            .pieces
            .values()
            .map(|p| PieceView {
                kind: p.kind.id().into(),
                document: p.document.clone(),
                first_page: p.first_page,
                last_page: p.last_page,
                title: p.title.clone(),
                persons: p.persons.iter().map(|n| format!("{} {}", n.nom, n.prenom.clone().unwrap_or_default()).trim().to_string()).collect(),
            })
            .collect(),
        passages: state.passages.len(),
        failures: state.failures.values().cloned().collect(),
        extractions_run: engine.counters().extractions.load(std::sync::atomic::Ordering::Relaxed),
        offences: state.offences.clone(),
        answers: state.answers.clone(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let p = &summary.progress;
    println!(
        "Dossier {} : {} document(s), {} page(s) dont {} lue(s) par OCR, {} passage(s), {} pièce(s)",
        summary.dossier,
        p.documents,
        p.pages,
        p.pages_ocr,
        summary.passages,
        summary.pieces.len()
    );
    for piece in &summary.pieces {
        let pages = if piece.first_page == piece.last_page {
            format!("p. {}", piece.first_page)
        } else {
            format!("p. {}-{}", piece.first_page, piece.last_page)
        };
        let persons = if piece.persons.is_empty() { String::new() } else { format!(" — {}", piece.persons.join(", ")) };
        println!("  {:<24} {:<14} {:<10} {}{}", piece.kind, piece.document, pages, piece.title, persons);
    }
    println!("Infractions :");
    for o in &summary.offences {
        let articles: Vec<&str> = o.offence.articles.iter().map(|a| a.id.as_str()).collect();
        let review = o.review.as_ref().map(|r| format!(" [{:?} par {}]", r.kind, r.author)).unwrap_or_default();
        println!("  {} ({}) — confiance {:.2}{review}", o.offence.label, articles.join(", "), o.offence.confidence);
    }
    println!("Réponses :");
    for a in &summary.answers {
        let sources: Vec<String> = a.answer.citations.iter().map(|c| format!("{} p. {} « {} »", c.document, c.page, c.quote)).collect();
        println!("  {} — {}", a.answer.wording, a.answer.text);
        for s in sources {
            println!("      source : {s}");
        }
    }
    Ok(())
}
