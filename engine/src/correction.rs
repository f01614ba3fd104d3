//! Corrections: what a magistrate changes in what the machine found.
//!
//! A correction is an engine *input*, like a page or a question: the collaborative workspace
//! records each one a user makes (an OCR fix, an offence confirmed or rejected, an answer edited)
//! and the engine will consume them to recompute only what depends on them. Ids are strings so the
//! type travels unchanged through JSON (the `corrections` shared array of a dossier's Yjs
//! document holds exactly this shape, see `workspace/README.md`).

use serde::{Deserialize, Serialize};

/// One correction made by a user on a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// Unique id chosen by the client (e.g. a UUID); a correction is recorded once per id.
    pub id: String,
    /// Who made it (user id of the workspace).
    pub author: String,
    /// When it was made, RFC 3339 (`2024-03-12T14:30:00Z`), as the client's clock says.
    pub time: String,
    /// What is corrected.
    pub change: Change,
}

/// What a [`Correction`] changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// The OCR text of a passage is wrong; `text` is what the page actually says.
    OcrFix { passage: String, text: String },
    /// An offence the machine detected is confirmed.
    OffenceConfirmed { offence: String },
    /// An offence the machine detected is rejected.
    OffenceRejected {
        offence: String,
        #[serde(default)]
        reason: Option<String>,
    },
    /// An offence the machine missed is added (by its article, e.g. `CP 222-13`).
    OffenceAdded {
        offence: String,
        #[serde(default)]
        passages: Vec<String>,
    },
    /// An answer is accepted as it is.
    AnswerAccepted { answer: String },
    /// An answer is replaced by the user's text.
    AnswerEdited { answer: String, text: String },
    /// An answer is rejected (wrong or unsupported by the sources).
    AnswerRejected {
        answer: String,
        #[serde(default)]
        reason: Option<String>,
    },
}

impl Correction {
    /// Check the fields a client could leave empty; returns a French message for the user.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("la correction n'a pas d'identifiant".into());
        }
        if self.author.trim().is_empty() {
            return Err("la correction n'a pas d'auteur".into());
        }
        let target = match &self.change {
            Change::OcrFix { passage, .. } => passage,
            Change::OffenceConfirmed { offence }
            | Change::OffenceRejected { offence, .. }
            | Change::OffenceAdded { offence, .. } => offence,
            Change::AnswerAccepted { answer }
            | Change::AnswerEdited { answer, .. }
            | Change::AnswerRejected { answer, .. } => answer,
        };
        if target.trim().is_empty() {
            return Err("la correction ne désigne ni passage, ni infraction, ni réponse".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_shape_clients_write() {
        let c: Correction = serde_json::from_value(serde_json::json!({
            "id": "c1", "author": "substitut.a", "time": "2024-03-12T14:30:00Z",
            "change": { "kind": "answer_edited", "answer": "q-itt", "text": "ITT de 10 jours" }
        }))
        .unwrap();
        assert_eq!(c.change, Change::AnswerEdited { answer: "q-itt".into(), text: "ITT de 10 jours".into() });
        assert!(c.validate().is_ok());
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["change"]["kind"], "answer_edited");
    }

    #[test]
    fn unknown_kinds_and_empty_targets_are_refused() {
        let bad = serde_json::json!({
            "id": "c1", "author": "a", "time": "t", "change": { "kind": "delete_dossier" }
        });
        assert!(serde_json::from_value::<Correction>(bad).is_err());
        let c = Correction {
            id: "c2".into(),
            author: "a".into(),
            time: "t".into(),
            change: Change::OffenceConfirmed { offence: " ".into() },
        };
        assert!(c.validate().unwrap_err().contains("infraction"));
    }
}
