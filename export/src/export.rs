//! [`Exporter`]: one or many dossiers into the nine Parquet files of an export.
//!
//! Rows are produced straight from the engine's state (documents, pages, passages, pieces,
//! corrections), the dossier's offences and answers, and its workspace annotations, and handed
//! to one [`TableWriter`] per table as they are produced: nothing but the current record batch
//! is materialised. The row structs below mirror the schemas of [`crate::schema`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use ap_engine::{Change, Correction, DossierState};
use ap_operators::dossier::Citation;
use ap_operators::document::{BBox, ExtractionMethod, OcrDecision, Page};
use ap_operators::passage::{Passage, PassageKind};
use ap_operators::piece::Piece;
use serde::Serialize;

use crate::annotations::Annotation;
use crate::schema::TABLES;
use crate::writer::TableWriter;
use crate::{Error, Result};

/// An offence of a dossier as the export needs it (the detection operator's output, with the
/// users' verdict when there is one).
#[derive(Debug, Clone, PartialEq)]
pub struct OffenceExport {
    /// Taxonomy category id.
    pub category: String,
    pub label: String,
    /// (article id, article text).
    pub articles: Vec<(String, String)>,
    /// Taxonomy ids of the aggravating circumstances.
    pub aggravations: Vec<String>,
    pub confidence: f32,
    pub evidence: Vec<Citation>,
    /// (document, first page) of the pieces it rests on.
    pub pieces: Vec<(String, u32)>,
    /// Users' verdict (`confirmed`, `rejected`, `added`), if any.
    pub corrected: Option<String>,
}

/// One version of a conflicting answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerVersionExport {
    pub value: Option<serde_json::Value>,
    pub text: String,
    pub citations: Vec<Citation>,
}

/// An answer of a dossier as the export needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerExport {
    /// Question id (also the answer id within its dossier).
    pub question: String,
    pub wording: String,
    /// Offence category the question belongs to; `None` for common questions.
    pub category: Option<String>,
    /// `found`, `not_found` or `conflicting`.
    pub status: String,
    pub value: Option<serde_json::Value>,
    /// The French sentence shown to the magistrate.
    pub text: String,
    pub confidence: f32,
    pub citations: Vec<Citation>,
    pub versions: Vec<AnswerVersionExport>,
    /// Users' verdict (`accepted`, `edited`, `rejected`), if any.
    pub corrected: Option<String>,
    /// The machine's sentence, when a user replaced it (`edited`).
    pub machine_text: Option<String>,
}

/// Everything exported about one dossier.
#[derive(Debug, Clone, Copy)]
pub struct DossierExport<'a> {
    pub dossier: &'a str,
    pub state: &'a DossierState,
    pub offences: &'a [OffenceExport],
    pub answers: &'a [AnswerExport],
    pub annotations: &'a [Annotation],
}

/// Files written and their row counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportSummary {
    /// (table, file, rows), in [`TABLES`] order.
    pub tables: Vec<(String, PathBuf, u64)>,
    pub dossiers: usize,
}

/// The offences and answers the engine holds for a dossier (users' reviews applied), as the
/// export writes them.
pub fn engine_outputs(state: &DossierState) -> (Vec<OffenceExport>, Vec<AnswerExport>) {
    let verdict = |review: &Option<ap_engine::analysis::Review>| {
        review.as_ref().and_then(|r| serde_json::to_value(r.kind).ok()).and_then(|v| v.as_str().map(str::to_string))
    };
    let offences = state
        .offences
        .iter()
        .map(|r| {
            let o = &r.offence;
            OffenceExport {
                category: o.category.clone(),
                label: o.label.clone(),
                articles: o.articles.iter().map(|a| (a.id.clone(), a.text.clone())).collect(),
                aggravations: o.aggravations.clone(),
                confidence: o.confidence,
                evidence: o.evidence.clone(),
                pieces: o.pieces.clone(),
                corrected: verdict(&r.review),
            }
        })
        .collect();
    let answers = state
        .answers
        .iter()
        .map(|r| {
            let a = &r.answer;
            AnswerExport {
                question: a.question.clone(),
                wording: a.wording.clone(),
                category: a.category.clone(),
                status: serde_json::to_value(a.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
                value: a.value.clone(),
                text: a.text.clone(),
                confidence: a.confidence,
                citations: a.citations.clone(),
                versions: a
                    .versions
                    .iter()
                    .map(|v| AnswerVersionExport { value: Some(v.value.clone()), text: v.text.clone(), citations: v.citations.clone() })
                    .collect(),
                corrected: verdict(&r.review),
                machine_text: r.machine.as_ref().map(|m| m.text.clone()),
            }
        })
        .collect();
    (offences, answers)
}

/// Versions recorded on every answer row.
fn operators_version() -> String {
    let (name, version) = ap_engine::engine::EXTRACTION;
    format!("{name}@{version}")
}

/// The nine table writers of an export in progress.
#[derive(Debug)]
pub struct Exporter {
    writers: BTreeMap<&'static str, TableWriter>,
    exported_at: i64,
    dossiers: usize,
}

impl Exporter {
    /// Create the files in `dir` (created if needed; existing export files are replaced).
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut writers = BTreeMap::new();
        for table in TABLES {
            writers.insert(table, TableWriter::create(dir, table)?);
        }
        let exported_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
        Ok(Self { writers, exported_at, dossiers: 0 })
    }

    fn push<R: Serialize>(&mut self, table: &'static str, row: &R) -> Result<()> {
        self.writers.get_mut(table).expect("every table has a writer").push(row)
    }

    /// Append one dossier's rows to every table.
    pub fn add(&mut self, d: &DossierExport<'_>) -> Result<()> {
        let s = d.state;
        let dossier = d.dossier;
        let piece_id = |document: &str, page: u32| piece_at(s, document, page).map(piece_key);

        for (id, (name, blob)) in &s.documents {
            let pages = s.pages.range((id.clone(), 0)..=(id.clone(), u32::MAX)).count() as u32;
            self.push(
                "documents",
                &DocumentRow { dossier, document: id, name, sha256: blob, pages, failure: s.failures.get(id).map(String::as_str) },
            )?;
        }

        for ((document, number), page) in &s.pages {
            let page: &Page = page;
            self.push(
                "pages",
                &PageRow {
                    dossier,
                    document,
                    page: *number,
                    width: page.width,
                    height: page.height,
                    method: match page.method {
                        ExtractionMethod::Native => "native",
                        ExtractionMethod::Ocr => "ocr",
                    },
                    ocr_decision: decision_reason(&page.ocr_decision),
                    ocr_decision_detail: serde_json::to_string(&page.ocr_decision).unwrap_or_default(),
                    ocr_confidence: page.confidence,
                    rotation: page.rotation,
                    skew_deg: page.skew_deg,
                    chars: page.text.chars().count() as u32,
                    words: page.words.len() as u32,
                    piece: piece_id(document, *number),
                    text: &page.text,
                },
            )?;
        }

        // Passages in reading order: by document, then by position of their first span.
        let mut passages: Vec<&Passage> = s.passages.values().map(|p| &**p).collect();
        passages.sort_by(|a, b| {
            let key = |p: &Passage| (p.document.clone(), p.first_page(), p.spans.first().map_or(0, |s| s.range.start), p.kind == PassageKind::Sentence);
            key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
        });
        for p in passages {
            let original = original_text(s, p);
            self.push(
                "passages",
                &PassageRow {
                    dossier,
                    passage: &p.id,
                    kind: match p.kind {
                        PassageKind::Sentence => "sentence",
                        PassageKind::Paragraph => "paragraph",
                    },
                    document: &p.document,
                    first_page: p.first_page(),
                    piece: piece_id(&p.document, p.first_page()),
                    text: &p.text,
                    ocr_fixed: original.is_some_and(|o| o != p.text),
                    spans: p
                        .spans
                        .iter()
                        .map(|sp| SpanRow {
                            page: sp.page,
                            start: sp.range.start as u32,
                            end: sp.range.end as u32,
                            boxes: sp.boxes.iter().map(BoxRow::from).collect(),
                        })
                        .collect(),
                },
            )?;
        }

        for piece in s.pieces.values() {
            self.push(
                "pieces",
                &PieceRow {
                    dossier,
                    piece: piece_key(piece),
                    kind: piece.kind.id(),
                    document: &piece.document,
                    first_page: piece.first_page,
                    last_page: piece.last_page,
                    title: &piece.title,
                    persons: piece.persons.iter().map(|p| PersonRow { nom: &p.nom, prenom: p.prenom.as_deref() }).collect(),
                },
            )?;
        }

        for o in d.offences {
            self.push(
                "offences",
                &OffenceRow {
                    dossier,
                    offence: &o.category,
                    label: &o.label,
                    articles: o.articles.iter().map(|(id, text)| ArticleRow { id, text }).collect(),
                    aggravations: o.aggravations.iter().map(String::as_str).collect(),
                    confidence: o.confidence,
                    evidence: o.evidence.iter().map(NestedCitation::from).collect(),
                    pieces: o.pieces.iter().map(|(document, page)| PieceRef { document, page: *page }).collect(),
                    corrected: o.corrected.as_deref(),
                },
            )?;
        }

        // The latest correction of each answer, for who and when.
        let mut answer_corrections: BTreeMap<&str, &Correction> = BTreeMap::new();
        for c in s.corrections.values() {
            if let Some(answer) = answer_target(&c.change) {
                let newer = answer_corrections.get(answer).is_none_or(|old| (old.time.as_str(), old.id.as_str()) < (c.time.as_str(), c.id.as_str()));
                if newer {
                    answer_corrections.insert(answer, c);
                }
            }
        }
        let operators = operators_version();
        for a in d.answers {
            let correction = answer_corrections.get(a.question.as_str());
            self.push(
                "answers",
                &AnswerRow {
                    dossier,
                    answer: &a.question,
                    question: &a.question,
                    wording: &a.wording,
                    category: a.category.as_deref(),
                    status: &a.status,
                    value: a.value.as_ref().map(Value::to_string),
                    text: &a.text,
                    confidence: a.confidence,
                    citations: a.citations.len() as u32,
                    versions: a
                        .versions
                        .iter()
                        .map(|v| VersionRow { value: v.value.as_ref().map(Value::to_string), text: &v.text, citations: v.citations.len() as u32 })
                        .collect(),
                    corrected: a.corrected.as_deref(),
                    corrected_by: correction.map(|c| c.author.as_str()),
                    corrected_at: correction.and_then(|c| parse_time(&c.time)),
                    engine_version: env!("CARGO_PKG_VERSION"),
                    operators_version: &operators,
                    exported_at: self.exported_at,
                },
            )?;
            let main = a.citations.iter().map(|c| (None, c));
            let versions = a.versions.iter().enumerate().flat_map(|(i, v)| v.citations.iter().map(move |c| (Some(i as u32), c)));
            for (index, (version, c)) in main.chain(versions).enumerate() {
                self.push(
                    "citations",
                    &CitationRow {
                        dossier,
                        answer: &a.question,
                        citation: index as u32,
                        version,
                        passage: &c.passage,
                        document: &c.document,
                        page: c.page,
                        bbox: c.bbox().as_ref().map(BoxRow::from),
                        boxes: c.boxes.iter().map(BoxRow::from).collect(),
                        quote: &c.quote,
                    },
                )?;
            }
        }

        for c in s.corrections.values() {
            let row = correction_row(dossier, s, d.offences, d.answers, c);
            self.push("corrections", &row)?;
        }

        for a in d.annotations {
            self.push(
                "annotations",
                &AnnotationRow {
                    dossier,
                    annotation: &a.id,
                    document: a.document.as_deref(),
                    page: a.page,
                    boxes: a.boxes.iter().map(BoxRow::from).collect(),
                    quote: a.quote.as_deref(),
                    comment: a.comment.as_deref(),
                    author: a.author.as_deref(),
                    time: a.time.as_deref(),
                    time_utc: a.time.as_deref().and_then(parse_time),
                    resolved: a.resolved,
                },
            )?;
        }
        self.dossiers += 1;
        Ok(())
    }

    /// Rows written so far, per table.
    pub fn rows(&self) -> BTreeMap<&'static str, u64> {
        self.writers.iter().map(|(t, w)| (*t, w.rows())).collect()
    }

    /// Close every file.
    pub fn finish(self) -> Result<ExportSummary> {
        let mut tables = Vec::new();
        let mut writers = self.writers;
        for table in TABLES {
            let (path, rows) = writers.remove(table).expect("every table has a writer").finish()?;
            tables.push((table.to_string(), path, rows));
        }
        Ok(ExportSummary { tables, dossiers: self.dossiers })
    }
}

use serde_json::Value;

/// Id of a piece in the export: `document:first_page`.
pub fn piece_key(piece: &Piece) -> String {
    format!("{}:{}", piece.document, piece.first_page)
}

/// The piece holding `page` of `document`.
fn piece_at<'s>(s: &'s DossierState, document: &str, page: u32) -> Option<&'s Piece> {
    s.pieces
        .range((document.to_string(), 0)..=(document.to_string(), page))
        .next_back()
        .map(|(_, p)| &**p)
        .filter(|p| p.last_page >= page)
}

/// The text a passage's spans print on their pages (before any OCR fix).
fn original_text(s: &DossierState, p: &Passage) -> Option<String> {
    let mut parts = Vec::new();
    for span in &p.spans {
        let page = s.pages.get(&(p.document.clone(), span.page))?;
        parts.push(page.text.get(span.range.clone())?.replace('\n', " "));
    }
    Some(parts.join(" "))
}

fn decision_reason(d: &OcrDecision) -> &'static str {
    match d {
        OcrDecision::TextLayerOk { .. } => "text_layer_ok",
        OcrDecision::NoTextLayer => "no_text_layer",
        OcrDecision::ImageOnly { .. } => "image_only",
        OcrDecision::InvisibleText { .. } => "invisible_text",
        OcrDecision::GarbageText { .. } => "garbage_text",
        OcrDecision::ImageInput => "image_input",
    }
}

/// RFC 3339 to microseconds since the epoch (UTC); `None` when it does not parse.
fn parse_time(time: &str) -> Option<i64> {
    arrow::compute::kernels::cast_utils::string_to_timestamp_nanos(time).ok().map(|n| n.div_euclid(1000))
}

fn answer_target(change: &Change) -> Option<&str> {
    match change {
        Change::AnswerAccepted { answer } | Change::AnswerEdited { answer, .. } | Change::AnswerRejected { answer, .. } => {
            Some(answer)
        }
        _ => None,
    }
}

fn correction_row<'a>(
    dossier: &'a str,
    s: &'a DossierState,
    offences: &'a [OffenceExport],
    answers: &'a [AnswerExport],
    c: &'a Correction,
) -> CorrectionRow<'a> {
    let answer_text =
        |id: &str| answers.iter().find(|a| a.question == id).map(|a| a.machine_text.clone().unwrap_or_else(|| a.text.clone()));
    let offence_label = |id: &str| offences.iter().find(|o| o.category == id).map(|o| o.label.clone());
    let (kind, target, old_value, new_value, reason, passages): (_, &str, _, _, _, Vec<&str>) = match &c.change {
        Change::OcrFix { passage, text } => (
            "ocr_fix",
            passage,
            s.passages.get(passage).and_then(|p| original_text(s, p)),
            Some(text.clone()),
            None,
            vec![],
        ),
        Change::OffenceConfirmed { offence } => {
            ("offence_confirmed", offence, offence_label(offence), Some("confirmed".into()), None, vec![])
        }
        Change::OffenceRejected { offence, reason } => {
            ("offence_rejected", offence, offence_label(offence), Some("rejected".into()), reason.as_deref(), vec![])
        }
        Change::OffenceAdded { offence, passages } => (
            "offence_added",
            offence,
            None,
            Some("added".into()),
            None,
            passages.iter().map(String::as_str).collect(),
        ),
        Change::AnswerAccepted { answer } => ("answer_accepted", answer, answer_text(answer), Some("accepted".into()), None, vec![]),
        Change::AnswerEdited { answer, text } => ("answer_edited", answer, answer_text(answer), Some(text.clone()), None, vec![]),
        Change::AnswerRejected { answer, reason } => {
            ("answer_rejected", answer, answer_text(answer), Some("rejected".into()), reason.as_deref(), vec![])
        }
    };
    CorrectionRow {
        dossier,
        correction: &c.id,
        author: &c.author,
        time: &c.time,
        time_utc: parse_time(&c.time),
        kind,
        target,
        old_value,
        new_value,
        reason,
        passages,
        change: serde_json::to_string(&c.change).unwrap_or_default(),
    }
}

#[derive(Serialize)]
struct BoxRow {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

impl From<&BBox> for BoxRow {
    fn from(b: &BBox) -> Self {
        Self { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 }
    }
}

#[derive(Serialize)]
struct DocumentRow<'a> {
    dossier: &'a str,
    document: &'a str,
    name: &'a str,
    sha256: &'a str,
    pages: u32,
    failure: Option<&'a str>,
}

#[derive(Serialize)]
struct PageRow<'a> {
    dossier: &'a str,
    document: &'a str,
    page: u32,
    width: f32,
    height: f32,
    method: &'static str,
    ocr_decision: &'static str,
    ocr_decision_detail: String,
    ocr_confidence: Option<f32>,
    rotation: u16,
    skew_deg: f32,
    chars: u32,
    words: u32,
    piece: Option<String>,
    text: &'a str,
}

#[derive(Serialize)]
struct SpanRow {
    page: u32,
    start: u32,
    end: u32,
    boxes: Vec<BoxRow>,
}

#[derive(Serialize)]
struct PassageRow<'a> {
    dossier: &'a str,
    passage: &'a str,
    kind: &'static str,
    document: &'a str,
    first_page: u32,
    piece: Option<String>,
    text: &'a str,
    ocr_fixed: bool,
    spans: Vec<SpanRow>,
}

#[derive(Serialize)]
struct PersonRow<'a> {
    nom: &'a str,
    prenom: Option<&'a str>,
}

#[derive(Serialize)]
struct PieceRow<'a> {
    dossier: &'a str,
    piece: String,
    kind: &'static str,
    document: &'a str,
    first_page: u32,
    last_page: u32,
    title: &'a str,
    persons: Vec<PersonRow<'a>>,
}

#[derive(Serialize)]
struct ArticleRow<'a> {
    id: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct NestedCitation<'a> {
    passage: &'a str,
    document: &'a str,
    page: u32,
    boxes: Vec<BoxRow>,
    quote: &'a str,
}

impl<'a> From<&'a Citation> for NestedCitation<'a> {
    fn from(c: &'a Citation) -> Self {
        Self { passage: &c.passage, document: &c.document, page: c.page, boxes: c.boxes.iter().map(BoxRow::from).collect(), quote: &c.quote }
    }
}

#[derive(Serialize)]
struct PieceRef<'a> {
    document: &'a str,
    page: u32,
}

#[derive(Serialize)]
struct OffenceRow<'a> {
    dossier: &'a str,
    offence: &'a str,
    label: &'a str,
    articles: Vec<ArticleRow<'a>>,
    aggravations: Vec<&'a str>,
    confidence: f32,
    evidence: Vec<NestedCitation<'a>>,
    pieces: Vec<PieceRef<'a>>,
    corrected: Option<&'a str>,
}

#[derive(Serialize)]
struct VersionRow<'a> {
    value: Option<String>,
    text: &'a str,
    citations: u32,
}

#[derive(Serialize)]
struct AnswerRow<'a> {
    dossier: &'a str,
    answer: &'a str,
    question: &'a str,
    wording: &'a str,
    category: Option<&'a str>,
    status: &'a str,
    value: Option<String>,
    text: &'a str,
    confidence: f32,
    citations: u32,
    versions: Vec<VersionRow<'a>>,
    corrected: Option<&'a str>,
    corrected_by: Option<&'a str>,
    corrected_at: Option<i64>,
    engine_version: &'static str,
    operators_version: &'a str,
    exported_at: i64,
}

#[derive(Serialize)]
struct CitationRow<'a> {
    dossier: &'a str,
    answer: &'a str,
    citation: u32,
    version: Option<u32>,
    passage: &'a str,
    document: &'a str,
    page: u32,
    bbox: Option<BoxRow>,
    boxes: Vec<BoxRow>,
    quote: &'a str,
}

#[derive(Serialize)]
struct CorrectionRow<'a> {
    dossier: &'a str,
    correction: &'a str,
    author: &'a str,
    time: &'a str,
    time_utc: Option<i64>,
    kind: &'static str,
    target: &'a str,
    old_value: Option<String>,
    new_value: Option<String>,
    reason: Option<&'a str>,
    passages: Vec<&'a str>,
    change: String,
}

#[derive(Serialize)]
struct AnnotationRow<'a> {
    dossier: &'a str,
    annotation: &'a str,
    document: Option<&'a str>,
    page: Option<u32>,
    boxes: Vec<BoxRow>,
    quote: Option<&'a str>,
    comment: Option<&'a str>,
    author: Option<&'a str>,
    time: Option<&'a str>,
    time_utc: Option<i64>,
    resolved: bool,
}
