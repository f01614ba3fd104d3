//! Documents of a dossier: upload (streaming multipart, several files, limits, types checked by
//! their first bytes), the original file, the searchable PDF, a page's words with their boxes.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::{Member, Writer, audit, blocking, refuse};
use crate::error::AppError;
use crate::server::AppState;

/// Upload limits (flags of `serve`).
#[derive(Debug, Clone, clap::Args)]
pub struct UploadLimits {
    /// Largest file accepted in an upload, in bytes.
    #[arg(long = "upload-max-file-bytes", env = "ASSISTANT_PARQUET_UPLOAD_MAX_FILE_BYTES", default_value_t = 200 << 20)]
    pub max_file_bytes: usize,
    /// Largest upload request (all its files), in bytes.
    #[arg(long = "upload-max-request-bytes", env = "ASSISTANT_PARQUET_UPLOAD_MAX_REQUEST_BYTES", default_value_t = 1 << 30)]
    pub max_request_bytes: usize,
    /// Most files in one upload request.
    #[arg(long = "upload-max-files", env = "ASSISTANT_PARQUET_UPLOAD_MAX_FILES", default_value_t = 100)]
    pub max_files: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self { max_file_bytes: 200 << 20, max_request_bytes: 1 << 30, max_files: 100 }
    }
}

/// The file types a dossier accepts, by their first bytes.
fn file_kind(head: &[u8]) -> Option<&'static str> {
    if head.windows(5).take(1024).any(|w| w == b"%PDF-") {
        Some("application/pdf")
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Some("image/tiff")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A document id from a file name: its stem, other characters than letters, digits, `-`, `_`,
/// `.` replaced by `_`.
fn document_id(file_name: &str) -> String {
    let stem = std::path::Path::new(file_name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let id: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .take(100)
        .collect();
    let id = id.trim_start_matches('.').to_string();
    if id.is_empty() { "document".into() } else { id }
}

fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 1.0 { format!("{mb:.0} Mo") } else { format!("{} Ko", bytes.div_ceil(1024)) }
}

/// What happened to one uploaded file.
#[derive(Debug, Serialize)]
pub struct FileResult {
    fichier: String,
    /// Document id when accepted.
    document: Option<String>,
    accepte: bool,
    /// Why it was refused (French).
    erreur: Option<String>,
}

/// `POST /api/dossiers/{dossier}/documents` (multipart, one part per file) → one result per file.
/// Files are read part by part as they arrive; an oversized file is refused as soon as it passes
/// the limit (the rest of it is skipped) and the next files are still read.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    Writer(member): Writer,
    headers: axum::http::HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let limits = state.settings.upload.clone();
    // A request announced larger than allowed is refused before any file of it is kept.
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limits.max_request_bytes) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("envoi trop volumineux : {} au plus par envoi", megabytes(limits.max_request_bytes)),
        );
    }
    let mut results = Vec::new();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let status = e.status();
                let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    format!("envoi trop volumineux : {} au plus par envoi", megabytes(limits.max_request_bytes))
                } else {
                    format!("envoi illisible (multipart attendu) : {}", e.body_text())
                };
                return (status, Json(serde_json::json!({ "erreur": message, "fichiers": results }))).into_response();
            }
        };
        let Some(name) = field.file_name().map(str::to_string).filter(|n| !n.trim().is_empty()) else {
            continue; // a form field that is not a file
        };
        if results.len() >= limits.max_files {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, format!("trop de fichiers dans un envoi : {} au plus", limits.max_files));
        }
        let mut bytes = Vec::new();
        let mut refused: Option<String> = None;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if refused.is_some() {
                        continue;
                    }
                    if bytes.len() + chunk.len() > limits.max_file_bytes {
                        refused = Some(format!(
                            "« {name} » refusé : le fichier dépasse la taille maximale de {}",
                            megabytes(limits.max_file_bytes)
                        ));
                        bytes = Vec::new();
                        continue;
                    }
                    if bytes.is_empty() && file_kind(&chunk[..chunk.len().min(1024)]).is_none() && chunk.len() >= 8 {
                        refused = Some(format!(
                            "« {name} » refusé : ce n'est ni un PDF ni une image numérisée (TIFF, PNG, JPEG)"
                        ));
                        continue;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let status = e.status();
                    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                        format!("envoi trop volumineux : {} au plus par envoi", megabytes(limits.max_request_bytes))
                    } else {
                        format!("envoi interrompu pendant « {name} » : {}", e.body_text())
                    };
                    return (status, Json(serde_json::json!({ "erreur": message, "fichiers": results }))).into_response();
                }
            }
        }
        if refused.is_none() {
            if bytes.is_empty() {
                refused = Some(format!("« {name} » refusé : fichier vide"));
            } else if file_kind(&bytes[..bytes.len().min(1024)]).is_none() {
                refused = Some(format!("« {name} » refusé : ce n'est ni un PDF ni une image numérisée (TIFF, PNG, JPEG)"));
            }
        }
        if let Some(erreur) = refused {
            results.push(FileResult { fichier: name, document: None, accepte: false, erreur: Some(erreur) });
            continue;
        }
        let document = document_id(&name);
        let (engine, d, doc, n) = (state.engine.clone(), member.dossier.clone(), document.clone(), name.clone());
        match blocking(move || engine.add_document(&d, &doc, &n, &bytes)).await {
            Ok(Ok(())) => {
                audit(&state, &member.login, "dépôt", Some(&member.dossier), Some(&name)).await;
                results.push(FileResult { fichier: name, document: Some(document), accepte: true, erreur: None });
            }
            Ok(Err(e)) => {
                results.push(FileResult { fichier: name.clone(), document: None, accepte: false, erreur: Some(format!("« {name} » non enregistré : {e}")) });
            }
            Err(r) => return r,
        }
    }
    if results.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "aucun fichier dans l'envoi");
    }
    let status = if results.iter().any(|r| r.accepte) { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, Json(serde_json::json!({ "fichiers": results }))).into_response()
}

/// `GET …/documents/{document}/original.pdf`: the file as uploaded.
pub async fn original(State(state): State<Arc<AppState>>, member: Member, Path(params): Path<std::collections::HashMap<String, String>>) -> Response {
    let document = params.get("document").cloned().unwrap_or_default();
    let (engine, d, doc) = (state.engine.clone(), member.dossier.clone(), document.clone());
    match blocking(move || engine.document_bytes(&d, &doc)).await {
        Ok(Ok(bytes)) => {
            audit(&state, &member.login, "téléchargement", Some(&member.dossier), Some(&format!("{document} (original)"))).await;
            let kind = file_kind(&bytes[..bytes.len().min(1024)]).unwrap_or("application/octet-stream");
            let disposition = format!("inline; filename=\"{document}.pdf\"");
            ([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Ok(Err(e)) => refuse(StatusCode::NOT_FOUND, e.to_string()),
        Err(r) => r,
    }
}

/// `GET …/documents/{document}/consultable.pdf`: the document with an invisible OCR text layer
/// on its scanned pages, OCR fixes applied.
pub async fn consultable(State(state): State<Arc<AppState>>, member: Member, Path(params): Path<std::collections::HashMap<String, String>>) -> Response {
    let document = params.get("document").cloned().unwrap_or_default();
    let (engine, native) = (state.engine.clone(), state.native.clone());
    let (d, doc) = (member.dossier.clone(), document.clone());
    match blocking(move || crate::text_cmd::searchable_pdf(&engine, &native, &d, &doc)).await {
        Ok(Ok(bytes)) => {
            audit(&state, &member.login, "téléchargement", Some(&member.dossier), Some(&format!("{document} (consultable)"))).await;
            let disposition = format!("attachment; filename=\"{document}-consultable.pdf\"");
            ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Ok(Err(e)) => AppError { status: StatusCode::NOT_FOUND, message: format!("{e:#}") }.into_response(),
        Err(r) => r,
    }
}

/// A word and its box in PDF points, origin top-left of the page as displayed.
#[derive(Debug, Serialize)]
struct WordView {
    text: String,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    /// OCR confidence in `[0, 100]`, absent for text-layer words.
    confidence: Option<f32>,
}

#[derive(Debug, Serialize)]
struct PageView {
    document: String,
    page: u32,
    width: f32,
    height: f32,
    /// Whether the page was read by OCR (the reader then lays this text over the scan).
    ocr: bool,
    rotation: u16,
    /// The page text with the users' OCR fixes.
    text: String,
    words: Vec<WordView>,
    /// Passages printed (at least partly) on this page, in reading order: what an OCR fix
    /// (`ocr_fix {passage, text}`) refers to.
    passages: Vec<PassageRef>,
}

#[derive(Debug, Serialize)]
struct PassageRef {
    id: String,
    text: String,
}

/// `GET …/documents/{document}/pages/{page}/text`: the words of a page with their boxes.
pub async fn page_text(State(state): State<Arc<AppState>>, member: Member, Path(params): Path<std::collections::HashMap<String, String>>) -> Response {
    let document = params.get("document").cloned().unwrap_or_default();
    let Some(number) = params.get("page").and_then(|p| p.parse::<u32>().ok()).filter(|&n| n > 0) else {
        return refuse(StatusCode::BAD_REQUEST, "numéro de page invalide");
    };
    let (engine, d, doc) = (state.engine.clone(), member.dossier.clone(), document.clone());
    let view = blocking(move || {
        let text = engine.document_text(&d, &doc)?;
        let page = text.pages.iter().find(|p| p.number == number)?;
        let mut passages: Vec<(usize, PassageRef)> = engine
            .with_dossier(&d, |s| {
                s.passages
                    .values()
                    .filter(|p| p.document == doc)
                    .filter_map(|p| {
                        let span = p.spans.iter().find(|sp| sp.page == number)?;
                        Some((span.range.start, PassageRef { id: p.id.clone(), text: p.text.clone() }))
                    })
                    .collect()
            })
            .unwrap_or_default();
        passages.sort_by_key(|(start, _)| *start);
        Some(PageView {
            document: doc,
            page: number,
            width: page.width,
            height: page.height,
            ocr: page.confidence.is_some(),
            rotation: page.rotation,
            text: ap_operators::searchable::fixed_text(page, &text.fixes),
            words: page
                .words
                .iter()
                .map(|w| WordView {
                    text: w.text.clone(),
                    x0: w.bbox.x0,
                    y0: w.bbox.y0,
                    x1: w.bbox.x1,
                    y1: w.bbox.y1,
                    confidence: w.confidence,
                })
                .collect(),
            passages: passages.into_iter().map(|(_, p)| p).collect(),
        })
    })
    .await;
    match view {
        Ok(Some(v)) => Json(v).into_response(),
        Ok(None) => refuse(StatusCode::NOT_FOUND, format!("page {number} du document « {document} » introuvable (pas encore lue ?)")),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds_and_ids() {
        assert_eq!(file_kind(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(file_kind(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(file_kind(b"II*\0...."), Some("image/tiff"));
        assert_eq!(file_kind(b"PK\x03\x04 docx"), None);
        assert_eq!(file_kind(b"Bonjour"), None);
        assert_eq!(document_id("PV audition (2).pdf"), "PV_audition__2_");
        assert_eq!(document_id(".pdf"), "pdf");
        assert_eq!(document_id(""), "document");
        assert_eq!(megabytes(200 << 20), "200 Mo");
        assert_eq!(megabytes(1000), "1 Ko");
    }
}

/// Resolution of page pictures: `?dpi=N`, 36 to 200, 100 by default.
#[derive(Debug, serde::Deserialize)]
pub struct PictureQuery {
    #[serde(default)]
    dpi: Option<u32>,
}

/// `GET …/documents/{document}/pages/{page}/image.png`: the page as a picture (PNG), drawn by
/// pdfium from the consultable PDF (a scan as scanned, a native page as printed), for thumbnails
/// and readers that do not run pdf.js.
pub async fn page_image(
    State(state): State<Arc<AppState>>,
    member: Member,
    Path(params): Path<std::collections::HashMap<String, String>>,
    axum::extract::Query(query): axum::extract::Query<PictureQuery>,
) -> Response {
    let document = params.get("document").cloned().unwrap_or_default();
    let Some(page) = params.get("page").and_then(|p| p.parse::<u32>().ok()).filter(|p| *p >= 1) else {
        return refuse(StatusCode::BAD_REQUEST, "numéro de page invalide");
    };
    let dpi = query.dpi.unwrap_or(100).clamp(36, 200);
    let (engine, native) = (state.engine.clone(), state.native.clone());
    let (d, doc) = (member.dossier.clone(), document.clone());
    let rendered = blocking(move || -> Result<Vec<u8>, (StatusCode, String)> {
        let pdf = crate::text_cmd::searchable_pdf(&engine, &native, &d, &doc).map_err(|e| (StatusCode::NOT_FOUND, format!("{e:#}")))?;
        let pdfium = native.pdfium().map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        let file = pdfium
            .load_pdf_from_byte_slice(&pdf, None)
            .map_err(|_| (StatusCode::UNPROCESSABLE_ENTITY, "le document ne peut pas être affiché".to_string()))?;
        let pages = file.pages();
        if i64::from(page) > i64::from(pages.len()) {
            return Err((StatusCode::NOT_FOUND, format!("le document « {doc} » n'a que {} page(s)", pages.len())));
        }
        let p = pages.get((page - 1) as pdfium_render::prelude::PdfPageIndex).map_err(|_| (StatusCode::NOT_FOUND, "page illisible".to_string()))?;
        let config = pdfium_render::prelude::PdfRenderConfig::new().scale_page_by_factor(dpi as f32 / 72.0);
        let picture = p
            .render_with_config(&config)
            .and_then(|b| b.as_image())
            .map_err(|_| (StatusCode::UNPROCESSABLE_ENTITY, "la page ne peut pas être dessinée".to_string()))?;
        let mut png = Vec::new();
        picture
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(png)
    })
    .await;
    match rendered {
        Ok(Ok(png)) => {
            audit(&state, &member.login, "téléchargement", Some(&member.dossier), Some(&format!("{document} p. {page} (image)"))).await;
            ([(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
        Ok(Err((status, message))) => refuse(status, message),
        Err(r) => r,
    }
}
