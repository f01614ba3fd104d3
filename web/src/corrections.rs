//! Where the workspace's corrections go: into the engine, as inputs.
//!
//! The room hands every correction a client appends to the `corrections` array to this
//! [`CorrectionSink`]; it gives it to [`ap_engine::Engine::correct`], which logs it durably
//! (fsynced) before it returns and then recomputes what depends on it (an OCR fix changes the
//! passage's text). Only then does the room tell the clients it is "enregistrée". Recording the
//! same correction again (after a restart) changes nothing; a correction with the id of an earlier
//! one replaces it.

use std::sync::Arc;

use ap_engine::{Correction, Engine};
use ap_workspace::CorrectionSink;
use ap_workspace::room::{DraftBlock, DraftCitation};

/// The engine as the workspace's correction sink.
#[derive(Debug, Clone)]
pub struct EngineCorrections {
    engine: Arc<Engine>,
}

impl EngineCorrections {
    /// Feed corrections to `engine`.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

impl CorrectionSink for EngineCorrections {
    fn record(&self, dossier: &str, correction: &Correction) -> ap_workspace::Result<()> {
        self.engine
            .correct(dossier, correction.clone())
            .map_err(|e| ap_workspace::Error::CorrectionSink(e.to_string()))
    }

    fn draft_synthesis(&self, dossier: &str) -> Option<Vec<DraftBlock>> {
        self.engine.with_dossier(dossier, |d| d.summary.as_ref().map(|s| draft_blocks(s, d))).flatten()
    }
}

/// « PV d'audition de X, p. 12 »: the piece a citation falls in (its printed title, « PV » for
/// « Procès-verbal »), and the page — the label the web editor gives citations too.
pub fn citation_label(state: &ap_engine::DossierState, document: &str, page: u32) -> String {
    let piece = state.pieces.values().find(|p| p.document == document && p.first_page <= page && page <= p.last_page);
    let name = match piece {
        Some(p) => {
            let lower = p.title.to_lowercase();
            let lower = lower.strip_prefix("procès-verbal").map_or(lower.clone(), |rest| format!("PV{rest}"));
            let mut chars = lower.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        }
        None => state.documents.get(document).map_or(document.to_string(), |(name, _)| name.clone()),
    };
    format!("{name}, p. {page}")
}

/// The draft as synthesis blocks: a heading per section, a paragraph per sentence with its
/// citations (one per cited page).
pub fn draft_blocks(summary: &ap_operators::summary::Summary, state: &ap_engine::DossierState) -> Vec<DraftBlock> {
    let mut blocks = Vec::new();
    for section in &summary.sections {
        blocks.push(DraftBlock { heading: true, text: section.title.clone(), citations: Vec::new() });
        for sentence in &section.sentences {
            let mut citations: Vec<DraftCitation> = Vec::new();
            for c in &sentence.citations {
                if citations.iter().any(|d| d.document == c.document && d.page == c.page) {
                    continue;
                }
                citations.push(DraftCitation {
                    document: c.document.clone(),
                    page: c.page,
                    label: citation_label(state, &c.document, c.page),
                    quote: c.quote.clone(),
                });
            }
            blocks.push(DraftBlock { heading: false, text: sentence.text.clone(), citations });
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use ap_engine::{Change, EngineOptions};

    #[test]
    fn corrections_become_engine_inputs_once_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let c = Correction {
            id: "c1".into(),
            author: "substitut.a".into(),
            time: "2024-03-12T14:30:00Z".into(),
            change: Change::OffenceRejected { offence: "CP 222-13".into(), reason: Some("ITT de 10 jours".into()) },
        };
        {
            let engine = Arc::new(Engine::open(dir.path(), EngineOptions::default()).unwrap());
            let sink = EngineCorrections::new(engine.clone());
            sink.record("d", &c).unwrap();
            sink.record("d", &c).unwrap();
            engine.sync().unwrap();
            assert_eq!(engine.dossier("d").corrections.get("c1"), Some(&c));
            assert!(engine.dossier("autre").corrections.is_empty());
        }
        let engine = Engine::open(dir.path(), EngineOptions::default()).unwrap();
        engine.sync().unwrap();
        assert_eq!(engine.dossier("d").corrections.len(), 1);
        assert_eq!(engine.dossier("d").corrections.get("c1"), Some(&c));
    }
}
