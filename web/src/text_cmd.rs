//! `assistant-parquet text` and `pdf`: give the procédure back with its text.
//!
//! `text` prints a dossier's text page by page in reading order, saying how each page was read
//! (text layer, or OCR with its confidence); `--json` adds every word with its box. `pdf` writes
//! a document as a searchable PDF: the original pages, with an invisible OCR text layer on the
//! scanned ones. Both apply the OCR fixes users made (engine corrections).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use ap_engine::Engine;
use ap_operators::document::ExtractionMethod;
use ap_operators::searchable;
use serde::Serialize;

use crate::dossier_cmd::EngineArgs;

/// Flags of `text`.
#[derive(Debug, clap::Args)]
pub struct TextArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[arg(long)]
    pub dossier: String,
    /// Only this document (its id, as `show` lists it).
    #[arg(long)]
    pub document: Option<String>,
    /// Only these pages, `A..B` (inclusive) or `A`.
    #[arg(long, value_parser = parse_pages)]
    pub pages: Option<(u32, u32)>,
    /// Words with their boxes (PDF points, top-left origin), as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `pdf`.
#[derive(Debug, clap::Args)]
pub struct PdfArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[arg(long)]
    pub dossier: String,
    /// The document's id, as `show` lists it.
    #[arg(long)]
    pub document: String,
    /// Where to write the searchable PDF.
    #[arg(long)]
    pub out: PathBuf,
}

fn parse_pages(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("pages attendues sous la forme A..B ou A, reçu « {s} »");
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?),
        None => {
            let a = s.trim().parse().map_err(|_| bad())?;
            (a, a)
        }
    };
    if a == 0 || b < a { Err(bad()) } else { Ok((a, b)) }
}

#[derive(Debug, Serialize)]
struct PageJson<'a> {
    document: &'a str,
    page: u32,
    width: f32,
    height: f32,
    method: &'static str,
    confidence: Option<f32>,
    text: String,
    words: Vec<WordJson>,
}

#[derive(Debug, Serialize)]
struct WordJson {
    text: String,
    bbox: [f32; 4],
    confidence: Option<f32>,
}

/// `text`.
pub fn text(args: TextArgs) -> Result<()> {
    let engine = args.engine.open()?;
    engine.sync()?;
    let documents: Vec<String> = engine
        .with_dossier(&args.dossier, |d| d.documents.keys().cloned().collect())
        .with_context(|| format!("dossier inconnu : {}", args.dossier))?;
    let documents: Vec<String> = match &args.document {
        Some(doc) if documents.contains(doc) => vec![doc.clone()],
        Some(doc) => bail!("document inconnu dans le dossier {} : {doc}", args.dossier),
        None => documents,
    };
    let mut json_pages = Vec::new();
    for document in &documents {
        let Some(text) = engine.document_text(&args.dossier, document) else { continue };
        for page in &text.pages {
            if let Some((a, b)) = args.pages
                && (page.number < a || page.number > b)
            {
                continue;
            }
            let body = searchable::fixed_text(page, &text.fixes);
            let method = match page.method {
                ExtractionMethod::Native => "couche texte",
                ExtractionMethod::Ocr => "OCR",
            };
            if args.json {
                let words = match searchable::fixed_layer(page, &text.fixes) {
                    Some(layer) => layer.words.into_iter().map(|w| WordJson { text: w.text, bbox: w.bbox.to_array(), confidence: None }).collect(),
                    None => page.words.iter().map(|w| WordJson { text: w.text.clone(), bbox: w.bbox.to_array(), confidence: w.confidence }).collect(),
                };
                json_pages.push(PageJson {
                    document,
                    page: page.number,
                    width: page.width,
                    height: page.height,
                    method: if page.method == ExtractionMethod::Ocr { "ocr" } else { "text_layer" },
                    confidence: page.confidence,
                    text: body,
                    words,
                });
            } else {
                let confidence = page.confidence.map(|c| format!(", confiance {c:.0} %")).unwrap_or_default();
                println!("=== {document}, page {} ({method}{confidence}) ===", page.number);
                println!("{body}");
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_pages)?);
    }
    Ok(())
}

/// The searchable PDF of a document, as bytes.
pub fn searchable_pdf(engine: &Engine, native: &ap_operators::native::NativeLibs, dossier: &str, document: &str) -> Result<Vec<u8>> {
    let (name, _) = engine.document(dossier, document).with_context(|| format!("document inconnu : {document}"))?;
    let bytes = engine.document_bytes(dossier, document)?;
    let text = engine.document_text(dossier, document).with_context(|| format!("{name} n'a pas encore été lu"))?;
    let layers: Vec<_> = text.pages.iter().filter_map(|p| searchable::fixed_layer(p, &text.fixes)).collect();
    if ap_operators::input::detect_format(&bytes) != Some(ap_operators::input::FileFormat::Pdf) {
        bail!("{name} n'est pas un PDF : la version consultable n'est produite que pour les PDF");
    }
    Ok(searchable::add_text_layers(native.pdfium()?, &bytes, &name, &layers)?)
}

/// `pdf`.
pub fn pdf(args: PdfArgs) -> Result<()> {
    let engine = args.engine.open()?;
    engine.sync()?;
    let native = ap_operators::native::NativeLibs::new(args.engine.lib_dir.as_deref());
    let bytes = searchable_pdf(&engine, &native, &args.dossier, &args.document)?;
    std::fs::write(&args.out, bytes).with_context(|| format!("écriture de {}", args.out.display()))?;
    eprintln!("PDF consultable écrit : {}", args.out.display());
    Ok(())
}
