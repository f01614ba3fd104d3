//! The engine: one dataflow thread, a pool for expensive operators, a durable input log.
//!
//! ```text
//!  add_document / remove_document / correct ──► input log (fsync) ──► command channel
//!                                                                        │
//!             ┌──────────────────────── dataflow thread (timely worker) ◄┘
//!             │  documents ⋈ extracted pages (by content hash) ──► page texts ──► state, subscribers
//!             │  corrections ─────────────────────────────────────► state, subscribers
//!             └─► memo miss: job to the extraction pool ──► memo ──► `extracted` input (later update)
//! ```
//!
//! Expensive work never runs on the dataflow thread: a document whose text is not memoized is
//! sent to the pool, and its pages come back as later updates of the `extracted` collection, so a
//! slow document never blocks the others. Extracted pages are facts about a content hash: the join
//! with the `documents` collection decides which of them are current, so retracting a document
//! withdraws its pages downstream, and re-inserting it finds its text in the memo without
//! re-running OCR. The same holds across restarts: the log is replayed, the memo is on disk.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use differential_dataflow::input::Input as _;
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
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;

use crate::analysis::{ReviewedAnswer, ReviewedOffence, review_answers, review_offences};
use crate::shared::Shared;
use crate::store::Store;
use crate::{Correction, Error, Result};

/// Name and version of the memoized extraction operator. Bump the version when extraction
/// changes: old results are then ignored and recomputed.
pub const EXTRACTION: (&str, u32) = ("extract_document", 1);

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
    Extracted { blob: String, pages: Vec<Shared<Page>> },
    /// A document could not be read; `message` is for the user.
    Failed { blob: String, message: String },
    Sync(Sender<()>),
    /// Stop the dataflow thread (its job sender then closes, which stops the pool).
    Shutdown,
}

/// Counters of operator invocations, for tests and benches.
#[derive(Debug, Default)]
pub struct Counters {
    /// Extraction jobs actually run (memo misses).
    pub extractions: std::sync::atomic::AtomicUsize,
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

/// Options of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Threads of the extraction pool (OCR inside a document is parallel too).
    pub extraction_threads: usize,
    /// Ingestion options (limits, OCR settings).
    pub ingest: IngestOptions,
    /// Where the native libraries are.
    pub native: NativeLibs,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self { extraction_threads: 1, ingest: IngestOptions::default(), native: NativeLibs::default() }
    }
}

/// A running engine over one data directory.
pub struct Engine {
    store: Arc<Store>,
    state: Arc<Mutex<SharedState>>,
    commands: Sender<Command>,
    counters: Arc<Counters>,
    dataflow: Option<JoinHandle<()>>,
    pool: Vec<JoinHandle<()>>,
    jobs: Option<Sender<(String, String)>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Open the engine on `data_dir`, replaying its input log.
    pub fn open(data_dir: &Path, options: EngineOptions) -> Result<Self> {
        let store = Arc::new(Store::open(data_dir)?);
        let state = Arc::new(Mutex::new(SharedState::default()));
        let counters = Arc::new(Counters::default());
        let (commands, command_rx) = crossbeam_channel::unbounded::<Command>();
        let (jobs, job_rx) = crossbeam_channel::unbounded::<(String, String)>();

        let mut pool = Vec::new();
        for i in 0..options.extraction_threads.max(1) {
            let job_rx = job_rx.clone();
            let store = store.clone();
            let commands = commands.clone();
            let options = options.clone();
            let counters = counters.clone();
            pool.push(
                std::thread::Builder::new()
                    .name(format!("extraction-{i}"))
                    .spawn(move || extraction_worker(job_rx, store, commands, options, counters))
                    .expect("spawn extraction thread"),
            );
        }

        let dataflow = {
            let store = store.clone();
            let state = state.clone();
            let counters = counters.clone();
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name("dataflow".into())
                .spawn(move || run_dataflow(command_rx, store, state, counters, jobs))
                .expect("spawn dataflow thread")
        };

        let engine = Self { store, state, commands, counters, dataflow: Some(dataflow), pool, jobs: Some(jobs) };
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
        self.jobs.take();
        // The dataflow thread stops on `Shutdown`; dropping its job sender then stops the pool.
        let _ = self.commands.send(Command::Shutdown);
        if let Some(h) = self.dataflow.take() {
            let _ = h.join();
        }
        for h in self.pool.drain(..) {
            let _ = h.join();
        }
    }
}

fn extraction_worker(
    jobs: Receiver<(String, String)>,
    store: Arc<Store>,
    commands: Sender<Command>,
    options: EngineOptions,
    counters: Arc<Counters>,
) {
    let pdfium = match options.native.pdfium() {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::error!(error = %e, "pdfium unavailable; documents cannot be extracted");
            None
        }
    };
    for (blob, name) in jobs {
        counters.extractions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = match (pdfium, store.blob(&blob)) {
            (Some(pdfium), Ok(bytes)) => Ingestor::new(pdfium, options.ingest.clone())
                .ingest_file(&blob, &name, &bytes)
                .map(|doc| doc.pages)
                .map_err(|e| e.to_string()),
            (None, _) => Err("la bibliothèque pdfium n'est pas disponible sur le serveur".to_string()),
            (_, Err(e)) => Err(e.to_string()),
        };
        match result {
            Ok(pages) => {
                match serde_json::to_vec(&pages) {
                    Ok(json) => {
                        if let Err(e) = store.memo_put(EXTRACTION.0, EXTRACTION.1, &blob, &json) {
                            tracing::warn!(error = %e, "memo write failed");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "memo encode failed"),
                }
                let pages = pages.into_iter().map(|p| Shared::new(format!("{blob}:{}", p.number), p)).collect();
                let _ = commands.send(Command::Extracted { blob, pages });
            }
            Err(message) => {
                let _ = commands.send(Command::Failed { blob, message });
            }
        }
    }
}

type Time = u64;

fn run_dataflow(
    commands: Receiver<Command>,
    store: Arc<Store>,
    state: Arc<Mutex<SharedState>>,
    counters: Arc<Counters>,
    jobs: Sender<(String, String)>,
) {
    timely::execute_directly(move |worker| {
        // Outputs are staged while the dataflow steps and published in one go once it has caught
        // up with the inputs, so readers never see a half-computed state (pages without their
        // passages, a passage withdrawn but its fix not yet inserted).
        let staged: Rc<RefCell<Vec<Delta>>> = Rc::new(RefCell::new(Vec::new()));
        let page_sink = staged.clone();
        let correction_sink = staged.clone();
        let page_counter = counters.clone();
        let (mut documents, mut extracted, mut corrections, probe) = worker.dataflow::<Time, _, _>(|scope| {
            // (blob, document): which documents are current, keyed by their content.
            let (documents, document_coll) = scope.new_collection::<(String, DocumentKey), isize>();
            // (blob, page): extraction results, facts about a content hash.
            let (extracted, extracted_coll) = scope.new_collection::<(String, Shared<Page>), isize>();
            // (dossier, correction id, correction as JSON): current corrections.
            let (corrections, correction_coll) = scope.new_collection::<(String, String, String), isize>();

            let page_texts = document_coll
                .join_map(extracted_coll, |_blob, key, page| (key.clone(), page.clone()))
                .consolidate();
            let (probe, page_texts) = page_texts
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
                .consolidate()
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
            let current_passages = fixed
                .concat(unfixed)
                .consolidate()
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
            let texts = texts
                .inspect(move |((dossier, text), _time, diff)| {
                    text_sink.borrow_mut().push(Delta::Text(dossier.clone(), text.clone(), *diff));
                })
                .probe_with(&probe);
            let detect_counter = counters.clone();
            let detected = texts.clone().reduce(move |_dossier, texts: &[(&Shared<DossierText>, isize)], out| {
                if let Some((text, _)) = texts.first() {
                    detect_counter.detections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    out.push((Shared::new(text.key(), offence::detect(text, Domain::get())), 1));
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
            summaries
                .inspect(move |((dossier, summary), _time, diff)| {
                    summary_sink.borrow_mut().push(Delta::Summary(dossier.clone(), summary.clone(), *diff));
                })
                .probe_with(&probe);
            let offence_sink = staged.clone();
            reviewed_offences
                .inspect(move |((dossier, offences), _time, diff)| {
                    offence_sink.borrow_mut().push(Delta::Offences(dossier.clone(), offences.clone(), *diff));
                })
                .probe_with(&probe);
            let answer_sink = staged.clone();
            reviewed_answers
                .inspect(move |((dossier, answers), _time, diff)| {
                    answer_sink.borrow_mut().push(Delta::Answers(dossier.clone(), answers.clone(), *diff));
                })
                .probe_with(&probe);

            correction_coll
                .consolidate()
                .inspect(move |((dossier, id, json), _time, diff)| {
                    correction_sink.borrow_mut().push(Delta::Correction(dossier.clone(), id.clone(), json.clone(), *diff));
                })
                .probe_with(&probe);
            (documents, extracted, corrections, probe)
        });

        let mut time: Time = 0;
        // Blobs whose pages are already in the `extracted` collection.
        let mut extracted_blobs: HashSet<String> = HashSet::new();
        let mut running = true;
        while running {
            let Ok(first) = commands.recv() else { break };
            let mut syncs = Vec::new();
            let mut arrived = Vec::new();
            let mut failed: Vec<(String, String)> = Vec::new();
            for command in std::iter::once(first).chain(commands.try_iter()) {
                match command {
                    Command::Input(records) => {
                        for (record, diff) in records {
                            match record {
                                InputRecord::Document { key, name, blob } => {
                                    documents.update((blob.clone(), key.clone()), diff);
                                    staged.borrow_mut().push(Delta::Document(key.clone(), name.clone(), blob.clone(), diff));
                                    let mut st = state.lock().expect("state lock");
                                    if diff > 0 && !extracted_blobs.contains(&blob) && !st.pending.contains(&blob) {
                                        match memoized_pages(&store, &blob) {
                                            Some(pages) => {
                                                for page in pages {
                                                    extracted.insert((blob.clone(), page));
                                                }
                                                extracted_blobs.insert(blob);
                                            }
                                            None => {
                                                if let Some(d) = st.dossiers.get_mut(&key.dossier) {
                                                    d.failures.remove(&key.document);
                                                }
                                                st.pending.insert(blob.clone());
                                                let _ = jobs.send((blob, name));
                                            }
                                        }
                                    }
                                }
                                InputRecord::Correction { dossier, correction } => match serde_json::to_string(&correction) {
                                    Ok(json) => corrections.update((dossier, correction.id.clone(), json), diff),
                                    Err(e) => tracing::error!(error = %e, "correction not encodable"),
                                },
                            }
                        }
                    }
                    Command::Extracted { blob, pages } => {
                        if extracted_blobs.insert(blob.clone()) {
                            for page in pages {
                                extracted.insert((blob.clone(), page));
                            }
                        }
                        arrived.push(blob);
                    }
                    Command::Failed { blob, message } => failed.push((blob, message)),
                    Command::Sync(tx) => syncs.push(tx),
                    Command::Shutdown => running = false,
                }
            }
            time += 1;
            documents.advance_to(time);
            extracted.advance_to(time);
            corrections.advance_to(time);
            documents.flush();
            extracted.flush();
            corrections.flush();
            while probe.less_than(&time) {
                worker.step();
            }
            let deltas = std::mem::take(&mut *staged.borrow_mut());
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
    });
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
                if diff > 0 {
                    d.offences = Vec::clone(&offences);
                    d.analysis_keys.0 = offences.key().to_string();
                } else if d.analysis_keys.0 == offences.key() {
                    d.offences.clear();
                    d.analysis_keys.0.clear();
                }
                st.notify(&dossier, Update::Offences);
            }
            Delta::Summary(dossier, summary, diff) => {
                let d = st.dossiers.entry(dossier.clone()).or_default();
                if diff > 0 {
                    d.summary = Some(Summary::clone(&summary));
                    d.analysis_keys.2 = summary.key().to_string();
                } else if d.analysis_keys.2 == summary.key() {
                    d.summary = None;
                    d.analysis_keys.2.clear();
                }
                st.notify(&dossier, Update::Summary);
            }
            Delta::Answers(dossier, answers, diff) => {
                let d = st.dossiers.entry(dossier.clone()).or_default();
                if diff > 0 {
                    d.answers = Vec::clone(&answers);
                    d.analysis_keys.1 = answers.key().to_string();
                } else if d.analysis_keys.1 == answers.key() {
                    d.answers.clear();
                    d.analysis_keys.1.clear();
                }
                st.notify(&dossier, Update::Answers);
            }
        }
    }
}

fn memoized_pages(store: &Store, blob: &str) -> Option<Vec<Shared<Page>>> {
    let json = store.memo_get(EXTRACTION.0, EXTRACTION.1, blob).ok()??;
    let pages: Vec<Page> = serde_json::from_slice(&json).ok()?;
    Some(pages.into_iter().map(|p| Shared::new(format!("{blob}:{}", p.number), p)).collect())
}
