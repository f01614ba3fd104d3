//! Extraction split in two steps so that OCR, the expensive one, is memoized and spread page by
//! page.
//!
//! 1. **Prepare** (per document, on the process that holds the uploaded file): pdfium reads the
//!    text layer of every page and decides which pages need OCR. Text-layer pages are laid out
//!    right away (running headers and footers are found across the whole document, so this step
//!    needs the whole file). Every page that needs OCR becomes a [`PageJob`]: its content hash,
//!    and the page itself as a one-page PDF (the scan's own compressed image, not a rendered
//!    bitmap) or, for image files, a lossless PNG. The result (text-layer pages and the hashes of
//!    the OCR pages) is memoized by blob ([`PREPARE`]).
//! 2. **OCR** (per page, on whichever worker of whichever process the page is partitioned to):
//!    render the page at the scan's resolution and recognise it; memoized by the page's content
//!    hash ([`OCR_PAGE`]), so a document re-inserted, or another document sharing a page, never
//!    re-runs OCR on it.
//!
//! A page's content hash covers what decides its OCR: size, OCR decision, render resolution,
//! and every page object (type, bounds; an image's stored bytes, a text object's text). A page
//! holding objects this cannot see into (form XObjects, shadings…) is keyed by its document
//! blob and page number instead: still memoized, only not shared across documents.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender};

use image::GrayImage;
use pdfium_render::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use ap_operators::document::{OcrDecision, Page};
use ap_operators::input::{self, FileFormat, IngestOptions};
use ap_operators::native::NativeLibs;
use ap_operators::ocr::{self, PageImage, Reader};
use ap_operators::pdf;

use crate::engine::Counters;
use crate::store::Store;

/// Name and version of the memoized per-document step (text layer + OCR page hashes). Bump the
/// version when text-layer extraction or the OCR decision changes.
pub const PREPARE: (&str, u32) = ("prepare_document", 2);
/// Name and version of the memoized per-page OCR. Bump the version when OCR changes.
pub const OCR_PAGE: (&str, u32) = ("ocr_page", 1);

/// A page that needs OCR, with everything a worker on another machine needs to read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageJob {
    /// Blob of the document.
    pub blob: String,
    /// Dossier and document the page was first seen in (the partition key with `number`).
    pub dossier: String,
    /// Document id.
    pub document: String,
    /// File name (for messages).
    pub file: String,
    /// 1-based page number in the document.
    pub number: u32,
    /// Content hash of the page (memo key).
    pub hash: String,
    /// Page size in points.
    pub width_pt: f32,
    /// Page height in points.
    pub height_pt: f32,
    /// Resolution to render or read the picture at.
    pub dpi: u32,
    /// Why the page is read by OCR.
    #[serde(with = "crate::shared::self_described")]
    pub decision: OcrDecision,
    /// The page itself.
    pub source: PageSource,
}

/// The bytes of one page needing OCR.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PageSource {
    /// A one-page PDF (the page copied out of its document, its scan still compressed).
    Pdf(Vec<u8>),
    /// A lossless PNG of a page of an image file.
    Png(Vec<u8>),
}

/// The outcome of one OCR page job, sent back to the first worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageDone {
    /// Blob of the document.
    pub blob: String,
    /// 1-based page number.
    pub number: u32,
    /// Content hash of the page.
    pub hash: String,
    /// The page read, or why it could not be (French).
    #[serde(with = "crate::shared::self_described")]
    pub page: Result<Page, String>,
    /// Process that handled the job.
    pub process: usize,
    /// Whether OCR actually ran (false: this process's memo answered).
    pub ran: bool,
}

/// What the prepare step memoizes for a document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Text-layer pages, laid out.
    pub native: Vec<Page>,
    /// Pages needing OCR: number and content hash.
    pub scanned: Vec<(u32, String)>,
}

/// The prepare step's full result: the plan and the jobs of its OCR pages.
#[derive(Debug)]
pub struct Prepared {
    /// What is memoized.
    pub plan: Plan,
    /// One job per page of `plan.scanned`.
    pub jobs: Vec<PageJob>,
}

/// Read a document's text layer and cut out its pages needing OCR.
pub fn prepare(
    pdfium: &Pdfium,
    options: &IngestOptions,
    blob: &str,
    key: (&str, &str),
    name: &str,
    bytes: &[u8],
) -> ap_operators::Result<Prepared> {
    use ap_operators::Error;
    let limits = &options.limits;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(Error::FileTooLarge { file: name.into(), bytes: bytes.len() as u64, limit: limits.max_file_bytes });
    }
    if bytes.is_empty() {
        return Err(Error::EmptyDocument { file: name.into() });
    }
    let job = |number: u32, hash: String, width_pt, height_pt, dpi, decision, source| PageJob {
        blob: blob.into(),
        dossier: key.0.into(),
        document: key.1.into(),
        file: name.into(),
        number,
        hash,
        width_pt,
        height_pt,
        dpi,
        decision,
        source,
    };
    let prepared = match input::detect_format(bytes) {
        Some(FileFormat::Pdf) => {
            let doc = pdf::open(pdfium, bytes, name)?;
            let (raw, _issues) = pdf::read_pages(&doc, name, limits);
            let native = pdf::native_pages(&raw);
            let mut jobs = Vec::new();
            for p in raw.iter().filter(|p| p.decision.needs_ocr()) {
                // A scan is rendered at its own resolution (up to the configured one), as
                // `Ingestor` does.
                let dpi = match p.image_dpi {
                    Some(d) if d >= 50.0 => (d.round() as u32).min(options.ocr.dpi),
                    _ => options.ocr.dpi,
                };
                let Ok(page) = doc.pages().get((p.number - 1) as PdfPageIndex) else { continue };
                let hash = page_hash(&page, &p.decision, dpi).unwrap_or_else(|| {
                    hex::encode(Sha256::digest(format!("{}|{blob}|{}|{dpi}", OCR_PAGE.1, p.number)))
                });
                let Ok(single) = one_page_pdf(pdfium, &doc, p.number) else {
                    tracing::warn!(file = name, page = p.number, "page could not be copied out for OCR");
                    continue;
                };
                jobs.push(job(p.number, hash, p.width, p.height, dpi, p.decision.clone(), PageSource::Pdf(single)));
            }
            Prepared { plan: Plan { native, scanned: Vec::new() }, jobs }
        }
        Some(FileFormat::Tiff | FileFormat::Png | FileFormat::Jpeg) => {
            let images = input::decode_images(name, bytes, limits)?;
            let dpi = options.ocr.image_dpi.max(1);
            let mut jobs = Vec::new();
            for (i, image) in images.into_iter().enumerate() {
                let Ok(image) = image else { continue };
                let number = i as u32 + 1;
                let (w, h) = image.dimensions();
                let mut hasher = Sha256::new();
                hasher.update(format!("image|{}|{w}x{h}|{dpi}|", OCR_PAGE.1));
                hasher.update(image.as_raw());
                let hash = hex::encode(hasher.finalize());
                let png = encode_png(&image).map_err(|e| Error::Ocr(format!("{name}, page {number} : {e}")))?;
                jobs.push(job(
                    number,
                    hash,
                    w as f32 * 72.0 / dpi as f32,
                    h as f32 * 72.0 / dpi as f32,
                    dpi,
                    OcrDecision::ImageInput,
                    PageSource::Png(png),
                ));
            }
            Prepared { plan: Plan { native: Vec::new(), scanned: Vec::new() }, jobs }
        }
        Some(FileFormat::Zip) => {
            return Err(Error::UnsupportedFormat { file: name.into(), detail: "archive ZIP : passez par le dossier".into() });
        }
        None => {
            return Err(Error::UnsupportedFormat { file: name.into(), detail: "ni PDF, ni TIFF, ni PNG, ni JPEG, ni archive ZIP".into() });
        }
    };
    let mut prepared = prepared;
    prepared.plan.scanned = prepared.jobs.iter().map(|j| (j.number, j.hash.clone())).collect();
    if prepared.plan.native.is_empty() && prepared.jobs.is_empty() {
        return Err(Error::NoReadablePage { file: name.into(), detail: String::new() });
    }
    Ok(prepared)
}

/// Hash of what decides a page's OCR, or `None` when the page holds objects it cannot see into.
fn page_hash(page: &PdfPage<'_>, decision: &OcrDecision, dpi: u32) -> Option<String> {
    let mut h = Sha256::new();
    h.update(format!("pdf|{}|{}x{}|{dpi}|{decision:?}|", OCR_PAGE.1, page.width().value, page.height().value));
    for object in page.objects().iter() {
        let kind = object.object_type();
        let bounds = object.bounds().ok()?;
        h.update(format!("{kind:?}|{bounds:?}|"));
        match kind {
            PdfPageObjectType::Image => {
                let data = object.as_image_object()?.get_raw_image_data().ok()?;
                if data.is_empty() {
                    return None;
                }
                h.update((data.len() as u64).to_le_bytes());
                h.update(&data);
            }
            PdfPageObjectType::Text => h.update(object.as_text_object()?.text().as_bytes()),
            PdfPageObjectType::Path => {}
            _ => return None,
        }
    }
    Some(hex::encode(h.finalize()))
}

/// Page `number` (1-based) of `doc` alone in a new PDF.
fn one_page_pdf(pdfium: &Pdfium, doc: &PdfDocument<'_>, number: u32) -> Result<Vec<u8>, PdfiumError> {
    let mut single = pdfium.create_new_pdf()?;
    let index = (number - 1) as PdfPageIndex;
    single.pages_mut().copy_page_range_from_document(doc, index..=index, 0)?;
    single.save_to_bytes()
}

fn encode_png(image: &GrayImage) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

/// Render (or decode) a job's page and recognise it.
pub fn ocr_job(pdfium: Option<&Pdfium>, reader: &mut Option<Reader>, job: &PageJob, options: &IngestOptions) -> Result<Page, String> {
    let where_ = || format!("{}, page {}", job.file, job.number);
    let image = match &job.source {
        PageSource::Pdf(bytes) => {
            let pdfium = pdfium.ok_or_else(|| "la bibliothèque pdfium n'est pas disponible sur ce serveur".to_string())?;
            let doc = pdf::open(pdfium, bytes, &job.file).map_err(|e| format!("{} : {e}", where_()))?;
            pdf::render_page(&doc, 1, job.dpi, &options.limits).map_err(|e| format!("{} : {e}", where_()))?.0
        }
        PageSource::Png(bytes) => image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
            .map_err(|e| format!("{} : image illisible ({e})", where_()))?
            .to_luma8(),
    };
    if reader.is_none() {
        *reader = Some(Reader::new(&options.ocr.language, options.ocr.page_budget).map_err(|e| e.to_string())?);
    }
    let input = PageImage {
        number: job.number,
        image,
        width_pt: job.width_pt,
        height_pt: job.height_pt,
        dpi: job.dpi,
        decision: job.decision.clone(),
    };
    ocr::read_page(reader.as_mut().expect("reader set"), &input, &options.ocr).map_err(|e| format!("{} : {e}", where_()))
}

/// A memoized OCR page, renumbered to `number` (a page shared by two documents may sit at
/// different places in them).
pub fn memoized_page(store: &Store, hash: &str, number: u32) -> Option<Page> {
    let json = store.memo_get(OCR_PAGE.0, OCR_PAGE.1, hash).ok()??;
    let mut page: Page = serde_json::from_slice(&json).ok()?;
    page.number = number;
    Some(page)
}

/// Record an OCR page in the memo.
pub fn memoize_page(store: &Store, hash: &str, page: &Page) {
    match serde_json::to_vec(page) {
        Ok(json) => {
            if let Err(e) = store.memo_put(OCR_PAGE.0, OCR_PAGE.1, hash, &json) {
                tracing::warn!(error = %e, "memo write failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "memo encode failed"),
    }
}

/// Work for a process's extraction pool.
pub(crate) enum Job {
    /// Prepare a document (first process only); the result goes to `reply`.
    Prepare { blob: String, dossier: String, document: String, name: String, reply: Box<dyn FnOnce(PrepareDone) + Send> },
    /// Read one page; the result goes to `reply`.
    Ocr { job: Box<PageJob>, reply: Box<dyn FnOnce(PageDone) + Send> },
}

/// The outcome of a prepare job.
pub(crate) struct PrepareDone {
    pub blob: String,
    pub result: Result<Prepared, String>,
}

/// A process's pool of extraction threads. Dropping every sender of its jobs stops it.
pub(crate) struct Pool {
    pub jobs: Sender<Job>,
    pub threads: Vec<std::thread::JoinHandle<()>>,
    pub stopping: Arc<AtomicBool>,
}

impl Pool {
    pub fn start(threads: usize, store: Arc<Store>, options: IngestOptions, native: NativeLibs, counters: Arc<Counters>, process: usize) -> Self {
        let (jobs, rx) = crossbeam_channel::unbounded::<Job>();
        let stopping = Arc::new(AtomicBool::new(false));
        let threads = (0..threads.max(1))
            .map(|i| {
                let (rx, store, options, native, counters, stopping) =
                    (rx.clone(), store.clone(), options.clone(), native.clone(), counters.clone(), stopping.clone());
                std::thread::Builder::new()
                    .name(format!("extraction-{i}"))
                    .spawn(move || pool_thread(rx, store, options, native, counters, stopping, process))
                    .expect("spawn extraction thread")
            })
            .collect();
        Self { jobs, threads, stopping }
    }

    /// Stop: queued jobs are dropped, running ones finish.
    pub fn stop(self) {
        self.stopping.store(true, Ordering::Relaxed);
        drop(self.jobs);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn pool_thread(
    jobs: Receiver<Job>,
    store: Arc<Store>,
    options: IngestOptions,
    native: NativeLibs,
    counters: Arc<Counters>,
    stopping: Arc<AtomicBool>,
    process: usize,
) {
    let pdfium = match native.pdfium() {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::error!(error = %e, "pdfium unavailable; documents cannot be extracted");
            None
        }
    };
    let mut reader: Option<Reader> = None;
    for job in jobs {
        if stopping.load(Ordering::Relaxed) {
            continue; // the engine is closing: drain without working
        }
        match job {
            Job::Prepare { blob, dossier, document, name, reply } => {
                counters.extractions.fetch_add(1, Ordering::Relaxed);
                let result = match (pdfium, store.blob(&blob)) {
                    (Some(pdfium), Ok(bytes)) => {
                        prepare(pdfium, &options, &blob, (&dossier, &document), &name, &bytes).map_err(|e| e.to_string())
                    }
                    (None, _) => Err("la bibliothèque pdfium n'est pas disponible sur le serveur".to_string()),
                    (_, Err(e)) => Err(e.to_string()),
                };
                if let Ok(prepared) = &result {
                    match serde_json::to_vec(&prepared.plan) {
                        Ok(json) => {
                            if let Err(e) = store.memo_put(PREPARE.0, PREPARE.1, &blob, &json) {
                                tracing::warn!(error = %e, "memo write failed");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "memo encode failed"),
                    }
                }
                reply(PrepareDone { blob, result });
            }
            Job::Ocr { job, reply } => {
                let (page, ran) = match memoized_page(&store, &job.hash, job.number) {
                    Some(page) => {
                        counters.pages_ocr_memo.fetch_add(1, Ordering::Relaxed);
                        (Ok(page), false)
                    }
                    None => {
                        counters.pages_ocr_run.fetch_add(1, Ordering::Relaxed);
                        let page = ocr_job(pdfium, &mut reader, &job, &options);
                        if let Ok(page) = &page {
                            memoize_page(&store, &job.hash, page);
                        }
                        (page, true)
                    }
                };
                reply(PageDone { blob: job.blob, number: job.number, hash: job.hash, page, process, ran });
            }
        }
    }
}

/// A memoized plan.
pub fn memoized_plan(store: &Store, blob: &str) -> Option<Plan> {
    let json = store.memo_get(PREPARE.0, PREPARE.1, blob).ok()??;
    serde_json::from_slice(&json).ok()
}

/// The worker a page job goes to: consecutive pages of a document go to consecutive workers
/// (offset by a hash of the dossier and document), so a large document is spread evenly.
pub fn page_route(dossier: &str, document: &str, number: u32) -> u64 {
    let digest = Sha256::digest(format!("{dossier}\u{0}{document}").as_bytes());
    let offset = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
    offset.wrapping_add(u64::from(number))
}
