//! The quick view's answers: the questions a magistrate always asks, answered from the dossier
//! with the words that say it.
//!
//! For a dossier and its offences, [`answer_questions`] takes the common questions of the bank
//! and those of each offence ([`Domain::questions_for`]) and runs one typed extractor per
//! question over candidate sentences: cue words near a value of the question's type (a date, an
//! ITT in days, a rate with its unit, an amount, a person, an address, a yes/no statement), in the
//! pieces where such a fact is written (the plainte, the audition of the mis en cause, the
//! certificat médical, the notification of the garde à vue, the casier…). Every candidate keeps
//! the exact words that carry its value, so the answer cites them word by word
//! ([`DossierText::cite`]).
//!
//! The candidates of a question are then grouped by normalised value: none gives `not_found`
//! ("Non trouvé dans la procédure"), one value gives `found`, several values stated in different
//! places give `conflicting`, each version with its own citations. An extractor that is not sure
//! gives no candidate: abstaining is better than guessing.

mod common;
mod offences;
pub mod parse;

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::domain::{AnswerType, Domain, Question};
use crate::dossier::{Citation, DossierText};
use crate::offence::Offence;
use crate::passage::Passage;
use crate::piece::PieceKind;
use parse::Norm;

/// The text of an answer that the procédure does not give.
pub const NOT_FOUND_TEXT: &str = "Non trouvé dans la procédure";

/// Whether the dossier answers a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    /// One value, stated in every cited place.
    Found,
    /// Nothing in the dossier answers it.
    NotFound,
    /// The statements disagree: see `versions`.
    Conflicting,
}

/// One of the values a conflicting answer takes, with where it is stated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerVersion {
    pub value: serde_json::Value,
    /// French text of this version.
    pub text: String,
    pub citations: Vec<Citation>,
}

/// The answer to one question of the bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// Question id of the bank.
    pub question: String,
    /// The question as a magistrate reads it.
    pub wording: String,
    /// The offence category the question serves; `None` for a common question.
    pub category: Option<String>,
    pub status: AnswerStatus,
    /// The normalised value, in the gold value shape of the question's answer type (a person is
    /// given by name, "Prénom NOM"); `None` unless found.
    pub value: Option<serde_json::Value>,
    /// A short French sentence; [`NOT_FOUND_TEXT`] when not found.
    pub text: String,
    /// Between 0 and 1.
    pub confidence: f32,
    /// Where the dossier says it (every version's citations when conflicting).
    pub citations: Vec<Citation>,
    /// One per value when conflicting, else empty.
    pub versions: Vec<AnswerVersion>,
}

/// Answer the questions of a dossier whose offences are `offences`.
pub fn answer_questions(dossier: &DossierText, offences: &[Offence], domain: &Domain) -> Vec<Answer> {
    let categories: Vec<&str> = offences.iter().map(|o| o.category.as_str()).collect();
    answer_for_categories(dossier, &categories, domain)
}

/// Answer the common questions and those of `categories` (taxonomy ids).
pub fn answer_for_categories(dossier: &DossierText, categories: &[&str], domain: &Domain) -> Vec<Answer> {
    let ctx = Ctx::new(dossier);
    domain
        .questions_for(categories)
        .into_iter()
        .map(|q| {
            let cands = extract(&ctx, q);
            let category = (!q.is_common())
                .then(|| q.applies_to.iter().find(|c| categories.contains(&c.as_str())).cloned())
                .flatten();
            resolve(&ctx, q, category, cands)
        })
        .collect()
}

fn extract<'a>(ctx: &'a Ctx<'a>, q: &Question) -> Vec<Cand> {
    common::extract(ctx, q).or_else(|| offences::extract(ctx, q)).unwrap_or_default()
}

/// One sentence of the dossier with what the extractors need.
#[derive(Debug)]
pub(crate) struct Sent<'a> {
    /// The paragraph it is part of (citations are made in its passages).
    pub p: Arc<Unit<'a>>,
    /// Where the sentence starts in the paragraph's text.
    pub offset: usize,
    /// Kind of the piece it is printed in.
    pub kind: PieceKind,
    /// Index of that piece in the dossier (`usize::MAX` when none).
    pub piece: usize,
    /// Text with number words as digits; every range below is in this text.
    pub norm: Norm,
}

impl Sent<'_> {
    pub fn t(&self) -> &str {
        &self.norm.text
    }
    /// The original words behind a range of [`Sent::t`].
    pub fn orig_text(&self, r: Range<usize>) -> &str {
        &self.p.text[self.para_range(r)]
    }
    /// The range of the paragraph's text behind a range of [`Sent::t`].
    pub fn para_range(&self, r: Range<usize>) -> Range<usize> {
        let o = self.norm.orig(r);
        o.start + self.offset..o.end + self.offset
    }
}

/// A paragraph as the layout may have cut it in several passages: a passage that does not end a
/// sentence and the next one that starts in lower case are one paragraph.
#[derive(Debug)]
pub(crate) struct Unit<'a> {
    /// The passages, each with where its text starts in `text`.
    pub parts: Vec<(&'a Passage, usize)>,
    /// Their texts joined by one space.
    pub text: String,
}

impl Unit<'_> {
    /// Citations of a byte range of `text`.
    fn cite(&self, dossier: &DossierText, r: Range<usize>) -> Vec<Citation> {
        let mut out = Vec::new();
        for (p, start) in &self.parts {
            let (a, b) = (r.start.max(*start), r.end.min(start + p.text.len()));
            if a < b {
                out.extend(dossier.cite(p, a - start..b - start));
            }
        }
        out
    }
}

/// The dossier's sentences, ready for the extractors.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub dossier: &'a DossierText,
    pub sents: Vec<Sent<'a>>,
}

impl<'a> Ctx<'a> {
    fn new(dossier: &'a DossierText) -> Self {
        // Sentences are cut here, inside each paragraph, only at a full stop followed by a capital:
        // a line break never ends a sentence (forms and justified text wrap anywhere).
        let mut units: Vec<Unit<'a>> = Vec::new();
        for p in dossier.paragraphs() {
            let joins = units.last().is_some_and(|u| {
                let (last, _) = u.parts.last().expect("a unit has parts");
                last.document == p.document
                    && !u.text.trim_end().ends_with(['.', '!', '?', ':', '»'])
                    && p.text.trim_start().chars().next().is_some_and(|c| c.is_lowercase() || c.is_ascii_digit())
            });
            match units.last_mut() {
                Some(u) if joins => {
                    u.text.push(' ');
                    u.parts.push((p, u.text.len()));
                    u.text.push_str(&p.text);
                }
                _ => units.push(Unit { parts: vec![(p, 0)], text: p.text.clone() }),
            }
        }
        let mut sents = Vec::new();
        for u in units.into_iter().map(Arc::new) {
            for r in split_sentences(&u.text) {
                let (p, start) = u.parts.iter().rev().find(|(_, s)| *s <= r.start).copied().unwrap_or(u.parts[0]);
                let page = page_at(p, r.start.saturating_sub(start));
                let piece = dossier
                    .pieces
                    .iter()
                    .position(|pc| pc.document == p.document && pc.first_page <= page && page <= pc.last_page);
                sents.push(Sent {
                    p: u.clone(),
                    offset: r.start,
                    kind: piece.map_or(PieceKind::Autre, |i| dossier.pieces[i].kind),
                    piece: piece.unwrap_or(usize::MAX),
                    norm: Norm::new(&u.text[r]),
                });
            }
        }
        Ctx { dossier, sents }
    }

    /// Sentences printed in pieces of one of `kinds` (all when empty).
    pub fn of<'s>(&'s self, kinds: &'s [PieceKind]) -> impl Iterator<Item = (usize, &'s Sent<'a>)> + 's {
        self.sents.iter().enumerate().filter(move |(_, s)| kinds.is_empty() || kinds.contains(&s.kind))
    }
}

/// The page a byte offset of a passage's text is printed on (its text is its spans joined by one
/// space).
fn page_at(p: &Passage, offset: usize) -> u32 {
    let mut acc = 0;
    for span in &p.spans {
        acc += span.range.len() + 1;
        if offset < acc {
            return span.page;
        }
    }
    p.spans.last().map_or(0, |s| s.page)
}

/// Sentence ranges of a paragraph: cut after `.`, `!` or `?` followed by a space and a capital,
/// a dash or a quote, except after an abbreviation ("M.", "Dr.", "n°", an initial).
pub(crate) fn split_sentences(text: &str) -> Vec<Range<usize>> {
    const ABBREV: &[&str] = &["m", "mme", "mlle", "dr", "me", "art", "cf", "st", "ste", "n°", "no", "av", "bd", "etc", "p", "pp"];
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next = chars.get(k + 1).map(|x| x.1);
        let after = chars.get(k + 2).map(|x| x.1);
        if next != Some(' ') || !after.is_some_and(|a| a.is_uppercase() || matches!(a, '-' | '«' | '"' | '–')) {
            continue;
        }
        if c == '.' {
            let word: String = text[..i].chars().rev().take_while(|ch| !ch.is_whitespace()).collect::<Vec<_>>().into_iter().rev().collect();
            let w = word.to_lowercase();
            if ABBREV.contains(&w.as_str()) || (w.chars().count() == 1 && w.chars().all(char::is_alphabetic)) {
                continue;
            }
        }
        let end = i + c.len_utf8();
        if end > start {
            out.push(start..end);
        }
        start = end + 1;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out.retain(|r| !text[r.clone()].trim().is_empty());
    out
}

/// A value found in a sentence, with the words that carry it.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    /// Index in [`Ctx::sents`].
    pub sent: usize,
    /// The words carrying the value, in the sentence's normalised text.
    pub range: Range<usize>,
    pub value: serde_json::Value,
    /// Normalised comparison key: equal keys are the same value.
    pub key: String,
    /// The value as a magistrate reads it.
    pub label: String,
}

impl Cand {
    pub fn new(sent: usize, range: Range<usize>, value: serde_json::Value, label: impl Into<String>) -> Cand {
        let key = match &value {
            serde_json::Value::String(s) => fold(s),
            v => v.to_string(),
        };
        Cand { sent, range, value, key, label: label.into() }
    }
}

/// Lower case, accents removed, anything not a letter or digit a space, spaces collapsed.
pub fn fold(s: &str) -> String {
    let t: String = s
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' })
        .collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

const MAX_CITATIONS: usize = 6;

fn cite_all(ctx: &Ctx<'_>, cands: &[&Cand]) -> Vec<Citation> {
    let mut out: Vec<Citation> = Vec::new();
    for c in cands {
        let s = &ctx.sents[c.sent];
        for cit in s.p.cite(ctx.dossier, s.para_range(c.range.clone())) {
            if !out.iter().any(|o| o.document == cit.document && o.page == cit.page && o.boxes == cit.boxes) {
                out.push(cit);
            }
        }
        if out.len() >= MAX_CITATIONS {
            break;
        }
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn resolve(ctx: &Ctx<'_>, q: &Question, category: Option<String>, cands: Vec<Cand>) -> Answer {
    let mut groups: Vec<Vec<&Cand>> = Vec::new();
    for c in &cands {
        match groups.iter_mut().find(|g| g[0].key == c.key) {
            Some(g) => g.push(c),
            None => groups.push(vec![c]),
        }
    }
    // A group whose citations could not be made (no word-precise quote) does not count.
    let mut cited: Vec<(Vec<&Cand>, Vec<Citation>)> =
        groups.into_iter().map(|g| {
            let c = cite_all(ctx, &g);
            (g, c)
        }).filter(|(_, c)| !c.is_empty()).collect();
    let base = Answer {
        question: q.id.clone(),
        wording: q.wording.clone(),
        category,
        status: AnswerStatus::NotFound,
        value: None,
        text: NOT_FOUND_TEXT.into(),
        confidence: 0.0,
        citations: Vec::new(),
        versions: Vec::new(),
    };
    match cited.len() {
        0 => Answer { confidence: 0.5, ..base },
        1 => {
            let (g, citations) = cited.remove(0);
            let n = g.len();
            Answer {
                status: AnswerStatus::Found,
                value: Some(g[0].value.clone()),
                text: format!("{}.", capitalise(&g[0].label)),
                confidence: if n > 1 { 0.9 } else { 0.75 },
                citations,
                ..base
            }
        }
        _ => {
            let versions: Vec<AnswerVersion> = cited
                .into_iter()
                .map(|(g, citations)| AnswerVersion { value: g[0].value.clone(), text: capitalise(&g[0].label), citations })
                .collect();
            let text = format!(
                "Les pièces divergent : {}.",
                versions
                    .iter()
                    .map(|v| {
                        let at = v.citations.first().map(|c| format!(" ({}, p. {})", c.document, c.page)).unwrap_or_default();
                        format!("{}{at}", v.text)
                    })
                    .collect::<Vec<_>>()
                    .join(" ; ")
            );
            Answer {
                status: AnswerStatus::Conflicting,
                text,
                confidence: 0.6,
                citations: versions.iter().flat_map(|v| v.citations.iter().cloned()).collect(),
                versions,
                ..base
            }
        }
    }
}

/// How a value of `answer` type is shown.
pub(crate) fn yes_no_label(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}

#[allow(dead_code)]
pub(crate) fn is_type(q: &Question, t: AnswerType) -> bool {
    q.answer == t
}

/// A regex compiled once.
macro_rules! re {
    ($s:expr) => {{
        static R: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new(&$crate::answer::parse::deaccent($s)).expect("valid regex"));
        &*R
    }};
}
pub(crate) use re;

#[cfg(test)]
mod tests;
