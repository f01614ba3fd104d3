//! Recall of the gold evidence: how often the passage where the file states an answer is among
//! the first hits of a question asked in free wording.
//!
//! The generated dossiers say, for every question of the bank, where the answer is printed
//! (document, page, verbatim quote). A question counts as retrieved when one of the first `k`
//! hits (paragraphs) is on the evidence page and contains one of its quotes. Shared by the
//! retrieval tests and the bench, so both measure the same thing.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::passage::PassageKind;
use crate::retrieval::{Index, Query, SearchMode};
use crate::Result;

/// Lower case, accents off, blanks collapsed.
fn loose(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Outcome of the questions of one or more dossiers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recall {
    /// Questions asked (paraphrases × questions with evidence).
    pub asked: usize,
    /// Of which, with a gold evidence passage among the first `k` hits.
    pub retrieved: usize,
    /// The misses: (dossier, question id, wording).
    pub misses: Vec<(String, String, String)>,
}

impl Recall {
    /// retrieved / asked (1 when nothing was asked).
    pub fn ratio(&self) -> f64 {
        if self.asked == 0 { 1.0 } else { self.retrieved as f64 / self.asked as f64 }
    }

    /// Add another dossier's outcome.
    pub fn merge(&mut self, other: Recall) {
        self.asked += other.asked;
        self.retrieved += other.retrieved;
        self.misses.extend(other.misses);
    }
}

/// Gold evidence of a question: (document, page, quote), versions included.
fn evidence(question: &Value) -> Vec<(String, u32, String)> {
    let mut all: Vec<&Value> = question["evidence"].as_array().into_iter().flatten().collect();
    for v in question["versions"].as_array().into_iter().flatten() {
        all.extend(v["evidence"].as_array().into_iter().flatten());
    }
    all.into_iter()
        .filter_map(|e| {
            Some((
                e["document"].as_str()?.to_string(),
                u32::try_from(e["page"].as_u64()?).ok()?,
                e["quote"].as_str()?.to_string(),
            ))
        })
        .filter(|(_, _, q)| q.chars().filter(|c| c.is_alphanumeric()).count() >= 3)
        .collect()
}

/// Ask every paraphrase of every question of `gold` that has evidence; count the questions
/// whose evidence passage is among the first `k` paragraphs.
pub fn recall_at(index: &Index, gold: &Value, paraphrases: &BTreeMap<String, Vec<String>>, k: usize, mode: SearchMode) -> Result<Recall> {
    let dossier = gold["dossier"].as_str().unwrap_or("").to_string();
    let mut out = Recall::default();
    for question in gold["questions"].as_array().into_iter().flatten() {
        let Some(id) = question["id"].as_str() else { continue };
        let evidence = evidence(question);
        let Some(wordings) = paraphrases.get(id) else { continue };
        if evidence.is_empty() {
            continue;
        }
        for wording in wordings {
            let query = Query { text: wording.clone(), limit: k, passage_kind: Some(PassageKind::Paragraph), mode, ..Default::default() };
            let hits = index.search(&query)?;
            let found = hits.iter().any(|h| {
                let text = loose(&h.text);
                evidence.iter().any(|(doc, page, quote)| {
                    &h.document == doc && h.page <= *page && page.saturating_sub(h.page) <= 1 && text.contains(&loose(quote))
                })
            });
            out.asked += 1;
            if found {
                out.retrieved += 1;
            } else {
                out.misses.push((dossier.clone(), id.to_string(), wording.clone()));
            }
        }
    }
    Ok(out)
}
