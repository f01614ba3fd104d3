//! What users' corrections do to the machine's offences and answers.
//!
//! The engine computes offences and answers from the text; magistrates then confirm, reject or
//! add offences and accept, edit or reject answers. Those corrections are inputs like pages: the
//! dataflow keeps the machine's result and the corrections apart and combines them here, so
//! withdrawing a correction brings the machine's result back, and an edited answer keeps the
//! machine's version beside it (the feedback analysts export). The latest correction of a target
//! (by time, then id) is the one that holds.

use serde::{Deserialize, Serialize};

use ap_operators::answer::{Answer, AnswerStatus};
use ap_operators::domain::Domain;
use ap_operators::dossier::DossierText;
use ap_operators::offence::{Offence, OffenceArticle};

use crate::correction::{Change, Correction};

/// What a user decided about an offence or an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Offence confirmed.
    Confirmed,
    /// Offence or answer rejected.
    Rejected,
    /// Offence added by a user.
    Added,
    /// Answer accepted as computed.
    Accepted,
    /// Answer replaced by the user's text.
    Edited,
}

/// The correction that holds for an offence or an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub kind: ReviewKind,
    /// Id of the correction.
    pub correction: String,
    pub author: String,
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An offence as the dossier currently holds it: detected or added, and what users said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewedOffence {
    #[serde(flatten)]
    pub offence: Offence,
    /// `None` while no user has reviewed it.
    pub review: Option<Review>,
}

impl ReviewedOffence {
    /// Whether the offence counts for the questions (not rejected).
    pub fn is_active(&self) -> bool {
        self.review.as_ref().is_none_or(|r| r.kind != ReviewKind::Rejected)
    }
}

/// An answer as the dossier currently holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewedAnswer {
    /// The answer shown: the machine's, or the user's text for an edited one.
    #[serde(flatten)]
    pub answer: Answer,
    pub review: Option<Review>,
    /// The machine's answer, kept beside an edited one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<Answer>>,
}

fn review_of(c: &Correction, kind: ReviewKind, reason: Option<&String>) -> Review {
    Review { kind, correction: c.id.clone(), author: c.author.clone(), time: c.time.clone(), reason: reason.cloned() }
}

/// Corrections in the order they hold: later ones (by time, then id) win.
fn in_order(corrections: &[Correction]) -> Vec<&Correction> {
    let mut sorted: Vec<&Correction> = corrections.iter().collect();
    sorted.sort_by(|a, b| (&a.time, &a.id).cmp(&(&b.time, &b.id)));
    sorted
}

/// The taxonomy category a user named: its id, or one of its articles (`CP 222-13`).
pub fn category_named<'a>(domain: &'a Domain, named: &str) -> Option<&'a ap_operators::domain::OffenceCategory> {
    let squash = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let wanted = squash(named);
    domain.category(named.trim()).or_else(|| {
        domain.categories.iter().find(|c| c.articles.iter().any(|a| squash(a) == wanted))
    })
}

/// Apply offence corrections to the detected offences.
pub fn review_offences(
    detected: &[Offence],
    corrections: &[Correction],
    text: &DossierText,
    domain: &Domain,
) -> Vec<ReviewedOffence> {
    let mut out: Vec<ReviewedOffence> =
        detected.iter().map(|o| ReviewedOffence { offence: o.clone(), review: None }).collect();
    for c in in_order(corrections) {
        match &c.change {
            Change::OffenceConfirmed { offence } | Change::OffenceRejected { offence, .. } => {
                let kind = if matches!(c.change, Change::OffenceConfirmed { .. }) {
                    ReviewKind::Confirmed
                } else {
                    ReviewKind::Rejected
                };
                let reason = match &c.change {
                    Change::OffenceRejected { reason, .. } => reason.as_ref(),
                    _ => None,
                };
                let id = category_named(domain, offence).map_or(offence.as_str(), |c| c.id.as_str());
                if let Some(o) = out.iter_mut().find(|o| o.offence.category == id) {
                    o.review = Some(review_of(c, kind, reason));
                }
            }
            Change::OffenceAdded { offence, passages } => {
                let Some(category) = category_named(domain, offence) else {
                    tracing::warn!(offence, "added offence names no category of the taxonomy");
                    continue;
                };
                let evidence = passages.iter().filter_map(|id| text.passage(id)).flat_map(|p| text.cite_passage(p)).collect();
                let review = Some(review_of(c, ReviewKind::Added, None));
                match out.iter_mut().find(|o| o.offence.category == category.id) {
                    // Already detected: the user's addition stands as a confirmation.
                    Some(o) => o.review = Some(review_of(c, ReviewKind::Confirmed, None)),
                    None => out.push(ReviewedOffence {
                        offence: Offence {
                            category: category.id.clone(),
                            label: category.label.clone(),
                            articles: category
                                .articles
                                .iter()
                                .map(|a| OffenceArticle {
                                    id: a.clone(),
                                    text: domain.articles.get(a).map(|art| art.text.clone()).unwrap_or_default(),
                                })
                                .collect(),
                            aggravations: Vec::new(),
                            confidence: 1.0,
                            evidence,
                            pieces: Vec::new(),
                        },
                        review,
                    }),
                }
            }
            _ => {}
        }
    }
    out
}

/// Apply answer corrections to the computed answers.
pub fn review_answers(answers: &[Answer], corrections: &[Correction]) -> Vec<ReviewedAnswer> {
    let mut out: Vec<ReviewedAnswer> =
        answers.iter().map(|a| ReviewedAnswer { answer: a.clone(), review: None, machine: None }).collect();
    for c in in_order(corrections) {
        let (target, kind) = match &c.change {
            Change::AnswerAccepted { answer } => (answer, ReviewKind::Accepted),
            Change::AnswerEdited { answer, .. } => (answer, ReviewKind::Edited),
            Change::AnswerRejected { answer, .. } => (answer, ReviewKind::Rejected),
            _ => continue,
        };
        let Some(a) = out.iter_mut().find(|a| a.answer.question == *target) else { continue };
        // A later correction replaces an earlier edit: start again from the machine's answer.
        if let Some(machine) = a.machine.take() {
            a.answer = *machine;
        }
        let reason = match &c.change {
            Change::AnswerRejected { reason, .. } => reason.as_ref(),
            _ => None,
        };
        a.review = Some(review_of(c, kind, reason));
        if let Change::AnswerEdited { text, .. } = &c.change {
            a.machine = Some(Box::new(a.answer.clone()));
            a.answer.status = AnswerStatus::Found;
            a.answer.text = text.clone();
            a.answer.value = Some(serde_json::Value::String(text.clone()));
            a.answer.confidence = 1.0;
            a.answer.versions.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn correction(id: &str, time: &str, change: Change) -> Correction {
        Correction { id: id.into(), author: "substitut.a".into(), time: time.into(), change }
    }

    fn offence(category: &str) -> Offence {
        Offence {
            category: category.into(),
            label: category.into(),
            articles: Vec::new(),
            aggravations: Vec::new(),
            confidence: 0.8,
            evidence: Vec::new(),
            pieces: Vec::new(),
        }
    }

    #[test]
    fn rejections_additions_and_the_latest_correction_hold() {
        let domain = Domain::get();
        let text = DossierText::default();
        let detected = vec![offence("violences"), offence("menaces")];
        let corrections = vec![
            correction("c2", "2024-03-12T10:00:00Z", Change::OffenceConfirmed { offence: "menaces".into() }),
            correction("c1", "2024-03-12T09:00:00Z", Change::OffenceRejected { offence: "menaces".into(), reason: None }),
            correction("c3", "2024-03-12T11:00:00Z", Change::OffenceAdded { offence: "CP 311-1".into(), passages: vec![] }),
        ];
        let reviewed = review_offences(&detected, &corrections, &text, domain);
        assert_eq!(reviewed.len(), 3);
        assert!(reviewed[0].review.is_none() && reviewed[0].is_active());
        // Rejected at 9:00, confirmed at 10:00: confirmed.
        assert_eq!(reviewed[1].review.as_ref().unwrap().kind, ReviewKind::Confirmed);
        assert_eq!(reviewed[2].offence.category, "vol");
        assert_eq!(reviewed[2].review.as_ref().unwrap().kind, ReviewKind::Added);
        assert!(!reviewed[2].offence.articles.is_empty() && !reviewed[2].offence.articles[0].text.is_empty());
    }

    #[test]
    fn an_edited_answer_keeps_the_machine_version() {
        let answer = Answer {
            question: "violences_itt".into(),
            wording: "ITT ?".into(),
            category: Some("violences".into()),
            status: AnswerStatus::Found,
            value: Some(serde_json::json!(5.0)),
            text: "ITT de 5 jours".into(),
            confidence: 0.9,
            citations: Vec::new(),
            versions: Vec::new(),
        };
        let edit = correction(
            "c1",
            "2024-03-12T10:00:00Z",
            Change::AnswerEdited { answer: "violences_itt".into(), text: "ITT de 8 jours (certificat rectificatif)".into() },
        );
        let reviewed = review_answers(std::slice::from_ref(&answer), std::slice::from_ref(&edit));
        assert_eq!(reviewed[0].answer.text, "ITT de 8 jours (certificat rectificatif)");
        assert_eq!(reviewed[0].machine.as_deref(), Some(&answer));
        let json = serde_json::to_value(&reviewed[0]).unwrap();
        assert_eq!(json["question"], "violences_itt");
        assert_eq!(json["review"]["kind"], "edited");
        // Accepting it later brings the machine's answer back, accepted.
        let accept = correction("c2", "2024-03-12T11:00:00Z", Change::AnswerAccepted { answer: "violences_itt".into() });
        let reviewed = review_answers(std::slice::from_ref(&answer), &[edit, accept]);
        assert_eq!(reviewed[0].answer, answer);
        assert_eq!(reviewed[0].review.as_ref().unwrap().kind, ReviewKind::Accepted);
    }
}
