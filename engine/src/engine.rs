//! The engine: timely workers (one thread by default, more threads or processes on demand), a
//! pool for expensive operators, a durable input log.
//!
//! ```text
//!  add_document / remove_document / correct ──► input log (fsync) ──► command channel
//!                                                                        │
//!     ┌──────────────────────────────── worker 0 of process 0 (driver) ◄─┘
//!     │  documents ⋈ extracted pages (by blob) ──► page texts ──► … ──► answers ──► state, subscribers
//!     │  corrections ───────────────────────────────────────────────►     (every output exchanged
//!     │                                                                    to worker 0 first)
//!     └─► prepare (pool of process 0: text layer, OCR pages cut out and hashed)
//!           └─► page jobs ──exchange by (dossier, document, page)──► worker k of process p
//!                                       └─► OCR in p's pool (memo of p) ──► results ──exchange──► worker 0
//!                                                                            └─► `extracted` input
//! ```
//!
//! Expensive work never runs on a worker thread: a document whose text is not memoized is
//! prepared in the pool (see [`crate::extract`]), its pages needing OCR are spread over every
//! worker of every process through a side dataflow, recognised in each process's pool, and come
//! back to worker 0 as later updates of the `extracted` collection, so a slow page never blocks the
//! others. Extracted pages are facts about a content hash: the join with the `documents`
//! collection decides which of them are current, so retracting a document withdraws its pages
//! downstream, and re-inserting it finds its text in the memo without re-running OCR. The same
//! holds across restarts: the log is replayed, the memo is on disk.
//!
//! **Workers and processes.** [`EngineOptions::workers`] timely worker threads per process;
//! [`EngineOptions::cluster`] adds timely's cluster mode (`CommunicationConfig::Cluster`). Only
//! process 0 holds the input log, the blobs and the queryable state: the engine's inputs enter at
//! its worker 0 (the other workers' input handles are closed at once, so worker 0 alone drives the
//! dataflow's time), and every output is exchanged to worker 0 before it is staged. The other
//! processes are compute nodes ([`run_compute_node`]): they receive page jobs carrying the page's
//! bytes (a one-page PDF or a PNG), read them with their own memo, and send the pages back. The
//! per-document and per-dossier reduces run on whichever worker timely assigns their key to.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use differential_dataflow::AsCollection as _;
use differential_dataflow::input::Input as _;
use timely::dataflow::operators::{Exchange as _, Input as _, Inspect as _, Probe as _};
use serde::{Deserialize, Serialize};

use ap_operators::answer::{Answer, answer_questions};
use ap_operators::document::{Document, Page};
use ap_operators::domain::Domain;
use ap_operators::dossier::DossierText;
use ap_operators::offence::{self, Offence};
use ap_operators::summary::{self, Summary};
use ap_operators::passage::{self, Passage};
use ap_operators::piece::{self, Piece};
use ap_operators::searchable;
use ap_operators::input::IngestOptions;
use ap_operators::native::NativeLibs;

use crate::analysis::{ReviewedAnswer, ReviewedOffence, review_answers, review_offences};
use crate::extract::{self, Job, PageDone, PageJob, Pool, PrepareDone};
use crate::shared::Shared;
use crate::store::Store;
use crate::{Correction, Error, Result};

/// Name and version of the extraction as a whole (recorded in exports). Version 2: per-page OCR
/// memo ([`extract::PREPARE`] per document, [`extract::OCR_PAGE`] per page content hash).
pub const EXTRACTION: (&str, u32) = ("extract_document", 2);

/// Dossiers whose offence detector (and its memo of sentence scans) a worker keeps.
const MAX_DETECTORS: usize = 64;

/// Identifies a document within the engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocumentKey {
    pub dossier: String,
    pub document: String,
}

/// One logged input record. `diff` (+1/-1) is stored beside it in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum InputRecord {
    /// A file of a dossier; `blob` is the SHA-256 of its bytes in the blob store.
    Document { key: DocumentKey, name: String, blob: String },
    /// A user's correction.
    Correction { dossier: String, correction: Correction },
}

/// A change pushed to subscribers of a dossier.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A page's text appeared (+1) or was withdrawn (-1).
    PageText { document: String, page: u32, diff: isize },
    /// A passage appeared (+1) or was withdrawn (-1); a fixed passage is withdrawn then re-added.
    Passage { id: String, diff: isize },
    /// A piece appeared (+1) or was withdrawn (-1).
    Piece { document: String, first_page: u32, diff: isize },
    /// A correction became current (+1) or was withdrawn (-1).
    Correction { id: String, diff: isize },
    /// A document could not be read; the message is for the user.
    DocumentFailed { document: String, message: String },
    /// The dossier's offences changed (read them from the state).
    Offences,
    /// The dossier's answers changed (read them from the state).
    Answers,
    /// The draft résumé des faits changed (read it from the state).
    Summary,
}

/// A document's text as read, with the users' OCR fixes that apply to it.
#[derive(Debug, Clone)]
pub struct DocumentText {
    /// Pages in order.
    pub pages: Vec<Page>,
    /// Fixes, by page and position (see [`searchable::fixed_text`], [`searchable::fixed_layer`]).
    pub fixes: Vec<searchable::PageFix>,
}

/// Processing progress of a dossier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Documents received and current.
    pub documents: usize,
    /// Of which, documents whose text is available.
    pub documents_extracted: usize,
    /// Documents waiting for the extraction pool.
    pub documents_pending: usize,
    /// Documents that could not be read.
    pub documents_failed: usize,
    /// Pages with text.
    pub pages: usize,
    /// Of which, pages read by OCR.
    pub pages_ocr: usize,
    /// Pages of the text the current offences and answers were computed from. The dossier-level
    /// stages run in the same dataflow step as the text they read, so this is `pages` once any
    /// answer exists; it lags only while no text has been answered yet.
    pub pages_answered: usize,
}

/// The current state of a dossier, as the dataflow computed it.
#[derive(Debug, Clone, Default)]
pub struct DossierState {
    /// Page texts by (document, page).
    pub pages: BTreeMap<(String, u32), Shared<Page>>,
    /// Passages by id, OCR fixes applied.
    pub passages: BTreeMap<String, Shared<Passage>>,
    /// Pieces by (document, first page).
    pub pieces: BTreeMap<(String, u32), Shared<Piece>>,
    /// Current corrections by id.
    pub corrections: BTreeMap<String, Correction>,
    /// Documents: name, blob.
    pub documents: BTreeMap<String, (String, String)>,
    /// Documents that could not be read, with the reason (French).
    pub failures: BTreeMap<String, String>,
    /// Offences, detected or added, with the users' reviews.
    pub offences: Vec<ReviewedOffence>,
    /// Answers to the questions of the current offences, with the users' reviews.
    pub answers: Vec<ReviewedAnswer>,
    /// The whole text in reading order, as the dossier-level stages read it.
    pub text: Option<Shared<DossierText>>,
    /// The draft résumé des faits, every sentence cited.
    pub summary: Option<Summary>,
    /// Content keys of `offences`, `answers` and `summary` (to apply retractions).
    analysis_keys: (String, String, String),
}

#[derive(Debug, Default)]
struct SharedState {
    dossiers: HashMap<String, DossierState>,
    pending: HashSet<String>,
    subscribers: HashMap<String, Vec<Sender<Update>>>,
}

impl SharedState {
    fn notify(&mut self, dossier: &str, update: Update) {
        if let Some(subs) = self.subscribers.get_mut(dossier) {
            subs.retain(|s| s.send(update.clone()).is_ok());
        }
    }
}

enum Command {
    Input(Vec<(InputRecord, isize)>),
    /// A document was prepared (or could not be read) in the pool.
    Prepared(PrepareDone),
    /// A page job given to the pool of process 0 by worker 0 is done.
    Done(PageDone),
    Sync(Sender<()>),
    /// Stop the workers (the other processes stop when worker 0 closes its inputs).
    Shutdown,
}

/// Counters of operator invocations, for tests and benches.
#[derive(Debug, Default)]
pub struct Counters {
    /// Documents prepared by this process (text layer read by pdfium; memo misses).
    pub extractions: std::sync::atomic::AtomicUsize,
    /// Pages recognised by OCR in this process (per-page memo misses).
    pub pages_ocr_run: std::sync::atomic::AtomicUsize,
    /// OCR pages this process found in its memo.
    pub pages_ocr_memo: std::sync::atomic::AtomicUsize,
    /// Records that flowed out of the page-text stage.
    pub page_text_records: std::sync::atomic::AtomicUsize,
    /// Documents segmented into passages and pieces (one per document change).
    pub segmentations: std::sync::atomic::AtomicUsize,
    /// Records that flowed out of the passage stage.
    pub passage_records: std::sync::atomic::AtomicUsize,
    /// Offence detections run (one per dossier text change).
    pub detections: std::sync::atomic::AtomicUsize,
    /// Question answerings run (one per change of a dossier's text or offences).
    pub answerings: std::sync::atomic::AtomicUsize,
}

/// Timely's cluster mode: this process's place among several.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Index of this process (0 holds the inputs and the state).
    pub process: usize,
    /// `host:port` of every process, in process order.
    pub hosts: Vec<String>,
}

/// Options of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Threads of this process's extraction pool (page OCR runs there).
    pub extraction_threads: usize,
    /// Ingestion options (limits, OCR settings).
    pub ingest: IngestOptions,
    /// Where the native libraries are.
    pub native: NativeLibs,
    /// Timely worker threads in this process.
    pub workers: usize,
    /// Several processes (timely's cluster mode); `None`: this process alone.
    pub cluster: Option<Cluster>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self { extraction_threads: 1, ingest: IngestOptions::default(), native: NativeLibs::default(), workers: 1, cluster: None }
    }
}

impl EngineOptions {
    fn timely_config(&self) -> timely::Config {
        let threads = self.workers.max(1);
        let communication = match &self.cluster {
            Some(c) if c.hosts.len() > 1 => timely::CommunicationConfig::Cluster {
                threads,
                process: c.process,
                addresses: c.hosts.clone(),
                report: false,
                zerocopy: false,
            },
            _ if threads > 1 => timely::CommunicationConfig::Process(threads),
            _ => timely::CommunicationConfig::Thread,
        };
        timely::Config { communication, worker: timely::WorkerConfig::default() }
    }

    fn process(&self) -> usize {
        self.cluster.as_ref().map_or(0, |c| c.process)
    }
}

/// What every worker thread of a process shares.
struct WorkerContext {
    store: Arc<Store>,
    counters: Arc<Counters>,
    /// The process's extraction pool.
    jobs: Sender<Job>,
    /// Process 0 only: the state worker 0 publishes, its command channel (taken by worker 0) and
    /// a sender on it (for the pool's replies).
    driver: Option<Driver>,
}

struct Driver {
    state: Arc<Mutex<SharedState>>,
    commands: Mutex<Option<Receiver<Command>>>,
    replies: Sender<Command>,
}

/// A running engine over one data directory.
pub struct Engine {
    store: Arc<Store>,
    state: Arc<Mutex<SharedState>>,
    commands: Sender<Command>,
    counters: Arc<Counters>,
    workers: Mutex<Option<timely::communication::initialize::WorkerGuards<()>>>,
    pool: Option<Pool>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Open the engine on `data_dir`, replaying its input log. With [`EngineOptions::cluster`],
    /// this is process 0 and returns once every process is connected.
    pub fn open(data_dir: &Path, options: EngineOptions) -> Result<Self> {
        if options.process() != 0 {
            return Err(Error::Cluster(format!(
                "le processus {} est un nœud de calcul : seul le processus 0 ouvre le moteur",
                options.process()
            )));
        }
        let store = Arc::new(Store::open(data_dir)?);
        let state = Arc::new(Mutex::new(SharedState::default()));
        let counters = Arc::new(Counters::default());
        let (commands, command_rx) = crossbeam_channel::unbounded::<Command>();
        let pool = Pool::start(options.extraction_threads, store.clone(), options.ingest.clone(), options.native.clone(), counters.clone(), 0);
        let context = Arc::new(WorkerContext {
            store: store.clone(),
            counters: counters.clone(),
            jobs: pool.jobs.clone(),
            driver: Some(Driver { state: state.clone(), commands: Mutex::new(Some(command_rx)), replies: commands.clone() }),
        });
        let guards = timely::execute(options.timely_config(), move |worker| run_worker(worker, &context)).map_err(Error::Cluster)?;

        let engine = Self { store, state, commands, counters, workers: Mutex::new(Some(guards)), pool: Some(pool) };
        // Replay the log: everything acknowledged before the last stop.
        let mut replay = Vec::new();
        for logged in engine.store.inputs()? {
            replay.push((serde_json::from_str::<InputRecord>(&logged.record)?, logged.diff as isize));
        }
        if !replay.is_empty() {
            engine.commands.send(Command::Input(replay)).map_err(|_| Error::Stopped)?;
        }
        Ok(engine)
    }

    /// Add a file to a dossier. Returns once the input is durably logged (acknowledged);
    /// its text arrives later (see [`Engine::subscribe`], [`Engine::sync`]).
    pub fn add_document(&self, dossier: &str, document: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let blob = self.store.put_blob(bytes)?;
        let key = DocumentKey { dossier: dossier.into(), document: document.into() };
        let mut updates = Vec::new();
        if let Some((old_name, old_blob)) = self.document(dossier, document) {
            if old_blob == blob && old_name == name {
                return Ok(()); // the same file again: nothing changes
            }
            // A new version replaces the old one: withdraw it in the same durable step.
            updates.push((InputRecord::Document { key: key.clone(), name: old_name, blob: old_blob }, -1));
        }
        updates.push((InputRecord::Document { key, name: name.into(), blob }, 1));
        self.apply(updates)
    }

    /// Withdraw a document from its dossier (its text and everything derived from it).
    pub fn remove_document(&self, dossier: &str, document: &str) -> Result<()> {
        let (name, blob) = self.document(dossier, document).ok_or_else(|| Error::UnknownDocument(document.into()))?;
        let key = DocumentKey { dossier: dossier.into(), document: document.into() };
        self.apply(vec![(InputRecord::Document { key, name, blob }, -1)])
    }

    /// Record a user's correction.
    /// A correction with the id of a current one replaces it.
    pub fn correct(&self, dossier: &str, correction: Correction) -> Result<()> {
        let mut updates = Vec::new();
        let current = self.with_dossier(dossier, |d| d.corrections.get(&correction.id).cloned()).flatten();
        if let Some(old) = current {
            if old == correction {
                return Ok(());
            }
            updates.push((InputRecord::Correction { dossier: dossier.into(), correction: old }, -1));
        }
        updates.push((InputRecord::Correction { dossier: dossier.into(), correction }, 1));
        self.apply(updates)
    }

    /// Log `updates` durably, then hand them to the dataflow.
    pub fn apply(&self, updates: Vec<(InputRecord, isize)>) -> Result<()> {
        let logged = updates
            .iter()
            .map(|(r, d)| Ok((serde_json::to_string(r)?, *d as i64)))
            .collect::<Result<Vec<_>>>()?;
        self.store.append_inputs(&logged)?;
        self.commands.send(Command::Input(updates)).map_err(|_| Error::Stopped)
    }

    /// Wait until every input given so far, and every extraction they started, is reflected in
    /// the state.
    pub fn sync(&self) -> Result<()> {
        loop {
            let (tx, rx) = crossbeam_channel::bounded(1);
            self.commands.send(Command::Sync(tx)).map_err(|_| Error::Stopped)?;
            rx.recv().map_err(|_| Error::Stopped)?;
            if self.state.lock().expect("state lock").pending.is_empty() {
                // One more round so the last extraction results are through the dataflow.
                let (tx, rx) = crossbeam_channel::bounded(1);
                self.commands.send(Command::Sync(tx)).map_err(|_| Error::Stopped)?;
                rx.recv().map_err(|_| Error::Stopped)?;
                if self.state.lock().expect("state lock").pending.is_empty() {
                    return Ok(());
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Name and blob of a current document.
    pub fn document(&self, dossier: &str, document: &str) -> Option<(String, String)> {
        self.with_dossier(dossier, |d| d.documents.get(document).cloned()).flatten()
    }

    /// The bytes of a current document, as uploaded.
    pub fn document_bytes(&self, dossier: &str, document: &str) -> Result<Vec<u8>> {
        let (_, blob) = self.document(dossier, document).ok_or_else(|| Error::UnknownDocument(document.into()))?;
        self.store.blob(&blob)
    }

    /// A document's pages in order and the users' OCR fixes that apply to them (`None` when the
    /// document is unknown or not read yet).
    pub fn document_text(&self, dossier: &str, document: &str) -> Option<DocumentText> {
        self.with_dossier(dossier, |d| {
            let pages: Vec<Page> =
                d.pages.iter().filter(|((doc, _), _)| doc == document).map(|(_, p)| Page::clone(p)).collect();
            let passages: Vec<&Passage> = d.passages.values().filter(|p| p.document == document).map(|p| &**p).collect();
            let fixes = searchable::page_fixes(&pages.iter().collect::<Vec<_>>(), &passages);
            DocumentText { pages, fixes }
        })
        .filter(|t| !t.pages.is_empty())
    }

    /// A dossier's whole text in reading order (pages, passages with OCR fixes, pieces), shared
    /// with the engine's state: cheap to take, immutable.
    pub fn dossier_text(&self, dossier: &str) -> Option<Arc<DossierText>> {
        self.with_dossier(dossier, |d| d.text.as_ref().map(|t| t.arc())).flatten()
    }

    /// Run `f` on a dossier's current state without copying it (`None` for an unknown dossier).
    pub fn with_dossier<T>(&self, dossier: &str, f: impl FnOnce(&DossierState) -> T) -> Option<T> {
        self.state.lock().expect("state lock").dossiers.get(dossier).map(f)
    }

    /// A snapshot of a dossier's current state (a copy: prefer [`Engine::with_dossier`] on hot paths).
    pub fn dossier(&self, dossier: &str) -> DossierState {
        self.state.lock().expect("state lock").dossiers.get(dossier).cloned().unwrap_or_default()
    }

    /// Processing progress of a dossier.
    pub fn progress(&self, dossier: &str) -> Progress {
        let state = self.state.lock().expect("state lock");
        let Some(d) = state.dossiers.get(dossier) else { return Progress::default() };
        let extracted: HashSet<&str> = d.pages.keys().map(|(doc, _)| doc.as_str()).collect();
        Progress {
            documents: d.documents.len(),
            documents_extracted: extracted.len(),
            documents_pending: d.documents.values().filter(|(_, blob)| state.pending.contains(blob)).count(),
            documents_failed: d.failures.len(),
            pages: d.pages.len(),
            pages_ocr: d.pages.values().filter(|p| p.confidence.is_some()).count(),
            pages_answered: if d.answers.is_empty() { 0 } else { d.text.as_ref().map_or(0, |t| t.pages.len()) },
        }
    }

    /// Receive every change of `dossier` from now on.
    pub fn subscribe(&self, dossier: &str) -> Receiver<Update> {
        let (tx, rx) = crossbeam_channel::unbounded();
        self.state.lock().expect("state lock").subscribers.entry(dossier.into()).or_default().push(tx);
        rx
    }

    /// Invocation counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.stopping.store(true, Relaxed);
        }
        let _ = self.commands.send(Command::Shutdown);
        if let Some(guards) = self.workers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            for result in guards.join() {
                if let Err(e) = result {
                    tracing::error!(error = %e, "an engine worker failed");
                }
            }
        }
        if let Some(pool) = self.pool.take() {
            pool.stop();
        }
    }
}

/// What a compute node did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeReport {
    /// This process's index.
    pub process: usize,
    /// Pages recognised by OCR here.
    pub pages_ocr_run: usize,
    /// OCR pages this process's memo answered.
    pub pages_ocr_memo: usize,
}

/// Run process `options.cluster.process` (not 0) of a cluster: its workers take part in the
/// dataflow (their share of the per-document and per-dossier reduces) and read the pages
/// partitioned to them, with the memo of `data_dir` (which may be process 0's own directory on
/// the same machine: SQLite serialises the writers). Returns when process 0 closes the engine.
pub fn run_compute_node(data_dir: &Path, options: EngineOptions) -> Result<NodeReport> {
    let process = options.process();
    if process == 0 || options.cluster.as_ref().is_none_or(|c| c.hosts.len() < 2) {
        return Err(Error::Cluster("un nœud de calcul a un numéro de processus de 1 à N-1 et au moins deux hôtes".into()));
    }
    let store = Arc::new(Store::open(data_dir)?);
    let counters = Arc::new(Counters::default());
    let pool = Pool::start(options.extraction_threads, store.clone(), options.ingest.clone(), options.native.clone(), counters.clone(), process);
    let context = Arc::new(WorkerContext { store, counters: counters.clone(), jobs: pool.jobs.clone(), driver: None });
    let guards = timely::execute(options.timely_config(), move |worker| run_worker(worker, &context)).map_err(Error::Cluster)?;
    let mut failure = None;
    for result in guards.join() {
        if let Err(e) = result {
            failure = Some(e);
        }
    }
    pool.stop();
    if let Some(e) = failure {
        return Err(Error::Cluster(e));
    }
    Ok(NodeReport { process, pages_ocr_run: counters.pages_ocr_run.load(Relaxed), pages_ocr_memo: counters.pages_ocr_memo.load(Relaxed) })
}

type Time = u64;

/// Route every record of a collection to worker 0, where the state is published.
macro_rules! on_first {
    ($c:expr) => {
        $c.inner.exchange(|_| 0).as_collection()
    };
}

/// One timely worker: builds the dataflows (every worker builds the same ones), then drives them
/// (worker 0 of process 0) or follows (every other worker: steps, reads its share of pages).
fn run_worker(worker: &mut timely::worker::Worker, context: &WorkerContext) {
    let counters = context.counters.clone();
    {
        // Outputs are staged while the dataflow steps and published in one go once it has caught
        // up with the inputs, so readers never see a half-computed state (pages without their
        // passages, a passage withdrawn but its fix not yet inserted).
        let staged: Rc<RefCell<Vec<Delta>>> = Rc::new(RefCell::new(Vec::new()));
        let page_sink = staged.clone();
        let correction_sink = staged.clone();
        let page_counter = counters.clone();
        let (documents, extracted, corrections, probe) = worker.dataflow::<Time, _, _>(|scope| {
            // (blob, document): which documents are current, keyed by their content.
            let (documents, document_coll) = scope.new_collection::<(String, DocumentKey), isize>();
            // (blob, page): extraction results, facts about a content hash.
            let (extracted, extracted_coll) = scope.new_collection::<(String, Shared<Page>), isize>();
            // (dossier, correction id, correction as JSON): current corrections.
            let (corrections, correction_coll) = scope.new_collection::<(String, String, String), isize>();

            let page_texts = document_coll
                .join_map(extracted_coll, |_blob, key, page| (key.clone(), page.clone()))
                .consolidate();
            let (probe, _) = on_first!(page_texts.clone())
                .inspect(move |((key, page), _time, diff)| {
                    page_counter.page_text_records.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    page_sink.borrow_mut().push(Delta::Page(key.clone(), page.clone(), *diff));
                })
                .probe();

            // Passages and pieces need the document's pages in order (a sentence may cross a page
            // break, a piece spans pages): one segmentation per document, redone only when one
            // of its pages changes.
            let segment_counter = counters.clone();
            let segmented = page_texts.clone().reduce(move |key: &DocumentKey, pages: &[(&Shared<Page>, isize)], out| {
                segment_counter.segmentations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let doc = Document {
                    id: key.document.clone(),
                    file: String::new(),
                    pages: pages.iter().map(|(p, _)| Page::clone(p)).collect(),
                    issues: Vec::new(),
                };
                let content = pages.iter().map(|(p, _)| p.key()).collect::<Vec<_>>().join(",");
                let passages = passage::passages(&doc);
                let pieces = piece::pieces(&doc);
                out.push((Shared::new(content, (passages, pieces)), 1));
            });
            let passages = segmented.clone().flat_map(|(key, seg)| {
                seg.0.iter().map(|p| (p.id.clone(), (key.clone(), Shared::new(p.id.clone(), p.clone())))).collect::<Vec<_>>()
            });
            let piece_sink = staged.clone();
            let current_pieces = segmented
                .flat_map(|(key, seg)| {
                    seg.1
                        .iter()
                        .map(|p| (key.clone(), Shared::new(format!("{}:{}:{}:{}", key.document, p.first_page, p.last_page, p.title), p.clone())))
                        .collect::<Vec<_>>()
                })
                .consolidate();
            on_first!(current_pieces.clone())
                .inspect(move |((key, piece), _time, diff)| {
                    piece_sink.borrow_mut().push(Delta::Piece(key.clone(), piece.clone(), *diff));
                })
                .probe_with(&probe);

            // OCR fixes: the latest fix of a passage (by time, then id) replaces its text.
            let fixes = correction_coll
                .clone()
                .flat_map(|(_dossier, _id, json)| match serde_json::from_str::<Correction>(&json) {
                    Ok(Correction { id, time, change: crate::Change::OcrFix { passage, text }, .. }) => {
                        Some((passage, (time, id, text)))
                    }
                    _ => None,
                })
                .reduce(|_passage, fixes: &[(&(String, String, String), isize)], out| {
                    if let Some((fix, _)) = fixes.iter().max_by(|a, b| a.0.cmp(b.0)) {
                        out.push(((*fix).clone(), 1));
                    }
                });
            // A fixed passage is identified by its id, the fix and the fixed text: a correction
            // edited in place (same id, new text) is a different record.
            let fixed = passages.clone().join_map(fixes.clone(), |id, (key, passage), (_time, fix_id, text)| {
                let mut p = Passage::clone(passage);
                p.text = text.clone();
                (key.clone(), Shared::new(format!("{id}~{fix_id}~{text}"), p))
            });
            let unfixed = passages
                .antijoin(fixes.map(|(id, _)| id))
                .map(|(_id, (key, passage))| (key, passage));
            let passage_sink = staged.clone();
            let passage_counter = counters.clone();
            let current_passages = fixed.concat(unfixed).consolidate();
            on_first!(current_passages.clone())
                .inspect(move |((key, passage), _time, diff)| {
                    passage_counter.passage_records.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    passage_sink.borrow_mut().push(Delta::Passage(key.clone(), passage.clone(), *diff));
                })
                .probe_with(&probe);

            // Dossier-level stages. Each is a reduce per dossier, so it runs once per change of
            // its inputs (never for the retraction of an old input, as a map would):
            // text → detected offences → reviewed offences (with the offence corrections)
            //      → answers (text + offences still standing) → reviewed answers (answer corrections).
            let texts = page_texts
                .clone()
                .map(|(key, page)| (key.dossier, Item::Page(key.document, page)))
                .concat(current_passages.map(|(key, p)| (key.dossier, Item::Passage(p))))
                .concat(current_pieces.map(|(key, p)| (key.dossier, Item::Piece(p))))
                .reduce(|_dossier, items: &[(&Item, isize)], out| {
                    out.push((dossier_text(items.iter().map(|(item, _)| *item)), 1));
                });
            let text_sink = staged.clone();
            on_first!(texts.clone())
                .inspect(move |((dossier, text), _time, diff)| {
                    text_sink.borrow_mut().push(Delta::Text(dossier.clone(), text.clone(), *diff));
                })
                .probe_with(&probe);
            let detect_counter = counters.clone();
            // One detector per dossier remembers each sentence's scan: after an OCR fix only the
            // changed sentences are read again. Bounded: past MAX_DETECTORS dossiers the memos are
            // dropped and rebuilt on their next run (the result is the same, only slower once).
            let mut detectors: HashMap<String, offence::Detector> = HashMap::new();
            let detected = texts.clone().reduce(move |dossier, texts: &[(&Shared<DossierText>, isize)], out| {
                if let Some((text, _)) = texts.first() {
                    detect_counter.detections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if detectors.len() >= MAX_DETECTORS && !detectors.contains_key(dossier) {
                        detectors.clear();
                    }
                    let detector = detectors.entry(dossier.clone()).or_default();
                    out.push((Shared::new(text.key(), detector.detect(text, Domain::get())), 1));
                }
            });
            let corrections_of = |answers: bool| {
                move |(dossier, _id, json): (String, String, String)| {
                    let c = serde_json::from_str::<Correction>(&json).ok()?;
                    let about_answer = matches!(
                        c.change,
                        crate::Change::AnswerAccepted { .. } | crate::Change::AnswerEdited { .. } | crate::Change::AnswerRejected { .. }
                    );
                    let about_offence = matches!(
                        c.change,
                        crate::Change::OffenceConfirmed { .. } | crate::Change::OffenceRejected { .. } | crate::Change::OffenceAdded { .. }
                    );
                    ((answers && about_answer) || (!answers && about_offence)).then_some((dossier, json))
                }
            };
            let reviewed_offences = texts
                .clone()
                .map(|(d, t)| (d, OffenceInput::Text(t)))
                .concat(detected.map(|(d, o)| (d, OffenceInput::Detected(o))))
                .concat(correction_coll.clone().flat_map(corrections_of(false)).map(|(d, j)| (d, OffenceInput::Correction(j))))
                .reduce(|_dossier, inputs: &[(&OffenceInput, isize)], out| {
                    let (mut text, mut detected, mut corrections) = (None, None, Vec::new());
                    for (input, _) in inputs {
                        match input {
                            OffenceInput::Text(t) => text = Some(t),
                            OffenceInput::Detected(d) => detected = Some(d),
                            OffenceInput::Correction(json) => corrections.push(json.as_str()),
                        }
                    }
                    if let (Some(text), Some(detected)) = (text, detected) {
                        let parsed: Vec<Correction> = corrections.iter().filter_map(|j| serde_json::from_str(j).ok()).collect();
                        let key = content_key(std::iter::once(detected.key()).chain(corrections.iter().copied()));
                        out.push((Shared::new(key, review_offences(detected, &parsed, text, Domain::get())), 1));
                    }
                });
            let answer_counter = counters.clone();
            let answers = texts
                .clone()
                .map(|(d, t)| (d, AnswerInput::Text(t)))
                .concat(reviewed_offences.clone().map(|(d, o)| (d, AnswerInput::Offences(o))))
                .reduce(move |_dossier, inputs: &[(&AnswerInput, isize)], out| {
                    let (mut text, mut offences) = (None, None);
                    for (input, _) in inputs {
                        match input {
                            AnswerInput::Text(t) => text = Some(t),
                            AnswerInput::Offences(o) => offences = Some(o),
                        }
                    }
                    if let (Some(text), Some(offences)) = (text, offences) {
                        answer_counter.answerings.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let standing: Vec<Offence> =
                            offences.iter().filter(|o| o.is_active()).map(|o| o.offence.clone()).collect();
                        let key = content_key([text.key(), offences.key()]);
                        out.push((Shared::new(key, answer_questions(text, &standing, Domain::get())), 1));
                    }
                });
            let reviewed_answers = answers
                .map(|(d, a)| (d, ReviewInput::Computed(a)))
                .concat(correction_coll.clone().flat_map(corrections_of(true)).map(|(d, j)| (d, ReviewInput::Correction(j))))
                .reduce(|_dossier, inputs: &[(&ReviewInput, isize)], out| {
                    let mut computed = None;
                    let mut corrections = Vec::new();
                    for (input, _) in inputs {
                        match input {
                            ReviewInput::Computed(a) => computed = Some(a),
                            ReviewInput::Correction(json) => corrections.push(json.as_str()),
                        }
                    }
                    if let Some(computed) = computed {
                        let parsed: Vec<Correction> = corrections.iter().filter_map(|j| serde_json::from_str(j).ok()).collect();
                        let key = content_key(std::iter::once(computed.key()).chain(corrections.iter().copied()));
                        out.push((Shared::new(key, review_answers(computed, &parsed)), 1));
                    }
                });
            // The draft résumé des faits: from the text, the standing offences and the answers as
            // users left them (rejected answers left out, edited ones as edited).
            let summaries = texts
                .map(|(d, t)| (d, SummaryInput::Text(t)))
                .concat(reviewed_offences.clone().map(|(d, o)| (d, SummaryInput::Offences(o))))
                .concat(reviewed_answers.clone().map(|(d, a)| (d, SummaryInput::Answers(a))))
                .reduce(|_dossier, inputs: &[(&SummaryInput, isize)], out| {
                    let (mut text, mut offences, mut answers) = (None, None, None);
                    for (input, _) in inputs {
                        match input {
                            SummaryInput::Text(t) => text = Some(t),
                            SummaryInput::Offences(o) => offences = Some(o),
                            SummaryInput::Answers(a) => answers = Some(a),
                        }
                    }
                    if let (Some(text), Some(offences), Some(answers)) = (text, offences, answers) {
                        let standing: Vec<Offence> =
                            offences.iter().filter(|o| o.is_active()).map(|o| o.offence.clone()).collect();
                        let kept: Vec<Answer> = answers
                            .iter()
                            .filter(|a| a.review.as_ref().is_none_or(|r| r.kind != crate::ReviewKind::Rejected))
                            .map(|a| a.answer.clone())
                            .collect();
                        let key = content_key([text.key(), offences.key(), answers.key()]);
                        out.push((Shared::new(key, summary::draft(text, &standing, &kept)), 1));
                    }
                });
            let summary_sink = staged.clone();
            on_first!(summaries)
                .inspect(move |((dossier, summary), _time, diff)| {
                    summary_sink.borrow_mut().push(Delta::Summary(dossier.clone(), summary.clone(), *diff));
                })
                .probe_with(&probe);
            let offence_sink = staged.clone();
            on_first!(reviewed_offences)
                .inspect(move |((dossier, offences), _time, diff)| {
                    offence_sink.borrow_mut().push(Delta::Offences(dossier.clone(), offences.clone(), *diff));
                })
                .probe_with(&probe);
            let answer_sink = staged.clone();
            on_first!(reviewed_answers)
                .inspect(move |((dossier, answers), _time, diff)| {
                    answer_sink.borrow_mut().push(Delta::Answers(dossier.clone(), answers.clone(), *diff));
                })
                .probe_with(&probe);

            on_first!(correction_coll.consolidate())
                .inspect(move |((dossier, id, json), _time, diff)| {
                    correction_sink.borrow_mut().push(Delta::Correction(dossier.clone(), id.clone(), json.clone(), *diff));
                })
                .probe_with(&probe);
            (documents, extracted, corrections, probe)
        });

        // The side dataflow of page jobs: worker 0 sends each job to the worker its (dossier,
        // document, page) routes to; every worker sends what its pool read back to worker 0. It
        // carries data only: its time never advances, so it never holds the main dataflow back.
        let assigned: Rc<RefCell<Vec<PageJob>>> = Rc::new(RefCell::new(Vec::new()));
        let returned: Rc<RefCell<Vec<PageDone>>> = Rc::new(RefCell::new(Vec::new()));
        let (jobs_in, results_in, jobs_probe) = worker.dataflow::<Time, _, _>(|scope| {
            let (jobs_in, jobs) = scope.new_input::<Vec<PageJob>>();
            let (results_in, results) = scope.new_input::<Vec<PageDone>>();
            let sink = assigned.clone();
            let (jobs_probe, _) = jobs
                .exchange(|job: &PageJob| extract::page_route(&job.dossier, &job.document, job.number))
                .inspect(move |job: &PageJob| sink.borrow_mut().push(job.clone()))
                .probe();
            let sink = returned.clone();
            results.exchange(|_: &PageDone| 0).inspect(move |done: &PageDone| sink.borrow_mut().push(done.clone()));
            (jobs_in, results_in, jobs_probe)
        });

        match &context.driver {
            Some(driver) if worker.index() == 0 => {
                let mut graph = Graph { documents, extracted, corrections, probe, staged };
                drive(worker, context, driver, &mut graph, jobs_in, &assigned, &returned);
            }
            _ => {
                // Only worker 0 of process 0 has inputs: closing ours at once lets it alone
                // decide the dataflow's time.
                drop((documents, extracted, corrections, jobs_in));
                follow(worker, context, results_in, &jobs_probe, &assigned);
            }
        }
    }
}

/// The main dataflow's input handles and outputs, as worker 0 holds them.
struct Graph {
    documents: differential_dataflow::input::InputSession<Time, (String, DocumentKey), isize>,
    extracted: differential_dataflow::input::InputSession<Time, (String, Shared<Page>), isize>,
    corrections: differential_dataflow::input::InputSession<Time, (String, String, String), isize>,
    probe: timely::dataflow::ProbeHandle<Time>,
    staged: Rc<RefCell<Vec<Delta>>>,
}

type JobsInput = timely::dataflow::InputHandle<Time, timely::container::CapacityContainerBuilder<Vec<PageJob>>>;
type ResultsInput = timely::dataflow::InputHandle<Time, timely::container::CapacityContainerBuilder<Vec<PageDone>>>;

/// Any worker but the first: step the dataflows, give the pages routed here to the pool, send
/// what it read back to worker 0, until worker 0 closes the job stream.
fn follow(
    worker: &mut timely::worker::Worker,
    context: &WorkerContext,
    mut results_in: ResultsInput,
    jobs_probe: &timely::dataflow::ProbeHandle<Time>,
    assigned: &Rc<RefCell<Vec<PageJob>>>,
) {
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<PageDone>();
    loop {
        worker.step_or_park(Some(Duration::from_millis(5)));
        for job in assigned.borrow_mut().drain(..) {
            let tx = done_tx.clone();
            let reply = Box::new(move |done| {
                let _ = tx.send(done);
            });
            let _ = context.jobs.send(Job::Ocr { job: Box::new(job), reply });
        }
        let mut sent = false;
        for done in done_rx.try_iter() {
            results_in.send(done);
            sent = true;
        }
        if sent {
            // Exchanged data leaves at the end of an epoch: close one (nobody waits on this
            // dataflow's frontier, so its time may run ahead freely).
            let next = *results_in.time() + 1;
            results_in.advance_to(next);
        }
        if jobs_probe.done() {
            break;
        }
    }
}

/// A document whose OCR pages are out in the pool(s).
struct Waiting {
    /// Page numbers not back yet.
    remaining: BTreeSet<u32>,
    /// Pages read so far (text layer and OCR).
    pages: usize,
    /// Why pages could not be read (French).
    issues: Vec<String>,
    /// File name.
    file: String,
}

/// Worker 0 of process 0: takes commands, feeds the inputs, hands pages out, publishes.
#[allow(clippy::too_many_arguments)]
fn drive(
    worker: &mut timely::worker::Worker,
    context: &WorkerContext,
    driver: &Driver,
    graph: &mut Graph,
    mut jobs_in: JobsInput,
    assigned: &Rc<RefCell<Vec<PageJob>>>,
    returned: &Rc<RefCell<Vec<PageDone>>>,
) {
    let Some(commands) = driver.commands.lock().expect("commands lock").take() else { return };
    let state = &driver.state;
    let store = &context.store;
    let counters = &context.counters;
    let mut time: Time = 0;
    // Blobs whose pages are all in the `extracted` collection.
    let mut extracted_blobs: HashSet<String> = HashSet::new();
    // Blobs whose OCR pages are out.
    let mut waiting: HashMap<String, Waiting> = HashMap::new();
    let mut running = true;
    while running {
        let first = if waiting.is_empty() {
            match commands.recv() {
                Ok(c) => Some(c),
                Err(_) => break,
            }
        } else {
            // Pages come back through the network too: keep stepping while some are out.
            match commands.recv_timeout(Duration::from_millis(5)) {
                Ok(c) => Some(c),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            }
        };
        let mut syncs = Vec::new();
        let mut arrived = Vec::new();
        let mut failed: Vec<(String, String)> = Vec::new();
        let mut new_jobs = false;
        // Whether an input changed: only then does the dataflow's time advance.
        let mut changed = false;
        for command in first.into_iter().chain(commands.try_iter()) {
            match command {
                Command::Input(records) => {
                    changed = true;
                    for (record, diff) in records {
                        match record {
                            InputRecord::Document { key, name, blob } => {
                                graph.documents.update((blob.clone(), key.clone()), diff);
                                graph.staged.borrow_mut().push(Delta::Document(key.clone(), name.clone(), blob.clone(), diff));
                                let mut st = state.lock().expect("state lock");
                                if diff > 0 && !extracted_blobs.contains(&blob) && !st.pending.contains(&blob) {
                                    match planned_pages(store, counters, &blob) {
                                        Some(pages) => {
                                            for page in pages {
                                                graph.extracted.insert((blob.clone(), page));
                                            }
                                            extracted_blobs.insert(blob);
                                        }
                                        None => {
                                            if let Some(d) = st.dossiers.get_mut(&key.dossier) {
                                                d.failures.remove(&key.document);
                                            }
                                            st.pending.insert(blob.clone());
                                            let replies = driver.replies.clone();
                                            let reply = Box::new(move |done| {
                                                let _ = replies.send(Command::Prepared(done));
                                            });
                                            let _ = context.jobs.send(Job::Prepare {
                                                blob,
                                                dossier: key.dossier,
                                                document: key.document,
                                                name,
                                                reply,
                                            });
                                        }
                                    }
                                }
                            }
                            InputRecord::Correction { dossier, correction } => match serde_json::to_string(&correction) {
                                Ok(json) => graph.corrections.update((dossier, correction.id.clone(), json), diff),
                                Err(e) => tracing::error!(error = %e, "correction not encodable"),
                            },
                        }
                    }
                }
                Command::Prepared(PrepareDone { blob, result }) => match result {
                    Ok(prepared) => {
                        changed = true;
                        let file = prepared.jobs.first().map(|j| j.file.clone()).unwrap_or_default();
                        let mut pages = prepared.plan.native.len();
                        for page in prepared.plan.native {
                            graph.extracted.insert((blob.clone(), Shared::new(format!("{blob}:{}", page.number), page)));
                        }
                        let mut remaining = BTreeSet::new();
                        for job in prepared.jobs {
                            if let Some(page) = extract::memoized_page(store, &job.hash, job.number) {
                                counters.pages_ocr_memo.fetch_add(1, Relaxed);
                                graph.extracted.insert((blob.clone(), Shared::new(format!("{blob}:{}", page.number), page)));
                                pages += 1;
                            } else {
                                remaining.insert(job.number);
                                jobs_in.send(job);
                                new_jobs = true;
                            }
                        }
                        if remaining.is_empty() {
                            extracted_blobs.insert(blob.clone());
                            arrived.push(blob);
                        } else {
                            waiting.insert(blob, Waiting { remaining, pages, issues: Vec::new(), file });
                        }
                    }
                    Err(message) => failed.push((blob, message)),
                },
                Command::Done(done) => returned.borrow_mut().push(done),
                Command::Sync(tx) => syncs.push(tx),
                Command::Shutdown => running = false,
            }
        }
        if new_jobs {
            // Exchanged data leaves at the end of an epoch (see `follow`).
            let next = *jobs_in.time() + 1;
            jobs_in.advance_to(next);
        }
        // Let the side dataflow move: jobs out, pages back.
        worker.step();
        for job in assigned.borrow_mut().drain(..) {
            let replies = driver.replies.clone();
            let reply = Box::new(move |done| {
                let _ = replies.send(Command::Done(done));
            });
            let _ = context.jobs.send(Job::Ocr { job: Box::new(job), reply });
        }
        let mut remote = Vec::new();
        for done in returned.borrow_mut().drain(..) {
            let Some(w) = waiting.get_mut(&done.blob) else { continue };
            if !w.remaining.remove(&done.number) {
                continue;
            }
            changed = true;
            match done.page {
                Ok(page) => {
                    if done.process != 0 {
                        remote.push((done.hash.clone(), page.clone()));
                    }
                    graph.extracted.insert((done.blob.clone(), Shared::new(format!("{}:{}", done.blob, page.number), page)));
                    w.pages += 1;
                }
                Err(message) => w.issues.push(message),
            }
            if w.remaining.is_empty() {
                let w = waiting.remove(&done.blob).expect("waiting blob");
                extracted_blobs.insert(done.blob.clone());
                if w.pages == 0 {
                    let detail = w.issues.join(" ; ");
                    failed.push((done.blob, ap_operators::Error::NoReadablePage { file: w.file, detail }.to_string()));
                } else {
                    arrived.push(done.blob);
                }
            }
        }
        // Pages read by other processes go into this process's memo too, so a restart here
        // never needs them read again.
        for (hash, page) in &remote {
            extract::memoize_page(store, hash, page);
        }

        if !changed && failed.is_empty() && arrived.is_empty() && running {
            for tx in syncs {
                let _ = tx.send(());
            }
            continue;
        }
        time += 1;
        graph.documents.advance_to(time);
        graph.extracted.advance_to(time);
        graph.corrections.advance_to(time);
        graph.documents.flush();
        graph.extracted.flush();
        graph.corrections.flush();
        while graph.probe.less_than(&time) {
            worker.step();
        }
        let deltas = std::mem::take(&mut *graph.staged.borrow_mut());
        let mut st = state.lock().expect("state lock");
        publish(&mut st, deltas);
        for blob in arrived {
            st.pending.remove(&blob);
        }
        for (blob, message) in failed {
            st.pending.remove(&blob);
            let mut notices = Vec::new();
            for (dossier, d) in st.dossiers.iter_mut() {
                for (doc, (_, b)) in &d.documents {
                    if *b == blob {
                        d.failures.insert(doc.clone(), message.clone());
                        notices.push((dossier.clone(), doc.clone()));
                    }
                }
            }
            for (dossier, document) in notices {
                st.notify(&dossier, Update::DocumentFailed { document, message: message.clone() });
            }
        }
        drop(st);
        for tx in syncs {
            let _ = tx.send(());
        }
    }
}

/// One record of a dossier's text, as the dossier-level stages gather it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum Item {
    Page(String, Shared<Page>),
    Passage(Shared<Passage>),
    Piece(Shared<Piece>),
}

/// What the offence review of a dossier reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum OffenceInput {
    Text(Shared<DossierText>),
    Detected(Shared<Vec<Offence>>),
    /// A correction about an offence, as JSON.
    Correction(String),
}

/// What the answering of a dossier reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum AnswerInput {
    Text(Shared<DossierText>),
    Offences(Shared<Vec<ReviewedOffence>>),
}

/// What the draft résumé des faits of a dossier reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum SummaryInput {
    Text(Shared<DossierText>),
    Offences(Shared<Vec<ReviewedOffence>>),
    Answers(Shared<Vec<ReviewedAnswer>>),
}

/// What the answer review of a dossier reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum ReviewInput {
    Computed(Shared<Vec<Answer>>),
    /// A correction about an answer, as JSON.
    Correction(String),
}

/// A key naming content made of parts (a hash of the parts' keys).
fn content_key<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..12])
}

/// A dossier's text from its current pages, passages and pieces, in reading order.
fn dossier_text<'a>(items: impl Iterator<Item = &'a Item>) -> Shared<DossierText> {
    let mut text = DossierText::default();
    let mut keys = Vec::new();
    for item in items {
        match item {
            Item::Page(document, p) => {
                keys.push(p.key());
                text.pages.insert((document.clone(), p.number), p.arc());
            }
            Item::Passage(p) => {
                keys.push(p.key());
                text.passages.push(p.arc());
            }
            Item::Piece(p) => {
                keys.push(p.key());
                text.pieces.push(p.arc());
            }
        }
    }
    let key = content_key(keys);
    // Reading order: by document, page, position; a paragraph before its first sentence.
    text.passages.sort_by(|a, b| {
        let pos = |p: &Passage| {
            let first = p.spans.first();
            (p.first_page(), first.map_or(0, |s| s.range.start), p.kind != passage::PassageKind::Paragraph, first.map_or(0, |s| s.range.end))
        };
        (&a.document, pos(a)).cmp(&(&b.document, pos(b))).then_with(|| a.id.cmp(&b.id))
    });
    text.pieces.sort_by(|a, b| (&a.document, a.first_page).cmp(&(&b.document, b.first_page)));
    Shared::new(key, text)
}

/// One change of the dataflow's outputs (or of the documents input), staged until publication.
enum Delta {
    Document(DocumentKey, String, String, isize),
    Page(DocumentKey, Shared<Page>, isize),
    Passage(DocumentKey, Shared<Passage>, isize),
    Piece(DocumentKey, Shared<Piece>, isize),
    Correction(String, String, String, isize),
    Text(String, Shared<DossierText>, isize),
    Offences(String, Shared<Vec<ReviewedOffence>>, isize),
    Answers(String, Shared<Vec<ReviewedAnswer>>, isize),
    Summary(String, Shared<Summary>, isize),
}

/// Apply a change of a dossier-level result to its slot in the state: an insertion overwrites the
/// slot and remembers the value's content key; a retraction empties the slot only while it still
/// holds the retracted value (the new value may have been written first in the same batch).
fn set_slot<T: Default>(slot: &mut T, slot_key: &mut String, key: &str, diff: isize, value: impl FnOnce() -> T) {
    if diff > 0 {
        *slot = value();
        *slot_key = key.to_string();
    } else if slot_key == key {
        *slot = T::default();
        slot_key.clear();
    }
}

/// Apply staged changes to the state and tell subscribers. Within one batch a retraction and an
/// insertion of the same slot may come in either order: an insertion overwrites, a retraction
/// only removes the value it retracts.
fn publish(st: &mut SharedState, deltas: Vec<Delta>) {
    for delta in deltas {
        match delta {
            Delta::Document(key, name, blob, diff) => {
                let d = st.dossiers.entry(key.dossier.clone()).or_default();
                if diff > 0 {
                    d.documents.insert(key.document.clone(), (name, blob));
                } else if d.documents.get(&key.document).is_some_and(|(_, b)| *b == blob) {
                    d.documents.remove(&key.document);
                    d.failures.remove(&key.document);
                }
            }
            Delta::Page(key, page, diff) => {
                let d = st.dossiers.entry(key.dossier.clone()).or_default();
                let slot = (key.document.clone(), page.number);
                if diff > 0 {
                    d.pages.insert(slot, page.clone());
                } else if d.pages.get(&slot).is_some_and(|p| *p == page) {
                    d.pages.remove(&slot);
                }
                st.notify(&key.dossier, Update::PageText { document: key.document, page: page.number, diff });
            }
            Delta::Passage(key, passage, diff) => {
                let d = st.dossiers.entry(key.dossier.clone()).or_default();
                if diff > 0 {
                    d.passages.insert(passage.id.clone(), passage.clone());
                } else if d.passages.get(&passage.id).is_some_and(|p| *p == passage) {
                    d.passages.remove(&passage.id);
                }
                st.notify(&key.dossier, Update::Passage { id: passage.id.clone(), diff });
            }
            Delta::Piece(key, piece, diff) => {
                let d = st.dossiers.entry(key.dossier.clone()).or_default();
                let slot = (key.document.clone(), piece.first_page);
                if diff > 0 {
                    d.pieces.insert(slot, piece.clone());
                } else if d.pieces.get(&slot).is_some_and(|p| *p == piece) {
                    d.pieces.remove(&slot);
                }
                st.notify(&key.dossier, Update::Piece { document: key.document, first_page: piece.first_page, diff });
            }
            Delta::Correction(dossier, id, json, diff) => {
                let d = st.dossiers.entry(dossier.clone()).or_default();
                if diff > 0 {
                    match serde_json::from_str::<Correction>(&json) {
                        Ok(c) => {
                            d.corrections.insert(id.clone(), c);
                        }
                        Err(e) => tracing::error!(error = %e, "logged correction unreadable"),
                    }
                } else if d.corrections.get(&id).is_some_and(|c| serde_json::to_string(c).ok().as_deref() == Some(json.as_str())) {
                    d.corrections.remove(&id);
                }
                st.notify(&dossier, Update::Correction { id, diff });
            }
            Delta::Text(dossier, text, diff) => {
                let d = st.dossiers.entry(dossier).or_default();
                if diff > 0 {
                    d.text = Some(text);
                } else if d.text.as_ref().is_some_and(|t| *t == text) {
                    d.text = None;
                }
            }
            Delta::Offences(dossier, offences, diff) => {
                let d = st.dossiers.entry(dossier.clone()).or_default();
                set_slot(&mut d.offences, &mut d.analysis_keys.0, offences.key(), diff, || Vec::clone(&offences));
                st.notify(&dossier, Update::Offences);
            }
            Delta::Summary(dossier, summary, diff) => {
                let d = st.dossiers.entry(dossier.clone()).or_default();
                set_slot(&mut d.summary, &mut d.analysis_keys.2, summary.key(), diff, || Some(Summary::clone(&summary)));
                st.notify(&dossier, Update::Summary);
            }
            Delta::Answers(dossier, answers, diff) => {
                let d = st.dossiers.entry(dossier.clone()).or_default();
                set_slot(&mut d.answers, &mut d.analysis_keys.1, answers.key(), diff, || Vec::clone(&answers));
                st.notify(&dossier, Update::Answers);
            }
        }
    }
}

/// A document's pages from the memo alone: its plan, and every OCR page it names (`None` if
/// any is missing: the document is then prepared again and only its missing pages are read).
fn planned_pages(store: &Store, counters: &Counters, blob: &str) -> Option<Vec<Shared<Page>>> {
    let plan = extract::memoized_plan(store, blob)?;
    let mut pages: Vec<Page> = plan.native;
    for (number, hash) in &plan.scanned {
        pages.push(extract::memoized_page(store, hash, *number)?);
    }
    counters.pages_ocr_memo.fetch_add(plan.scanned.len(), Relaxed);
    Some(pages.into_iter().map(|p| Shared::new(format!("{blob}:{}", p.number), p)).collect())
}
