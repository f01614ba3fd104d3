//! `GET /api/dossiers/{dossier}/synthesis.docx`: the synthesis drafted together, as a Word file
//! (the PDF is typeset in [`super::synthesis_pdf`] from the same blocks).
//!
//! The text is the room's `synthesis` XmlFragment as the log holds it (every acknowledged edit
//! is there). The format is the web application's (`workspace/README.md`, "Synthesis
//! content"): a run carrying the `citation` mark becomes a footnote whose text is the mark's
//! `label`, e.g. « PV d'audition de X, p. 12 ». The application inserts the citation as the run
//! ` (label)`: that run is replaced by the footnote reference. Other text carrying the mark stays
//! and gets the footnote after it; consecutive runs with the same citation share one footnote.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use docx_rs::{Docx, Footnote, Paragraph, Run};

use ap_workspace::room::SynthesisBlock;

use super::{Member, audit};
use crate::error::AppError;
use crate::server::AppState;

/// The footnote text of a `citation` mark: its `label`, else « document, p. N ».
pub fn citation_label(mark: &serde_json::Value) -> Option<String> {
    if let Some(label) = mark.get("label").and_then(|l| l.as_str()).filter(|l| !l.trim().is_empty()) {
        return Some(label.trim().to_string());
    }
    let document = mark.get("document").and_then(|d| d.as_str())?;
    let page = mark.get("page").and_then(|p| p.as_u64().or_else(|| p.as_str().and_then(|s| s.parse().ok())));
    Some(match page {
        Some(p) => format!("{document}, p. {p}"),
        None => document.to_string(),
    })
}

/// Build the DOCX of `blocks`; returns the bytes.
pub fn build_docx(title: &str, blocks: &[SynthesisBlock]) -> Result<Vec<u8>, String> {
    let mut docx = Docx::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text(title).bold().size(32)));
    for block in blocks {
        let heading = block.node == "heading";
        let mut paragraph = Paragraph::new();
        for (i, run) in block.runs.iter().enumerate() {
            let citation = run.marks.get("citation");
            let label = citation.and_then(citation_label);
            // The inline form ` (label)` is what the footnote replaces.
            let inline_form = label.as_ref().is_some_and(|l| run.text.trim() == format!("({l})"));
            if !inline_form {
                let mut r = Run::new().add_text(&run.text);
                if heading || run.marks.contains_key("bold") || run.marks.contains_key("strong") {
                    r = r.bold();
                }
                if run.marks.contains_key("italic") || run.marks.contains_key("em") {
                    r = r.italic();
                }
                paragraph = paragraph.add_run(r);
            }
            let next_same = block.runs.get(i + 1).is_some_and(|n| n.marks.get("citation") == citation);
            if let Some(label) = label.filter(|_| !next_same || inline_form) {
                let note = Footnote::new().add_content(Paragraph::new().add_run(Run::new().add_text(label)));
                paragraph = paragraph.add_run(Run::new().add_footnote_reference(note));
            }
        }
        docx = docx.add_paragraph(paragraph);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    docx.build().pack(&mut out).map_err(|e| format!("écriture du DOCX impossible : {e}"))?;
    Ok(out.into_inner())
}

/// A file of the synthesis: how to build it and how to serve it.
struct Format {
    build: fn(&str, &[SynthesisBlock]) -> Result<Vec<u8>, String>,
    extension: &'static str,
    content_type: &'static str,
    audit: &'static str,
}

/// Build the synthesis of `member`'s dossier in `format` (off the async threads) and serve it.
async fn export(state: Arc<AppState>, member: Member, format: Format) -> Response {
    let blocks = match state.hub.synthesis(&member.dossier).await {
        Ok(b) => b,
        Err(e) => return AppError::unavailable(e).into_response(),
    };
    let accounts = state.accounts.clone();
    let d = member.dossier.clone();
    let nom = tokio::task::spawn_blocking(move || accounts.lock().expect("accounts lock").dossier_name(&d).unwrap_or(d))
        .await
        .unwrap_or_else(|_| member.dossier.clone());
    let title = format!("Synthèse — {nom}");
    match tokio::task::spawn_blocking(move || (format.build)(&title, &blocks)).await {
        Ok(Ok(bytes)) => {
            audit(&state, &member.login, "téléchargement", Some(&member.dossier), Some(format.audit)).await;
            let disposition = format!("attachment; filename=\"synthese-{}.{}\"", member.dossier, format.extension);
            ([(header::CONTENT_TYPE, format.content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(e) => AppError::unavailable(e).into_response(),
    }
}

/// `GET /api/dossiers/{dossier}/synthesis.docx`.
pub async fn docx(State(state): State<Arc<AppState>>, member: Member) -> Response {
    let format = Format {
        build: build_docx,
        extension: "docx",
        content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        audit: "synthèse (DOCX)",
    };
    export(state, member, format).await
}

/// `GET /api/dossiers/{dossier}/synthesis.pdf`.
pub async fn pdf(State(state): State<Arc<AppState>>, member: Member) -> Response {
    let format = Format {
        build: |title, blocks| super::synthesis_pdf::build_pdf(title, blocks).map(|(bytes, _pages)| bytes),
        extension: "pdf",
        content_type: "application/pdf",
        audit: "synthèse (PDF)",
    };
    export(state, member, format).await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ap_workspace::room::SynthesisRun;

    /// A run of synthesis text, with a `citation` mark when given.
    pub(crate) fn run(text: &str, citation: Option<serde_json::Value>) -> SynthesisRun {
        let mut marks = serde_json::Map::new();
        if let Some(c) = citation {
            marks.insert("citation".into(), c);
        }
        SynthesisRun { text: text.into(), marks }
    }

    #[test]
    fn citations_become_footnotes() {
        let cite = serde_json::json!({ "document": "pv1", "page": 12, "label": "PV d'audition de Jean MARTIN, p. 12" });
        let blocks = vec![SynthesisBlock {
            node: "paragraph".into(),
            attributes: Default::default(),
            runs: vec![run("Le mis en cause reconnaît les faits", Some(cite.clone())), run(" devant ", Some(cite)), run(" les enquêteurs.", None)],
        }, SynthesisBlock {
            node: "paragraph".into(),
            attributes: Default::default(),
            runs: vec![
                run("La victime a 34 ans", None),
                run(" (PV d'audition de Léa DURAND, p. 3)", Some(serde_json::json!({ "document": "pv2", "page": 3, "label": "PV d'audition de Léa DURAND, p. 3" }))),
                run(".", None),
            ],
        }];
        let bytes = build_docx("Synthèse", &blocks).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut read = |name: &str| {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
            s
        };
        let document = read("word/document.xml");
        let notes = read("word/footnotes.xml");
        assert!(document.contains("reconnaît les faits"));
        // One footnote for the two runs of the same citation, one for the inline citation whose
        // text is replaced by the note.
        assert_eq!(document.matches("w:footnoteReference").count(), 2, "{document}");
        assert!(document.contains("La victime a 34 ans") && !document.contains("(PV d"), "{document}");
        assert!(notes.contains("DURAND, p. 3"), "{notes}");
        assert!(notes.contains("PV d&apos;audition de Jean MARTIN, p. 12") || notes.contains("PV d'audition de Jean MARTIN, p. 12"), "{notes}");
        assert_eq!(citation_label(&serde_json::json!({ "document": "pv2", "page": "3" })).as_deref(), Some("pv2, p. 3"));
        assert_eq!(citation_label(&serde_json::json!({})), None);
    }
}
