//! "Ask the procédure": a free French question in, the sentence(s) of the file that answer it
//! out, each with its citations.
//!
//! The answer is extractive: it is made only of sentences printed in the dossier, cited with
//! [`DossierText::cite_passage`](crate::dossier::DossierText::cite_passage). When no sentence
//! carries enough of the question's meaning, the answer is "Non trouvé dans la procédure"
//! rather than a weak passage dressed as an answer. "Enough" is the share of the question's
//! weight (BM25's inverse document frequency of each analysed word, so rare words such as
//! "couteau" weigh more than "mis en cause") that the sentence and its paragraph cover,
//! with the dense cosine as a second chance for paraphrases; the thresholds are calibrated on
//! generated dossiers (see `tests/retrieval.rs`).
//!
//! A question close to one of the question bank is reported with the bank's id, so callers can
//! show the typed answer computed for it alongside.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::domain::Domain;
use crate::dossier::{Citation, DossierText};
use crate::passage::PassageKind;
use crate::retrieval::{Hit, Index, Query, analyze};
use crate::Result;

/// The answer text when the file does not answer.
pub const NOT_FOUND: &str = "Non trouvé dans la procédure";

/// Share of the question's weight an answer sentence (with its paragraph) must cover.
pub const MIN_COVERAGE: f32 = 0.5;
/// Cosine between question and sentence above which a paraphrase counts even with less coverage
/// (only when the index has dense embeddings), provided some of the question is covered.
pub const MIN_COSINE: f32 = 0.86;
/// Coverage the dense second chance still requires.
pub const MIN_COVERAGE_DENSE: f32 = 0.3;

/// Words that shape a French question without saying what it is about: they weigh nothing in
/// the coverage of an answer (an answer rarely repeats "combien" or "déjà").
const QUESTION_WORDS: &[&str] = &[
    "quel", "quelle", "quels", "quelles", "combien", "comment", "quand", "pourquoi", "lequel", "laquelle",
    "lesquels", "lesquelles", "déjà", "est-ce", "dire", "dit", "fait", "faire", "avoir", "être",
];

/// Found or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskStatus {
    /// Sentences of the file answer.
    Found,
    /// Nothing in the file answers.
    NotFound,
}

/// One sentence of the answer, with where it is printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerSentence {
    /// The sentence, verbatim.
    pub text: String,
    /// Passage id of the sentence.
    pub passage: String,
    /// Where it is printed (one citation per page).
    pub citations: Vec<Citation>,
    /// Share of the question's weight covered (0 to 1).
    pub coverage: f32,
}

/// The answer to a free question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskAnswer {
    /// The question as asked.
    pub question: String,
    /// Found or not.
    pub status: AskStatus,
    /// The answer as shown: the answering sentences, or "Non trouvé dans la procédure".
    pub text: String,
    /// The answering sentences with their citations (empty when not found).
    pub sentences: Vec<AnswerSentence>,
    /// The best passages (paragraphs), with highlights: shown even when nothing answers.
    pub hits: Vec<Hit>,
    /// Id of the question bank's question this one matches, when it does.
    pub bank_question: Option<String>,
}

/// Retrieve the best passages for a question: paragraphs first (context), then sentences.
pub fn retrieve(index: &Index, question: &str, limit: usize) -> Result<Vec<Hit>> {
    let query = Query { text: question.into(), limit, passage_kind: Some(PassageKind::Paragraph), ..Default::default() };
    index.search(&query)
}

/// Answer `question` from the dossier's passages found by `index`.
pub fn ask(dossier: &DossierText, index: &Index, question: &str) -> Result<AskAnswer> {
    let hits = retrieve(index, question, 5)?;
    answer_from_hits(dossier, index, question, hits)
}

/// The extractive answer, once the paragraphs are retrieved (so that callers can stream the
/// hits before the answer).
pub fn answer_from_hits(dossier: &DossierText, index: &Index, question: &str, hits: Vec<Hit>) -> Result<AskAnswer> {
    let asked: HashSet<String> = QUESTION_WORDS.iter().flat_map(|w| analyze(w)).map(|(t, _)| t).collect();
    let terms: Vec<String> = {
        let mut seen = HashSet::new();
        analyze(question).into_iter().map(|(t, _)| t).filter(|t| !asked.contains(t) && seen.insert(t.clone())).collect()
    };
    let weights: Vec<f32> = terms.iter().map(|t| index.idf(t)).collect();
    let total: f32 = weights.iter().sum();
    let coverage_of = |text: &str| -> f32 {
        if total <= 0.0 {
            return 0.0;
        }
        let present: HashSet<String> = analyze(text).into_iter().map(|(t, _)| t).collect();
        terms.iter().zip(&weights).filter(|(t, _)| present.contains(*t)).map(|(_, w)| w).sum::<f32>() / total
    };

    let sentence_hits = index.search(&Query {
        text: question.into(),
        limit: 20,
        passage_kind: Some(PassageKind::Sentence),
        ..Default::default()
    })?;

    // A sentence is judged with its paragraph: "Il l'a frappé." answers about violence only
    // through the words around it. The sentence itself must still hold part of the question.
    let mut candidates: Vec<(f32, f32, &Hit)> = sentence_hits
        .iter()
        .map(|h| {
            let own = coverage_of(&h.text);
            let context = dossier
                .paragraphs()
                .find(|p| p.document == h.document && p.text.contains(h.text.as_str()) && p.first_page() <= h.page)
                .map_or(own, |p| coverage_of(&p.text));
            (own, own.max(0.5 * own + 0.5 * context), h)
        })
        .collect();
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.score.total_cmp(&a.2.score)));

    let accepted = |own: f32, coverage: f32, hit: &Hit| {
        own > 0.0
            && (coverage >= MIN_COVERAGE
                || hit.cosine.is_some_and(|c| c >= MIN_COSINE) && coverage >= MIN_COVERAGE_DENSE)
    };
    let mut sentences = Vec::new();
    if let Some(&(best_own, best, best_hit)) = candidates.first()
        && accepted(best_own, best, best_hit)
    {
        for &(own, coverage, hit) in candidates.iter().take(3) {
            if sentences.len() == 2 || coverage < best * 0.9 || !accepted(own, coverage, hit) {
                break;
            }
            let Some(passage) = dossier.passage(&hit.passage) else { continue };
            let citations = dossier.cite_passage(passage);
            if citations.is_empty() {
                continue;
            }
            sentences.push(AnswerSentence { text: hit.text.clone(), passage: hit.passage.clone(), citations, coverage });
        }
    }
    let (status, text) = if sentences.is_empty() {
        (AskStatus::NotFound, NOT_FOUND.to_string())
    } else {
        let quoted: Vec<String> = sentences
            .iter()
            .map(|s| {
                let page = s.citations.first().map_or(0, |c| c.page);
                let doc = s.citations.first().map_or("", |c| c.document.as_str());
                format!("« {} » ({doc}, p. {page})", s.text.trim())
            })
            .collect();
        (AskStatus::Found, quoted.join(" "))
    };
    Ok(AskAnswer { question: question.into(), status, text, sentences, hits, bank_question: bank_question(question) })
}

/// The question bank's question `question` rephrases, when the analysed words overlap enough
/// (Jaccard ≥ 0.6).
pub fn bank_question(question: &str) -> Option<String> {
    let words = |t: &str| -> HashSet<String> { analyze(t).into_iter().map(|(t, _)| t).collect() };
    let q = words(question);
    if q.is_empty() {
        return None;
    }
    Domain::get()
        .questions
        .iter()
        .map(|bank| {
            let b = words(&bank.wording);
            let inter = q.intersection(&b).count() as f32;
            let union = q.union(&b).count() as f32;
            (inter / union.max(1.0), bank)
        })
        .filter(|(j, _)| *j >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, bank)| bank.id.clone())
}
