//! `assistant-parquet ingest` and `show`: put files into a dossier and look at what the engine
//! made of them, from the command line, on the same data directory the server uses.
//!
//! Both take `--workers N` (timely worker threads) and timely's cluster mode
//! (`--processes N --process-id I --hosts FILE`): the same command line runs on every machine,
//! only `--process-id` changes. Process 0 holds the data directory's input log, blobs and state
//! and prints the result; the others are compute nodes that read the pages partitioned to them
//! (with the memo of their own `--data-dir`) and exit when process 0 is done.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use ap_engine::{Cluster, Engine, EngineOptions, NodeReport};
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

/// Threads and processes of the engine (`ingest`, `show`).
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Timely worker threads in this process.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Processes taking part (timely's cluster mode); 1: this process alone.
    #[arg(long, default_value_t = 1)]
    pub processes: usize,
    /// Index of this process, 0 to N-1. Process 0 holds the dossier and prints the result; the
    /// others only read pages (their FILE arguments are ignored).
    #[arg(long, default_value_t = 0)]
    pub process_id: usize,
    /// File of `host:port` lines, one per process, in process order (needed with --processes > 1).
    #[arg(long)]
    pub hosts: Option<PathBuf>,
    /// Write this process's extraction counters to FILE (JSON) at the end.
    #[arg(long)]
    pub stats: Option<PathBuf>,
}

impl ClusterArgs {
    /// The engine's cluster option, checked (messages in French).
    pub fn cluster(&self) -> Result<Option<Cluster>> {
        if self.workers == 0 {
            bail!("--workers : au moins 1");
        }
        if self.processes <= 1 {
            if self.process_id != 0 {
                bail!("--process-id {} sans --processes : un seul processus porte le numéro 0", self.process_id);
            }
            return Ok(None);
        }
        if self.process_id >= self.processes {
            bail!("--process-id {} : attendu de 0 à {}", self.process_id, self.processes - 1);
        }
        let Some(path) = &self.hosts else { bail!("--processes {} demande --hosts FICHIER (une ligne hôte:port par processus)", self.processes) };
        let text = std::fs::read_to_string(path).with_context(|| format!("lecture de la liste des hôtes {}", path.display()))?;
        let hosts: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect();
        if hosts.len() != self.processes {
            bail!("{} : {} hôte(s) pour --processes {}", path.display(), hosts.len(), self.processes);
        }
        if let Some(bad) = hosts.iter().find(|h| h.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())) {
            bail!("{} : « {bad} » n'est pas de la forme hôte:port", path.display());
        }
        Ok(Some(Cluster { process: self.process_id, hosts }))
    }

    /// Run this process as a compute node when it is not process 0; `None` when it is.
    fn run_node(&self, engine: &EngineArgs) -> Result<Option<()>> {
        let cluster = self.cluster()?;
        if cluster.as_ref().is_none_or(|c| c.process == 0) {
            return Ok(None);
        }
        let options = EngineOptions { cluster, ..engine_options(engine.lib_dir.as_deref(), self.workers) };
        let report = ap_engine::run_compute_node(&engine.data_dir.join("engine"), options)
            .with_context(|| format!("nœud de calcul {}", self.process_id))?;
        eprintln!("processus {} : {} page(s) lue(s) par OCR, {} trouvée(s) dans le mémo", report.process, report.pages_ocr_run, report.pages_ocr_memo);
        self.write_stats(&report)?;
        Ok(Some(()))
    }

    /// Open the engine as process 0 (alone or the first of a cluster).
    fn open(&self, engine: &EngineArgs) -> Result<Engine> {
        let options = EngineOptions { cluster: self.cluster()?, ..engine_options(engine.lib_dir.as_deref(), self.workers) };
        Engine::open(&engine.data_dir.join("engine"), options)
            .with_context(|| format!("ouverture du moteur dans {}", engine.data_dir.display()))
    }

    fn write_stats(&self, report: &NodeReport) -> Result<()> {
        if let Some(path) = &self.stats {
            std::fs::write(path, serde_json::to_vec_pretty(report)?).with_context(|| format!("écriture de {}", path.display()))?;
        }
        Ok(())
    }

    fn report(&self, engine: &Engine) -> Result<()> {
        let c = engine.counters();
        let load = |a: &std::sync::atomic::AtomicUsize| a.load(std::sync::atomic::Ordering::Relaxed);
        self.write_stats(&NodeReport { process: 0, pages_ocr_run: load(&c.pages_ocr_run), pages_ocr_memo: load(&c.pages_ocr_memo) })
    }
}

/// Flags of `ingest`.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
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
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Dossier to show.
    #[arg(long)]
    pub dossier: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// With --json: the text of every page too.
    #[arg(long)]
    pub pages: bool,
}

/// Open the engine of a data directory.
pub fn open_engine(data_dir: &std::path::Path, lib_dir: Option<&std::path::Path>) -> Result<Engine> {
    Engine::open(&data_dir.join("engine"), engine_options(lib_dir, 1))
        .with_context(|| format!("ouverture du moteur dans {}", data_dir.display()))
}

/// Engine options of this machine: one extraction thread per core.
fn engine_options(lib_dir: Option<&std::path::Path>, workers: usize) -> EngineOptions {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    EngineOptions { extraction_threads: threads, native: NativeLibs::new(lib_dir), workers, ..EngineOptions::default() }
}

/// Document id of a file: its name without extension.
pub fn document_id(path: &std::path::Path) -> String {
    path.file_stem().map_or_else(|| "document".into(), |s| s.to_string_lossy().into_owned())
}

/// `ingest`: add the files, wait until they are read, print what was found.
pub fn ingest(args: IngestArgs) -> Result<()> {
    if args.cluster.run_node(&args.engine)?.is_some() {
        return Ok(());
    }
    let engine = args.cluster.open(&args.engine)?;
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
    args.cluster.report(&engine)?;
    print_summary(&engine, &args.dossier, false, false)?;
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
    if args.cluster.run_node(&args.engine)?.is_some() {
        return Ok(());
    }
    let engine = args.cluster.open(&args.engine)?;
    engine.sync()?;
    args.cluster.report(&engine)?;
    if engine.dossier(&args.dossier).documents.is_empty() {
        bail!("dossier inconnu ou vide : {}", args.dossier);
    }
    print_summary(&engine, &args.dossier, args.json, args.pages)
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
struct PageView {
    document: String,
    number: u32,
    /// `native` or `ocr`.
    method: String,
    text: String,
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
    /// Pages this process read by OCR (per-page memo misses).
    pages_ocr_run: usize,
    /// Offences with their articles, evidence and users' reviews (`category`: taxonomy id).
    offences: Vec<ap_engine::ReviewedOffence>,
    /// Answers to the questions of the standing offences, with citations and reviews.
    answers: Vec<ap_engine::ReviewedAnswer>,
    /// Page texts in order (`show --json --pages`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pages: Option<Vec<PageView>>,
}

fn print_summary(engine: &Engine, dossier: &str, json: bool, pages: bool) -> Result<()> {
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
        pages_ocr_run: engine.counters().pages_ocr_run.load(std::sync::atomic::Ordering::Relaxed),
        offences: state.offences.clone(),
        answers: state.answers.clone(),
        pages: pages.then(|| {
            state
                .pages
                .iter()
                .map(|((document, number), p)| PageView {
                    document: document.clone(),
                    number: *number,
                    method: if p.confidence.is_some() { "ocr" } else { "native" }.into(),
                    text: p.text.clone(),
                })
                .collect()
        }),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let p = &summary.progress;
    println!(
        "Dossier {} : {} document(s), {} page(s) dont {} lue(s) par OCR, {} page(s) analysée(s), {} passage(s), {} pièce(s)",
        summary.dossier,
        p.documents,
        p.pages,
        p.pages_ocr,
        p.pages_answered,
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
